// A sweep in parts, for running it on many machines (a Slurm job array, GNU parallel):
// `--shard I/K` runs every K-th run of the sweep from the I-th, and `--merge` joins the parts'
// JSON files into the runs of the whole sweep, whose table, fit and figure are then made as
// a single sweep makes them. A run depends only on its config and seed, so which part ran it
// changes nothing: the merged losses equal the single sweep's bit for bit.
import { parseConfigObject, configToJson, ConfigError } from '../contract/config-parse';
import type { RunConfig } from '../contract/config';
import type { Shard } from '../contract/field-kinds';
import { FileError } from '../io/file-error';
import { SWEEP_FIELDS, type SweepField, type SweepPlan, type SweepRun } from '../study/sweep';
import { readTextFile } from './output';

/** Every K-th plan from the I-th: the parts are disjoint, and each mixes small and large runs. */
export function shardPlans(plans: readonly SweepPlan[], shard: Shard | null): SweepPlan[] {
  return shard === null
    ? [...plans]
    : plans.filter((_, index) => index % shard.count === shard.index);
}

export const formatShard = (shard: Shard): string => `${shard.index}/${shard.count}`;

/** The sweep the parts make together. */
export interface MergedSweep {
  readonly over: SweepField;
  readonly values: number[];
  readonly seeds: number;
  /** The config of the first value (as a single sweep's JSON holds it). */
  readonly config: RunConfig;
  /** Every run, in the order a single sweep runs them. */
  readonly runs: SweepRun[];
  /** f at the training points of each run's final particles (parts of an n-sweep), or null. */
  readonly trainOutputs: (Float64Array | null)[];
  /** The parts' backends and adapters; several, comma- and semicolon-separated. */
  readonly backend: string;
  readonly adapter: string;
}

/** One part's sweep, as its JSON file holds it: its runs only, and its own backend. */
interface Part extends MergedSweep {
  readonly path: string;
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isNumberOrNull = (x: unknown): boolean => x === null || typeof x === 'number';
const isNumberList = (x: unknown): boolean =>
  Array.isArray(x) && x.every((v) => typeof v === 'number');

function readPart(path: string): Part {
  const bad = (why: string): FileError =>
    new FileError(`${path} is not the JSON of an mfld sweep: ${why}`);
  let record: unknown;
  try {
    record = JSON.parse(readTextFile(path));
  } catch (error) {
    if (error instanceof FileError) throw error;
    throw bad((error as Error).message);
  }
  if (!isRecord(record)) throw bad('not an object');
  const { over, values, seeds, config, runs, backend, adapter } = record;
  if (!(SWEEP_FIELDS as readonly unknown[]).includes(over)) throw bad('no "over" (n or sigma)');
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'number')) {
    throw bad('no "values" list');
  }
  if (!(typeof seeds === 'number' && Number.isInteger(seeds) && seeds >= 1))
    throw bad('no "seeds"');
  if (!Array.isArray(runs)) throw bad('no "runs" list');
  for (const [i, run] of runs.entries()) {
    const valid =
      isRecord(run) &&
      typeof run['value'] === 'number' &&
      Number.isInteger(run['seed']) &&
      (run['status'] === 'completed' || run['status'] === 'diverged') &&
      isNumberOrNull(run['train']) &&
      isNumberOrNull(run['test']) &&
      typeof run['steps'] === 'number' &&
      typeof run['seconds'] === 'number';
    if (!valid)
      throw bad(`runs[${i}] is not a run (value, seed, status, train, test, steps, seconds)`);
    const outputs = run['trainOutputs'];
    if (outputs !== undefined && !isNumberList(outputs)) {
      throw bad(`runs[${i}].trainOutputs is not a list of numbers`);
    }
  }
  // A part keeps f at the training points with each run; the merged sweep's runs do not.
  const trainOutputs = runs.map((run: Record<string, unknown>) => {
    const outputs = run['trainOutputs'] as number[] | undefined;
    delete run['trainOutputs'];
    return outputs === undefined || outputs.length === 0 ? null : Float64Array.from(outputs);
  });
  let parsedConfig: RunConfig;
  try {
    parsedConfig = parseConfigObject(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw bad(`its config: ${error.message}`);
  }
  return {
    path,
    over: over as SweepField,
    values,
    seeds,
    config: parsedConfig,
    runs: runs as SweepRun[],
    trainOutputs,
    backend: typeof backend === 'string' ? backend : '',
    adapter: typeof adapter === 'string' ? adapter : '',
  };
}

/** Why `part` is not a part of the same sweep as `first`, or null when it is. */
function difference(first: Part, part: Part): string | null {
  if (part.over !== first.over) return `it sweeps ${part.over}, ${first.path} sweeps ${first.over}`;
  if (part.values.join(',') !== first.values.join(',')) {
    return `its values are ${part.values.join(',')}, those of ${first.path} ${first.values.join(',')}`;
  }
  if (part.seeds !== first.seeds) {
    return `it has ${part.seeds} seeds per value, ${first.path} ${first.seeds}`;
  }
  const mine = configToJson(part.config);
  const theirs = configToJson(first.config);
  // The backend is how a part ran, not what: parts from other machines may differ in it.
  const key = Object.keys(theirs).find(
    (name) => name !== 'backend' && JSON.stringify(mine[name]) !== JSON.stringify(theirs[name]),
  );
  if (key !== undefined) {
    return (
      `its ${key} is ${JSON.stringify(mine[key])}, ` +
      `that of ${first.path} ${JSON.stringify(theirs[key])}`
    );
  }
  return null;
}

/** At most this many runs are named in a message; the rest are counted. */
const NAMED_RUNS = 10;

function listRuns(names: readonly string[]): string {
  const shown = names.slice(0, NAMED_RUNS).join('; ');
  return names.length > NAMED_RUNS ? `${shown}; and ${names.length - NAMED_RUNS} more` : shown;
}

/**
 * The parts' runs as the whole sweep's. Refuses parts of different sweeps (naming the field
 * that differs), a run two parts hold, and a run no part holds (a part not run, or stopped).
 */
export function mergeSweepParts(paths: readonly string[]): MergedSweep {
  const parts = paths.map(readPart);
  const first = parts[0];
  if (first === undefined) throw new ConfigError('--merge needs the JSON files of the parts');
  for (const part of parts.slice(1)) {
    const why = difference(first, part);
    if (why !== null) throw new FileError(`${part.path} is a part of another sweep: ${why}`);
  }
  const name = (value: number, seed: number): string => `${first.over} ${value} seed ${seed}`;
  const holder = new Map<
    string,
    { run: SweepRun; trainOutputs: Float64Array | null; path: string }
  >();
  const duplicated: string[] = [];
  const foreign: string[] = [];
  for (const part of parts) {
    for (const [i, run] of part.runs.entries()) {
      const key = name(run.value, run.seed);
      const held = holder.get(key);
      if (held) duplicated.push(`${key} (in ${held.path} and ${part.path})`);
      else holder.set(key, { run, trainOutputs: part.trainOutputs[i]!, path: part.path });
      const k = run.seed - first.config.seed;
      if (!first.values.includes(run.value) || !(k >= 0 && k < first.seeds)) {
        foreign.push(`${key} (in ${part.path})`);
      }
    }
  }
  if (foreign.length > 0) {
    throw new FileError(`runs that are not in the sweep: ${listRuns(foreign)}`);
  }
  if (duplicated.length > 0) {
    throw new FileError(`runs in more than one part: ${listRuns(duplicated)}`);
  }
  const runs: SweepRun[] = [];
  const trainOutputs: (Float64Array | null)[] = [];
  const missing: string[] = [];
  for (const value of first.values) {
    for (let k = 0; k < first.seeds; k++) {
      const key = name(value, first.config.seed + k);
      const held = holder.get(key);
      if (held) {
        runs.push(held.run);
        trainOutputs.push(held.trainOutputs);
      } else missing.push(key);
    }
  }
  if (missing.length > 0) {
    throw new FileError(
      `runs in no part (a part not run, or interrupted?): ${listRuns(missing)}; ` +
        `${runs.length} of ${runs.length + missing.length} runs are there`,
    );
  }
  // A part without runs (K above the number of runs) opened no backend.
  const distinct = (names: string[]): string => [...new Set(names.filter(Boolean))].join('; ');
  return {
    over: first.over,
    values: first.values,
    seeds: first.seeds,
    config: first.config,
    runs,
    trainOutputs,
    backend: distinct(parts.map((part) => part.backend)),
    adapter: distinct(parts.map((part) => part.adapter)),
  };
}
