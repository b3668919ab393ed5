// The flags of `mfld sweep`, read by the one tokenizer from the field table: its own (--over,
// --values, --seeds, the output files, --shard, --merge) and those of `mfld run`, checked by
// the same table. Each swept value must pass as its flag.
import { DEFAULT_CONFIG, type RunConfig } from '../contract/config';
import { ConfigError, flagOf, resolveConfig } from '../contract/config-parse';
import type { Shard } from '../contract/field-kinds';
import type { FieldKey, ValueOf } from '../contract/fields';
import {
  givenValue,
  parseGiven,
  tokenize,
  valueOrDefault,
  type GivenValue,
} from '../contract/tokenize';
import type { SweepField } from '../study/sweep';
import type { CommandDoc } from './help';

const MAX_VALUES = 1000;

export interface SweepOptions {
  readonly over: SweepField;
  readonly values: number[];
  readonly seeds: number;
  readonly json: string | null;
  readonly csv: string | null;
  readonly svg: string | null;
  /** One config per value, in the order given. */
  readonly configs: { value: number; config: RunConfig }[];
  readonly threads: number | null;
  /** --shard: the part of the runs this invocation runs; null: all. */
  readonly shard: Shard | null;
  /** --merge: the parts' JSON files, which then give the sweep instead of the flags. */
  readonly merge: string[] | null;
  /** Particles the free energy's entropy estimate uses, at most. */
  readonly entropySubsample: number;
  readonly help: boolean;
}

export const SWEEP_DOC: CommandDoc = {
  command: 'sweep',
  summary: 'the run for each value of n or σ, K seeds each, with a fit',
  synopsis: [
    'mfld sweep --over n|sigma --values V1,V2,… [--seeds K] [--shard I/K] [--json PATH] [--csv PATH] [--svg PATH] [mfld run flags]',
    'mfld sweep --merge PART.json… [--json PATH] [--csv PATH] [--svg PATH]',
  ],
  about: [
    'Runs the study of `mfld run` once for each value of --over, with K seeds each (seed,',
    'seed + 1, …), and reports the final train and test loss of every run and their means.',
    '--over n also fits the log–log slope of the mean final train loss against n.',
    'With --merge, the parts give the sweep: only --json, --csv and --svg may be given too.',
  ],
};

/** The flags --merge takes with it: the parts give everything else. */
const WITH_MERGE: readonly FieldKey[] = ['merge', 'sweepJson', 'csv', 'svg'];

export function parseSweepArgs(args: readonly string[]): SweepOptions {
  const { given, help } = tokenize(args, 'sweep');
  const values = parseGiven(given);
  const value = <K extends FieldKey>(key: K): ValueOf<K> | undefined => givenValue(values, key);
  const files = {
    json: value('sweepJson') ?? null,
    csv: value('csv') ?? null,
    svg: value('svg') ?? null,
  };
  const common: Omit<SweepOptions, 'help'> = {
    ...files,
    values: [],
    configs: [],
    seeds: 1,
    over: 'n',
    threads: null,
    shard: null,
    merge: null,
    entropySubsample: valueOrDefault(values, 'entropySubsample'),
  };
  if (help) return { ...common, help: true };
  const merge = value('merge');
  if (merge !== undefined) {
    const extra = given.find(({ key }) => !WITH_MERGE.includes(key));
    if (extra !== undefined) {
      throw new ConfigError(
        `${extra.name} cannot be given with --merge: the parts hold the sweep`,
        {
          field: extra.key,
          kind: 'conflict',
        },
      );
    }
    return { ...common, merge, help: false };
  }

  const over = value('over');
  if (over === undefined) {
    throw new ConfigError('--over is required: n or sigma', { field: 'over', kind: 'required' });
  }
  const overGiven = values.get(over);
  if (overGiven) {
    throw new ConfigError(`${overGiven.name} cannot be given with --over ${over}`, {
      field: over,
      kind: 'conflict',
    });
  }
  const valuesRaw = value('values');
  if (valuesRaw === undefined) {
    throw new ConfigError('--values is required: V1,V2,…', { field: 'values', kind: 'required' });
  }
  const configs = sweptConfigs(given, over, valuesRaw);
  const swept = configs.map(({ value: v }) => v);
  const repeated = swept.find((v, i) => swept.indexOf(v) !== i);
  if (repeated !== undefined) {
    throw new ConfigError(`--values has ${repeated} twice`, { field: 'values', kind: 'range' });
  }
  const seeds = valueOrDefault(values, 'seeds');
  const { seed } = configs[0]!.config;
  if (seed + seeds - 1 > Number.MAX_SAFE_INTEGER) {
    throw new ConfigError(`--seed ${seed} plus --seeds ${seeds} passes 2^53 - 1`, {
      field: 'seeds',
      kind: 'conflict',
    });
  }
  return {
    ...common,
    over,
    values: swept,
    seeds,
    configs,
    threads: value('threads') ?? null,
    shard: value('shard') ?? null,
    help: false,
  };
}

/** One config for each of `--values`, each value checked as the flag of `over` itself. */
function sweptConfigs(
  given: readonly GivenValue[],
  over: SweepField,
  valuesRaw: string,
): { value: number; config: RunConfig }[] {
  const pieces = valuesRaw.split(',').map((piece) => piece.trim());
  if (pieces.length > MAX_VALUES) {
    throw new ConfigError(`--values takes at most ${MAX_VALUES} values, got ${pieces.length}`, {
      field: 'values',
      kind: 'range',
    });
  }
  return pieces.map((piece) => {
    if (piece === '') {
      throw new ConfigError(`--values has an empty value in "${valuesRaw}"`, {
        field: 'values',
        kind: 'range',
      });
    }
    try {
      const values = parseGiven([...given, { key: over, name: flagOf(over), raw: piece }]);
      const config = resolveConfig(values, DEFAULT_CONFIG, flagOf);
      return { value: config[over], config };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(`--values ${piece}: ${error.message}`, {
        field: 'values',
        kind: error.kind,
      });
    }
  });
}
