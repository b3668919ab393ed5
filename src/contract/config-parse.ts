// From user input to a RunConfig. Every field is described once, in FIELDS below (its kind,
// range and help), and everything else is derived from that table: the CLI flags and their
// parsing, the validation of plain objects (JSON config files, URL parameters), the usage
// text and the JSON form of a resolved config. Error messages name the field the way the
// user wrote it (`--prior-std`, or `priorStd` in a JSON file) and say the allowed range.
import { BACKENDS, DATASETS, DEFAULT_CONFIG, type DatasetName, type RunConfig } from './config';
import { ACTIVATIONS, LOSSES } from './model';
import { ENTROPY_SUBSAMPLE } from './observables';

/** Input the user can fix: the front ends show the message alone, with no stack trace. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * A decimal number as people write it: no hex, no empty string (which `Number` reads as 0).
 * Unambiguous on purpose: `\d+\.?\d*` would split a run of digits in every possible way when the
 * match fails, quadratic time (seconds for a 30,000-digit CSV field or flag value).
 */
export const DECIMAL_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

// ---------------------------------------------------------------------------------------
// Kinds of values

interface Kind<V> {
  /** Completes "must be …": "an integer from 1 to 2^26". */
  readonly range: string;
  /** What stands for the value in the usage text: "INT", "tanh|sigmoid|relu". */
  readonly placeholder: string;
  /** A switch (`--bias`) takes no value on the command line. */
  readonly isSwitch?: true;
  /** The value, or undefined when `raw` (a string, or a JSON number/boolean) is not valid. */
  parse(raw: unknown): V | undefined;
  /** The JSON form of a value; `parse` takes it back. */
  toJson(value: V): string | number | boolean;
}

/** `+ 0` turns −0 (from "-0") into 0, so a resolved config never holds −0. */
function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw + 0;
  if (typeof raw === 'string' && DECIMAL_NUMBER.test(raw.trim())) return Number(raw) + 0;
  return undefined;
}

function integer(min: number, max: number, maxText = String(max)): Kind<number> {
  return {
    range: `an integer from ${min} to ${maxText}`,
    placeholder: 'INT',
    parse: (raw) => {
      const value = toNumber(raw);
      return value !== undefined && Number.isInteger(value) && value >= min && value <= max
        ? value
        : undefined;
    },
    toJson: (value) => value,
  };
}

/** A finite number above (`>`) or from (`>=`) a lower bound. */
function real(bound: '>' | '>=', lower: number): Kind<number> {
  return {
    range: `a number ${bound} ${lower}`,
    placeholder: 'X',
    parse: (raw) => {
      const value = toNumber(raw);
      if (value === undefined || !Number.isFinite(value)) return undefined;
      return (bound === '>' ? value > lower : value >= lower) ? value : undefined;
    },
    toJson: (value) => value,
  };
}

/** A finite number in [lower, upper). */
function halfOpen(lower: number, upper: number): Kind<number> {
  return {
    range: `a number >= ${lower} and < ${upper}`,
    placeholder: 'X',
    parse: (raw) => {
      const value = toNumber(raw);
      return value !== undefined && value >= lower && value < upper ? value : undefined;
    },
    toJson: (value) => value,
  };
}

function oneOf<T extends string>(values: readonly T[]): Kind<T> {
  return {
    range: `one of ${values.join(', ')}`,
    placeholder: values.join('|'),
    parse: (raw) => values.find((v) => v === raw),
    toJson: (value) => value,
  };
}

const switchKind: Kind<boolean> = {
  range: 'true or false',
  placeholder: '',
  isSwitch: true,
  parse: (raw) => {
    if (typeof raw === 'boolean') return raw;
    return raw === 'true' ? true : raw === 'false' ? false : undefined;
  },
  toJson: (value) => value,
};

function path(extension?: string): Kind<string> {
  return {
    range: extension ? `a file path ending in ${extension}` : 'a file path',
    placeholder: extension ? `PATH${extension}` : 'PATH',
    parse: (raw) =>
      typeof raw === 'string' && raw !== '' && (!extension || raw.endsWith(extension))
        ? raw
        : undefined,
    toJson: (value) => value,
  };
}

export interface DatasetChoice {
  readonly name: DatasetName;
  /** The CSV file, for `csv` only. */
  readonly path: string | null;
}

const SYNTHETIC_DATASETS = DATASETS.filter((name) => name !== 'csv');

const datasetKind: Kind<DatasetChoice> = {
  range: `one of ${SYNTHETIC_DATASETS.join(', ')}, or csv:PATH`,
  placeholder: `${SYNTHETIC_DATASETS.join('|')}|csv:PATH`,
  parse: (raw) => {
    if (typeof raw !== 'string') return undefined;
    if (raw.startsWith('csv:')) {
      const path = raw.slice('csv:'.length);
      return path === '' ? undefined : { name: 'csv', path };
    }
    const name = SYNTHETIC_DATASETS.find((n) => n === raw);
    return name ? { name, path: null } : undefined;
  },
  toJson: (value) => (value.name === 'csv' ? `csv:${value.path ?? ''}` : value.name),
};

/** σ at the last step when σ is annealed, or `none` for a constant σ. */
const sigmaFinalKind: Kind<number | null> = {
  range: 'a number >= 0, or none',
  placeholder: 'X|none',
  parse: (raw) => (raw === 'none' || raw === null ? null : real('>=', 0).parse(raw)),
  toJson: (value) => value ?? 'none',
};

const MAX_BATCH = 65536;

const batchKind: Kind<'full' | number> = {
  range: `"full" or an integer from 1 to ${MAX_BATCH}`,
  placeholder: 'full|B',
  parse: (raw) => (raw === 'full' ? 'full' : integer(1, MAX_BATCH).parse(raw)),
  toJson: (value) => value,
};

// ---------------------------------------------------------------------------------------
// The table

interface Field<V> {
  readonly kind: Kind<V>;
  readonly help: string;
}

const field = <V>(kind: Kind<V>, help: string): Field<V> => ({ kind, help });

/** The fields of a RunConfig, in the order of the usage text. */
const RUN_FIELDS = {
  dataset: field(datasetKind, 'data set (none: no data, F = 0)'),
  dim: field(integer(1, 4096), 'input dimension, before the bias feature (teacher, gaussians)'),
  samples: field(integer(1, 1e7, '10^7'), 'training points (synthetic data sets)'),
  testSamples: field(integer(0, 1e7, '10^7'), 'held-out points (synthetic data sets; 0: none)'),
  noise: field(real('>=', 0), 'standard deviation of the label noise (teacher, sine)'),
  separation: field(
    halfOpen(0, 1),
    'Δ of gaussians: inputs N(0, (1 ± Δ)² I) for labels ±1 (Mei, Montanari, Nguyen 2018)',
  ),
  n: field(integer(1, 2 ** 26, '67108864 (2^26)'), 'number of particles (neurons)'),
  steps: field(integer(0, 1e9, '10^9'), 'time steps to run, counted from step 0'),
  sigma: field(real('>=', 0), 'noise level σ of the Langevin dynamics'),
  sigmaFinal: field(
    sigmaFinalKind,
    'anneal σ linearly from --sigma at step 0 to this at step --steps (none: constant σ)',
  ),
  tau: field(real('>', 0), 'time step τ (needs τσ²/(2·prior-std²) < 2)'),
  batch: field(batchKind, 'data points per step: all, or B drawn with replacement'),
  activation: field(oneOf(ACTIVATIONS), 'activation φ of a neuron'),
  loss: field(oneOf(LOSSES), 'loss Φ of the residual'),
  huberDelta: field(real('>', 0), "Huber's δ (loss huber)"),
  priorStd: field(real('>', 0), 'standard deviation of the Gaussian prior g'),
  initStd: field(real('>=', 0), 'standard deviation of the initial particles'),
  seed: field(
    integer(0, 2 ** 53 - 1, '9007199254740991 (2^53 - 1)'),
    'seed of all random numbers (data included)',
  ),
  bias: field(switchKind, 'append a constant input feature 1 (--no-bias: do not)'),
  backend: field(oneOf(BACKENDS), 'where to run (auto: WebGPU on a hardware adapter, else CPU)'),
  logEvery: field(integer(1, 1e9, '10^9'), 'read and log the loss every this many steps'),
} as const;

/** Fields of the command line only: they say what to do with a run, not what it is. */
const CLI_FIELDS = {
  json: field(path(), 'write the run summary as JSON to this file'),
  saveParticles: field(path('.npy'), 'write the final particles as a .npy file'),
  checkpoint: field(
    path(),
    'write a checkpoint to this file at the end, on divergence (the last good state) ' +
      'and every --checkpoint-every steps',
  ),
  checkpointEvery: field(
    integer(1, 1e9, '10^9'),
    'also write the checkpoint at every step that is a multiple of this (needs --checkpoint)',
  ),
  resume: field(
    path(),
    'continue the run of this checkpoint; only --steps (the total), --log-every, --backend ' +
      'and the output flags may be given',
  ),
  threads: field(integer(1, 1024), 'CPU backend threads (default: one per core)'),
  entropySubsample: field(
    integer(2, 1e6, '10^6'),
    `particles the entropy estimate of the free energy uses, at most (default ${ENTROPY_SUBSAMPLE})`,
  ),
  help: field(switchKind, 'show this help'),
} as const;

export type RunFieldKey = keyof typeof RUN_FIELDS;
type CliFieldKey = keyof typeof CLI_FIELDS;
type FieldKey = RunFieldKey | CliFieldKey;
type ValueOf<F> = F extends Field<infer V> ? V : never;

/** A RunConfig as one flat record of field values, keyed as in RUN_FIELDS. */
export type ConfigFields = { -readonly [K in RunFieldKey]: ValueOf<(typeof RUN_FIELDS)[K]> };
type CliFields = { -readonly [K in CliFieldKey]: ValueOf<(typeof CLI_FIELDS)[K]> };

const ALL_FIELDS: Record<FieldKey, Field<unknown>> = { ...RUN_FIELDS, ...CLI_FIELDS };
const RUN_KEYS = Object.keys(RUN_FIELDS) as RunFieldKey[];

/** `priorStd` → `prior-std`. */
const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** The command-line flag of a field: `priorStd` → `--prior-std`. */
export const flagOf = (key: FieldKey): string => `--${kebab(key)}`;

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
    json[key] = (RUN_FIELDS[key].kind as Kind<unknown>).toJson(fields[key]);
  }
  return json;
}

// ---------------------------------------------------------------------------------------
// Validation

/** One value as the user gave it; `name` is how they named the field. */
interface GivenValue {
  readonly key: FieldKey;
  readonly name: string;
  readonly raw: unknown;
}

/** Longer values are cut in messages: a pasted file should not fill the terminal. */
const SHOWN_CHARACTERS = 200;

/**
 * A value as the user gave it, for messages: strings, arrays and objects as JSON (`String`
 * would throw on `{"toString": null}`), the rest as `String` does.
 */
function showRaw(raw: unknown): string {
  let text: string;
  if (typeof raw === 'string' || (typeof raw === 'object' && raw !== null)) {
    try {
      text = JSON.stringify(raw) ?? 'an object';
    } catch {
      text = 'an object';
    }
  } else {
    text = String(raw);
  }
  return text.length <= SHOWN_CHARACTERS
    ? text
    : `${text.slice(0, SHOWN_CHARACTERS)}… (${text.length} characters)`;
}

/** Parses each given value and rejects fields given twice; returns the values by key. */
function parseGiven(given: readonly GivenValue[]): Map<FieldKey, { name: string; value: unknown }> {
  const values = new Map<FieldKey, { name: string; value: unknown }>();
  for (const { key, name, raw } of given) {
    const earlier = values.get(key);
    if (earlier) {
      const also = earlier.name === name ? '' : ` (also as ${earlier.name})`;
      throw new ConfigError(`${name} is given twice${also}`);
    }
    const kind = ALL_FIELDS[key].kind;
    const value = kind.parse(raw);
    if (value === undefined) {
      throw new ConfigError(`${name} must be ${kind.range}, got ${showRaw(raw)}`);
    }
    values.set(key, { name, value });
  }
  return values;
}

/** Above this many floats (1 GiB) a data set does not fit in memory comfortably. */
const MAX_DATA_FLOATS = 2 ** 28;

/**
 * Builds the RunConfig from `base` and the given run fields, and checks what involves several
 * fields. `nameOf` names a field the user did not give (`--tau` or `tau`).
 */
function resolve(
  values: Map<FieldKey, { name: string; value: unknown }>,
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

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function unknownNameError(what: string, name: string, known: readonly string[]): ConfigError {
  let best = '';
  let bestDistance = Infinity;
  const allowed = Math.max(2, Math.floor(name.length / 3));
  for (const candidate of known) {
    // The distance is at least the difference in length: skipping the names that cannot be
    // close keeps a huge unknown name from costing its length times every known name's.
    if (Math.abs(name.length - candidate.length) > allowed) continue;
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  const close = bestDistance <= allowed;
  return new ConfigError(
    `unknown ${what} ${showRaw(name)}${close ? `; did you mean ${best}?` : ''}`,
  );
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
    throw new ConfigError(`a config must be an object of fields, got ${showRaw(object)}`);
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
  return resolve(parseGiven(given), base, (key) => showRaw(key));
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
  /** Null: the default, ENTROPY_SUBSAMPLE of contract/observables.ts. */
  readonly entropySubsample: number | null;
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

/** Every flag of `mfld run`, with the field it sets and the value a switch sets. */
function flagTable(): Map<string, { key: FieldKey; switchValue?: boolean }> {
  const flags = new Map<string, { key: FieldKey; switchValue?: boolean }>();
  for (const key of Object.keys(ALL_FIELDS) as FieldKey[]) {
    if (ALL_FIELDS[key].kind.isSwitch) {
      flags.set(flagOf(key), { key, switchValue: true });
      if (key !== 'help') flags.set(`--no-${kebab(key)}`, { key, switchValue: false });
    } else {
      flags.set(flagOf(key), { key });
    }
  }
  return flags;
}

/**
 * Parses the flags of `mfld run` (`--flag value` or `--flag=value`) over `base`. With
 * `--help` (or `-h`) anywhere, returns at once with `cli.help` set and `base` as config.
 */
export function parseRunArgs(
  args: readonly string[],
  base: RunConfig = DEFAULT_CONFIG,
): ParsedRunArgs {
  const noCli: CliOptions = {
    json: null,
    saveParticles: null,
    checkpoint: null,
    checkpointEvery: null,
    resume: null,
    threads: null,
    entropySubsample: null,
    help: false,
  };
  if (args.includes('--help') || args.includes('-h')) {
    return { config: base, cli: { ...noCli, help: true }, given: new Map() };
  }
  const flags = flagTable();
  const given: GivenValue[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (!token.startsWith('--')) {
      throw new ConfigError(`unexpected argument ${showRaw(token)} (flags start with --)`);
    }
    const equals = token.indexOf('=');
    const name = equals < 0 ? token : token.slice(0, equals);
    const inline = equals < 0 ? undefined : token.slice(equals + 1);
    const flag = flags.get(name);
    if (!flag) throw unknownNameError('flag', name, [...flags.keys()]);
    const { kind } = ALL_FIELDS[flag.key];
    if (flag.switchValue !== undefined) {
      if (inline !== undefined)
        throw new ConfigError(`${name} takes no value, got ${showRaw(inline)}`);
      given.push({ key: flag.key, name, raw: flag.switchValue });
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = args[i + 1];
      // A value may start with one dash (--prior-std -1, a user error caught by the range).
      if (next !== undefined && !next.startsWith('--')) {
        raw = next;
        i++;
      }
    }
    if (raw === undefined || raw === '') {
      throw new ConfigError(`${name} needs a value: ${kind.range}`);
    }
    given.push({ key: flag.key, name, raw });
  }

  const values = parseGiven(given);
  const cliValue = <K extends CliFieldKey>(key: K): CliFields[K] | undefined =>
    values.get(key)?.value as CliFields[K] | undefined;
  const resume = cliValue('resume');
  if (resume !== undefined) {
    for (const key of RUN_KEYS) {
      const value = values.get(key);
      if (value && !RESUMABLE_FIELDS.includes(key)) {
        throw new ConfigError(
          `${value.name} cannot be given with --resume ${resume}: a resumed run keeps the ` +
            `config of its checkpoint; only ${RESUMABLE_FIELDS.map(flagOf).join(', ')} and ` +
            `the output flags may be given`,
        );
      }
    }
  }
  const checkpointEvery = values.get('checkpointEvery');
  if (checkpointEvery && !values.has('checkpoint')) {
    throw new ConfigError(`${checkpointEvery.name} needs --checkpoint PATH (where to write)`);
  }
  const config = resolve(values, base, flagOf);
  const cli: CliOptions = {
    ...noCli,
    json: cliValue('json') ?? null,
    saveParticles: cliValue('saveParticles') ?? null,
    checkpoint: cliValue('checkpoint') ?? null,
    checkpointEvery: cliValue('checkpointEvery') ?? null,
    resume: resume ?? null,
    threads: cliValue('threads') ?? null,
    entropySubsample: cliValue('entropySubsample') ?? null,
  };
  const givenRun = new Map<RunFieldKey, string>();
  for (const key of RUN_KEYS) {
    const value = values.get(key);
    if (value) givenRun.set(key, value.name);
  }
  return { config, cli, given: givenRun };
}

export interface FlagDoc {
  /** `--prior-std X`, `--bias / --no-bias`. */
  readonly usage: string;
  readonly help: string;
  /** "a number > 0". */
  readonly range: string;
  /** The default as text, or null where there is none. */
  readonly defaultValue: string | null;
}

/** The flags of `mfld run` for the usage text, in table order. */
export function describeFlags(base: RunConfig = DEFAULT_CONFIG): FlagDoc[] {
  const defaults = configToJson(base);
  return (Object.keys(ALL_FIELDS) as FieldKey[]).map((key) => {
    const { kind, help } = ALL_FIELDS[key];
    const flag = flagOf(key);
    const usage = kind.isSwitch
      ? key === 'help'
        ? flag
        : `${flag} / --no-${kebab(key)}`
      : `${flag} ${kind.placeholder}`;
    const fallback = key in defaults ? defaults[key] : undefined;
    return {
      usage,
      help,
      range: kind.isSwitch ? '' : kind.range,
      defaultValue: fallback === undefined ? null : String(fallback),
    };
  });
}
