// From user input to a RunConfig. Every field is described once, in the field table
// (fields.ts), and read by the one tokenizer (tokenize.ts); here the run fields become a
// RunConfig: the validation of plain objects (JSON config files, URL parameters) and of the
// flags of `mfld run`, the checks across fields, and the JSON form of a resolved config.
// Error messages name the field the way the user wrote it (`--prior-std`, or `priorStd` in a
// JSON file) and say the allowed range.
import { DEFAULT_CONFIG, type RunConfig } from './config';
import { ConfigError, showRaw } from './field-kinds';
import {
  RUN_KEYS,
  fieldOf,
  fieldsOf,
  flagOf,
  kebab,
  type Command,
  type FieldKey,
  type RunFieldKey,
  type ValueOf,
} from './fields';
import {
  givenValue,
  valueOrDefault,
  parseGiven,
  tokenize,
  unknownNameError,
  type GivenValue,
  type ParsedValues,
} from './tokenize';

export { ConfigError, DECIMAL_NUMBER, type DatasetChoice } from './field-kinds';
export { flagOf, type RunFieldKey } from './fields';

/** A RunConfig as one flat record of field values, keyed as in RUN_FIELDS. */
export type ConfigFields = { -readonly [K in RunFieldKey]: ValueOf<K> };

export function flattenConfig(config: RunConfig): ConfigFields {
  const { dataset, ...rest } = config;
  return {
    ...rest,
    dataset: { name: dataset.name, path: dataset.path },
    dim: dataset.dim,
    samples: dataset.samples,
    testSamples: dataset.testSamples,
    noise: dataset.noise,
    separation: dataset.separation,
  };
}

function nestConfig(fields: ConfigFields): RunConfig {
  const { dataset, dim, samples, testSamples, noise, separation, ...rest } = fields;
  return {
    ...rest,
    // The sine data set is 1-D whatever dim says; the resolved config says so too.
    dataset: {
      ...dataset,
      dim: dataset.name === 'sine' ? 1 : dim,
      samples,
      testSamples,
      noise,
      separation,
    },
  };
}

/** The resolved config as flat JSON, as in the run summary; parseConfigObject reads it back. */
export function configToJson(config: RunConfig): Record<string, string | number | boolean> {
  const fields = flattenConfig(config);
  const json: Record<string, string | number | boolean> = {};
  for (const key of RUN_KEYS) {
    json[key] = fieldOf(key).kind.toJson(fields[key]);
  }
  return json;
}

/** Above this many floats (1 GiB) a data set does not fit in memory comfortably. */
const MAX_DATA_FLOATS = 2 ** 28;

/**
 * Builds the RunConfig from `base` and the given run fields, and checks what involves several
 * fields. `nameOf` names a field the user did not give (`--tau` or `tau`).
 */
export function resolveConfig(
  values: ParsedValues,
  base: RunConfig,
  nameOf: (key: RunFieldKey) => string,
): RunConfig {
  const fields = flattenConfig(base);
  for (const key of RUN_KEYS) {
    const given = values.get(key);
    if (given) (fields as Record<RunFieldKey, unknown>)[key] = given.value;
  }
  const config = nestConfig(fields);
  const name = (key: RunFieldKey): string => values.get(key)?.name ?? nameOf(key);

  // F ≡ 0 makes each coordinate x' = (1 − a)x + noise with a = τσ²/(2s²) (SPEC §2): a ≥ 2
  // makes |1 − a| ≥ 1 and the chain explode whatever the data do.
  // An annealed σ passes through every value between its ends: the larger one bounds a.
  const { tau, priorStd } = config;
  const sigma = Math.max(config.sigma, config.sigmaFinal ?? 0);
  if ((tau * sigma * sigma) / (2 * priorStd * priorStd) >= 2) {
    const bound = (4 * priorStd * priorStd) / (sigma * sigma);
    throw new ConfigError(
      `${name('tau')} must be < ${formatNumber(bound)} for ${name('sigma')} ${sigma} and ` +
        `${name('priorStd')} ${priorStd} (the prior's pull a = τσ²/(2·priorStd²) must stay ` +
        `below 2, or the dynamics explode), got ${formatNumber(tau)}`,
      { field: 'tau', kind: 'conflict' },
    );
  }

  const { dataset } = config;
  if (dataset.name !== 'none' && dataset.name !== 'csv') {
    const p = dataset.dim + (config.bias ? 1 : 0);
    const floats = (dataset.samples + dataset.testSamples) * (p + 1);
    if (floats > MAX_DATA_FLOATS) {
      throw new ConfigError(
        `${name('samples')} and ${name('testSamples')} make a data set of ${floats} floats ` +
          `(${name('dim')} ${dataset.dim}); at most ${MAX_DATA_FLOATS} (1 GiB) are allowed`,
        { field: 'samples', kind: 'conflict' },
      );
    }
  }
  return config;
}

function formatNumber(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

/** The fields `config` does not use, each with the reason (given explicitly, they deserve a notice). */
export function ignoredFields(config: RunConfig): Map<RunFieldKey, string> {
  const ignored = new Map<RunFieldKey, string>();
  const because = (reason: string, ...keys: RunFieldKey[]): void => {
    for (const key of keys) if (!ignored.has(key)) ignored.set(key, reason);
  };
  switch (config.dataset.name) {
    case 'none':
      because('there is no data (dataset none)', 'samples', 'testSamples', 'noise', 'batch');
      because('there is no data (dataset none)', 'activation', 'loss', 'huberDelta');
      break;
    case 'gaussians':
      because('dataset gaussians has no label noise', 'noise');
      break;
    case 'sine':
      because('dataset sine is 1-D', 'dim');
      break;
    case 'csv':
      because(
        'dataset csv takes its points from the file',
        'dim',
        'samples',
        'testSamples',
        'noise',
      );
      break;
    case 'teacher':
      break;
  }
  if (config.dataset.name !== 'gaussians') because('the data set is not gaussians', 'separation');
  if (config.loss !== 'huber') because('the loss is not huber', 'huberDelta');
  return ignored;
}

// ---------------------------------------------------------------------------------------
// Plain objects (JSON config files, URL parameters)

/**
 * A RunConfig from a plain object of field values, keyed by field (`priorStd`) or by flag
 * name without dashes (`prior-std`); values are strings, numbers or booleans; fields not
 * given keep `base`'s values. Throws a ConfigError naming the key as given, or when `object`
 * (parsed JSON, say) is not an object at all.
 */
export function parseConfigObject(object: unknown, base: RunConfig = DEFAULT_CONFIG): RunConfig {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new ConfigError(`a config must be an object of fields, got ${showRaw(object)}`, {
      kind: 'range',
    });
  }
  const byName = new Map<string, RunFieldKey>();
  for (const key of RUN_KEYS) byName.set(key, key).set(kebab(key), key);
  const given: GivenValue[] = Object.entries(object as Record<string, unknown>).map(
    ([name, raw]) => {
      const key = byName.get(name);
      if (!key) throw unknownNameError('field', name, RUN_KEYS);
      return { key, name: showRaw(name), raw };
    },
  );
  return resolveConfig(parseGiven(given), base, (key) => showRaw(key));
}

// ---------------------------------------------------------------------------------------
// Command line

export interface CliOptions {
  readonly json: string | null;
  readonly saveParticles: string | null;
  readonly checkpoint: string | null;
  readonly checkpointEvery: number | null;
  readonly resume: string | null;
  readonly threads: number | null;
  readonly entropySubsample: number;
  readonly help: boolean;
}

/**
 * The run fields a resumed run may change: how far it goes, how often it logs, where it runs.
 * The others fix the trajectory, which the checkpoint's config already does.
 */
export const RESUMABLE_FIELDS: readonly RunFieldKey[] = ['steps', 'logEvery', 'backend'];

export interface ParsedRunArgs {
  readonly config: RunConfig;
  readonly cli: CliOptions;
  /** The run fields the user gave explicitly, as the flags they typed. */
  readonly given: ReadonlyMap<RunFieldKey, string>;
}

/** The values of the command-line fields of `mfld run`, each null where not given (the entropy subsample: its default). */
const cliOptionsOf = (values: ParsedValues): CliOptions => {
  const value = <K extends FieldKey>(key: K): ValueOf<K> | null => givenValue(values, key) ?? null;
  return {
    json: value('json'),
    saveParticles: value('saveParticles'),
    checkpoint: value('checkpoint'),
    checkpointEvery: value('checkpointEvery'),
    resume: value('resume'),
    threads: value('threads'),
    entropySubsample: valueOrDefault(values, 'entropySubsample'),
    help: false,
  };
};

/** The run fields the user gave, as the flags they typed. */
export function givenRunFields(values: ParsedValues): Map<RunFieldKey, string> {
  const given = new Map<RunFieldKey, string>();
  for (const key of RUN_KEYS) {
    const value = values.get(key);
    if (value) given.set(key, value.name);
  }
  return given;
}

/**
 * Parses the flags of `mfld run` (`--flag value` or `--flag=value`) over `base`. With
 * `--help` (or `-h`) anywhere, returns at once with `cli.help` set and `base` as config.
 */
export function parseRunArgs(
  args: readonly string[],
  base: RunConfig = DEFAULT_CONFIG,
): ParsedRunArgs {
  const { given, help } = tokenize(args, 'run');
  if (help) {
    return { config: base, cli: { ...cliOptionsOf(new Map()), help: true }, given: new Map() };
  }
  const values = parseGiven(given);
  const cli = cliOptionsOf(values);
  if (cli.resume !== null) {
    for (const key of RUN_KEYS) {
      const value = values.get(key);
      if (value && !RESUMABLE_FIELDS.includes(key)) {
        throw new ConfigError(
          `${value.name} cannot be given with --resume ${cli.resume}: a resumed run keeps the ` +
            `config of its checkpoint; only ${RESUMABLE_FIELDS.map(flagOf).join(', ')} and ` +
            `the output flags may be given`,
          { field: key, kind: 'conflict' },
        );
      }
    }
  }
  const checkpointEvery = values.get('checkpointEvery');
  if (checkpointEvery && !values.has('checkpoint')) {
    throw new ConfigError(`${checkpointEvery.name} needs --checkpoint PATH (where to write)`, {
      field: 'checkpointEvery',
      kind: 'conflict',
    });
  }
  const config = resolveConfig(values, base, flagOf);
  return { config, cli, given: givenRunFields(values) };
}

export interface FlagDoc {
  readonly key: FieldKey;
  /** `--prior-std X`, `--bias / --no-bias`. */
  readonly usage: string;
  readonly help: string;
  /** "a number > 0"; empty for a switch. */
  readonly range: string;
  /** The default as text, or null where there is none. */
  readonly defaultValue: string | null;
}

/** The flags of `command` for its usage text, in table order; run fields default to `base`'s. */
export function describeFlags(
  command: Command = 'run',
  base: RunConfig = DEFAULT_CONFIG,
): FlagDoc[] {
  const defaults: Record<string, string | number | boolean> = configToJson(base);
  return fieldsOf(command).map((key) => {
    const { kind, help, negatable, fallback, defaultText } = fieldOf(key);
    const flag = flagOf(key);
    const usage = kind.isSwitch
      ? negatable
        ? `${flag} / --no-${flag.slice(2)}`
        : flag
      : `${flag} ${kind.placeholder}`;
    const fixed = key in defaults ? defaults[key] : undefined;
    const defaultValue =
      defaultText ??
      (fixed !== undefined
        ? String(fixed)
        : fallback !== undefined
          ? String(kind.toJson(fallback))
          : null);
    return { key, usage, help, range: kind.isSwitch ? '' : kind.range, defaultValue };
  });
}
