// The benchmark page's inputs and outputs, browser-safe and pure: the form's fields checked
// into a BenchConfig, the page's JSON record (the shape of `mfld bench --json` where the
// browser can know the same) and its CSV table.
import { isLaneParticles, type LaneParticles } from '../gpu/particle-rows';
import { MAX_GROUP_CHUNKS } from '../gpu/simulation';
import type { BenchConfig, BenchMeasurement, DeviceLimits, Timing } from './measurement';
import { summarize } from './counts';

/** A form field the benchmark cannot run with; the message names the field and the rule. */
export class BenchInputError extends Error {
  override readonly name = 'BenchInputError';
}

/** Counter words are 32-bit (SPEC §3): particle indices stay below this. */
export const MAX_SIZE = 2 ** 32 - 1;
/** The largest d the GPU kernels take (MAX_GPU_COORDINATES) and the smallest with one raw input and the bias. */
export const D_RANGE = { min: 3, max: 256 } as const;

export interface BenchFields {
  readonly sizes: string;
  readonly dim: string;
  readonly batch: string;
  /** Empty: as many steps as make a timed block last about half a second. */
  readonly steps: string;
  readonly repeats: string;
  readonly threads: string;
  readonly skipCpu: boolean;
  /** Particles per GPU invocation: 1, 2, 4, or empty / "auto" for the engine's default. */
  readonly lanes: string;
  /** Chunks each GPU workgroup walks: a whole number, or empty / "auto" for the engine's default. */
  readonly groupChunks: string;
}

function integer(name: string, text: string, min: number, max: number): number {
  const trimmed = text.trim();
  const value = /^\d{1,16}$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new BenchInputError(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  return value;
}

/** The form's fields as a configuration; throws BenchInputError naming the first bad field. */
export function parseBenchFields(fields: BenchFields): BenchConfig {
  const parts = fields.sizes.split(/[,\s]+/).filter((part) => part !== '');
  if (parts.length === 0)
    throw new BenchInputError('sizes: give at least one particle count n, e.g. 1024, 4096');
  const sizes = [
    ...new Set(parts.map((part) => integer(`size ${JSON.stringify(part)}`, part, 1, MAX_SIZE))),
  ].sort((a, b) => a - b);
  return {
    sizes,
    d: integer('dim d', fields.dim, D_RANGE.min, D_RANGE.max),
    batch: integer('batch B', fields.batch, 1, MAX_SIZE),
    steps: fields.steps.trim() === '' ? null : integer('steps', fields.steps, 1, 1_000_000),
    repeats: integer('repeats', fields.repeats, 1, 1000),
    cpuThreads: integer('CPU threads', fields.threads, 1, 1024),
    skipCpu: fields.skipCpu,
    laneParticles: laneParticlesField(fields.lanes),
    groupChunks: groupChunksField(fields.groupChunks),
  };
}

/** The page's "particles per invocation" field: empty or "auto" for the engine's default. */
function laneParticlesField(text: string): LaneParticles | null {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'auto') return null;
  const value = Number(trimmed);
  if (!isLaneParticles(value)) {
    throw new BenchInputError(
      `particles per invocation must be 1, 2, 4 or auto, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** The page's "chunks per workgroup" field: empty or "auto" for the engine's default. */
function groupChunksField(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'auto') return null;
  return integer('chunks per workgroup (or auto)', text, 1, MAX_GROUP_CHUNKS);
}

/** The URL query key of each field: the input's id, which is the CLI's flag name where one exists. */
const QUERY_KEYS = {
  sizes: 'sizes',
  dim: 'dim',
  batch: 'batch',
  steps: 'steps',
  repeats: 'repeats',
  threads: 'threads',
  skipCpu: 'skip-cpu',
  lanes: 'lanes',
  groupChunks: 'group-chunks',
} as const satisfies Record<keyof BenchFields, string>;

type TextField = Exclude<keyof BenchFields, 'skipCpu'>;

export interface BenchQuery {
  /** The fields the query gives, as text (checked by parseBenchFields on Run). */
  readonly fields: { -readonly [K in TextField]?: string };
  /** skip-cpu as given, or null when the query leaves it out. */
  readonly skipCpu: boolean | null;
  /** `autorun=1`: run on opening. */
  readonly autorun: boolean;
  /** Keys that are no field, and a skip-cpu or autorun that is not 0, 1, false or true. */
  readonly errors: string[];
}

function queryBoolean(name: string, value: string, errors: string[]): boolean {
  if (value === '1' || value === 'true') return true;
  if (!(value === '0' || value === 'false'))
    errors.push(`URL parameter ${name} must be 1, true, 0 or false, got ${JSON.stringify(value)}`);
  return false;
}

/** The page's fields from its URL query (`?sizes=1024,4096&dim=16&autorun=1`). */
export function benchQuery(search: string): BenchQuery {
  const fields: BenchQuery['fields'] = {};
  const errors: string[] = [];
  let skipCpu: boolean | null = null;
  let autorun = false;
  const fieldOf = new Map<string, keyof BenchFields>(
    Object.entries(QUERY_KEYS).map(([field, key]) => [key, field as keyof BenchFields]),
  );
  for (const [name, value] of new URLSearchParams(search)) {
    const field = fieldOf.get(name);
    if (name === 'autorun') autorun = queryBoolean(name, value, errors);
    else if (field === 'skipCpu') skipCpu = queryBoolean(name, value, errors);
    else if (field !== undefined) fields[field] = value;
    else
      errors.push(
        `unknown URL parameter ${JSON.stringify(name)}; the parameters are ` +
          `${Object.values(QUERY_KEYS).join(', ')} and autorun`,
      );
  }
  return { fields, skipCpu, autorun, errors };
}

/** The URL query of the fields: every one, so a link is the whole configuration. */
export function benchFieldsQuery(fields: BenchFields): string {
  const params = new URLSearchParams();
  for (const [field, key] of Object.entries(QUERY_KEYS)) {
    const value = fields[field as keyof BenchFields];
    params.set(key, typeof value === 'boolean' ? (value ? '1' : '0') : value);
  }
  return params.toString();
}

/** The page's record: `mfld bench --json` with the browser in place of Node's machine facts. */
export interface PageBenchResult extends BenchMeasurement {
  readonly date: string;
  readonly browser: { readonly userAgent: string; readonly crossOriginIsolated: boolean };
  readonly cpu: {
    readonly threads: number;
    /** navigator.hardwareConcurrency: logical cores the browser reports. */
    readonly logicalCores: number;
  };
}

const TIMING_COLUMNS = [
  'seconds_per_step_median',
  'seconds_per_step_min',
  'seconds_per_step_max',
  'particle_steps_per_second',
  'gflops',
  'gbps',
  'limit_gflops_median',
  'fraction_of_limit',
  'bandwidth_fraction',
  'steps',
  'blocks',
  'clock',
] as const;

function timingCells(timing: Timing | null): string[] {
  if (!timing) return TIMING_COLUMNS.map(() => '');
  return [
    timing.secondsPerStep.median,
    timing.secondsPerStep.min,
    timing.secondsPerStep.max,
    timing.particleStepsPerSecond,
    timing.gflops,
    timing.gbps,
    timing.limitGflops.median,
    timing.fractionOfLimit,
    timing.bandwidthFraction,
    timing.steps,
    timing.blocks,
    timing.clock,
  ].map(String);
}

/**
 * The results table's rows, for the page and the terminal alike: per size a GPU row and
 * (unless the CPU was skipped) a CPU row of n, backend, s/step median, with `withRange` its
 * min – max, particle-steps/s, GFLOP/s, fraction of the FLOP limit, GB/s, fraction of the
 * bandwidth, then GPU/CPU and agreement on the GPU row. `format` writes a number.
 */
export function resultRows(
  result: BenchMeasurement,
  format: (value: number) => string,
  withRange: boolean,
): string[][] {
  const percent = (fraction: number): string => `${format(100 * fraction)}%`;
  const timingCells = (timing: Timing | null): string[] => {
    if (!timing) return Array<string>(withRange ? 7 : 6).fill('–');
    const { median, min, max } = timing.secondsPerStep;
    return [
      format(median),
      ...(withRange ? [`${format(min)} – ${format(max)}`] : []),
      format(timing.particleStepsPerSecond),
      format(timing.gflops),
      percent(timing.fractionOfLimit),
      format(timing.gbps),
      percent(timing.bandwidthFraction),
    ];
  };
  const rows: string[][] = [];
  for (const size of result.sizes) {
    const agree = size.agreement
      ? `${size.agreement.ok ? 'yes' : 'NO'} (${size.agreement.worstDifference.toExponential(1)})`
      : 'unchecked';
    const ratio = size.ratio === null ? '–' : `×${format(size.ratio)}`;
    rows.push([String(size.n), 'gpu', ...timingCells(size.gpu), ratio, agree]);
    if (!result.config.skipCpu) rows.push(['', 'cpu', ...timingCells(size.cpu), '', '']);
  }
  return rows;
}

/**
 * The engine's layout in words: workgroup size, particles per invocation, chunks per
 * workgroup, reduction, shared data rows, the φ cache.
 */
export function engineSummary(result: BenchMeasurement): string {
  const { workgroupSize, laneParticles, groupChunks, reduction, quadLanes, phiCache } =
    result.engine;
  const chunk = workgroupSize * laneParticles;
  // Asked for, the chunks are walked as asked; by default fewer where n has few workgroups.
  const fewer =
    result.config.groupChunks === null
      ? 'fewer where n leaves under 16 workgroups'
      : 'as asked, fewer only where n has fewer chunks';
  return (
    `workgroups of ${workgroupSize} invocations holding ${laneParticles} particle${laneParticles > 1 ? 's' : ''} each, ` +
    (groupChunks > 1
      ? `walking up to ${groupChunks} chunks of ${chunk} particles (${fewer}), `
      : '') +
    `sums by ${reduction === 'subgroup' ? 'subgroup operations' : 'workgroup memory'}` +
    (quadLanes === null ? '' : `, data rows read ${quadLanes} lanes to a subgroup`) +
    (phiCache ? ", φ(α·z) kept for the next step's drift where n·B floats fit" : '')
  );
}

/**
 * The exponent line of a backend: the median of the rounds' fits of time per step against n,
 * with the rounds' least and greatest; null without a fit.
 */
export function exponentSummary(result: BenchMeasurement, backend: 'gpu' | 'cpu'): string | null {
  const fit = result.exponents[backend];
  if (!fit) return null;
  const { min, max } = summarize(fit.rounds);
  const rounds = fit.rounds.length;
  return (
    `${backend} time per step ∝ n^${fit.exponent.toFixed(3)} ` +
    `(median of ${rounds === 1 ? "1 round's fit" : `${rounds} rounds' fits`}, ${min.toFixed(3)}…${max.toFixed(3)}; ` +
    `R² ${fit.r2.toFixed(4)}; n = ${fit.range.from}…${fit.range.to}, ${fit.range.points} sizes)`
  );
}

/**
 * The limits line of the reports: each device's FMA rate and bandwidth as measured at the
 * start, and what the 'of peak' column divides by. `format` writes a number.
 */
export function limitsSummary(result: BenchMeasurement, format: (value: number) => string): string {
  const { gpu, cpu } = result.limits;
  const device = (name: string, limit: DeviceLimits) =>
    `${name} ${format(limit.gflops)} GFLOP/s (${limit.fmaConfig}), ${format(limit.gbps)} GB/s`;
  return (
    `${device('GPU', gpu)}${cpu ? `; ${device('CPU', cpu)}` : ''} at the start; ` +
    "'of peak' sets each timed block against an FMA block run right after it"
  );
}

/** How the GPU's and the CPU's blocks were timed, in words, for the reports. */
export function clockSummary(result: BenchMeasurement): string {
  const clocks = new Set(result.sizes.flatMap((size) => (size.gpu ? [size.gpu.clock] : [])));
  const gpu =
    clocks.size === 0
      ? 'GPU not timed'
      : clocks.has('host')
        ? clocks.size > 1
          ? 'GPU by its timestamp queries where usable, else by the host clock'
          : 'GPU by the host clock, submit to completion'
        : "GPU by its timestamp queries (the passes' own time)";
  return `${gpu}; CPU by the host clock`;
}

/** A header and one row per size; empty cells where a backend was not timed. */
export function benchCsv(result: BenchMeasurement): string {
  const header = [
    'n',
    ...TIMING_COLUMNS.map((c) => `gpu_${c}`),
    ...TIMING_COLUMNS.map((c) => `cpu_${c}`),
    'gpu_cpu_ratio',
    'agreement_ok',
    'agreement_worst_difference',
  ];
  const rows = result.sizes.map((size) => [
    String(size.n),
    ...timingCells(size.gpu),
    ...timingCells(size.cpu),
    size.ratio === null ? '' : String(size.ratio),
    size.agreement ? String(size.agreement.ok) : '',
    size.agreement ? String(size.agreement.worstDifference) : '',
  ]);
  return [header, ...rows].map((row) => row.join(',')).join('\n') + '\n';
}

/**
 * Particle-steps/s a device could reach at most by the counts: the lower of its FLOP/s over
 * the FLOP per particle-step and its bytes/s over the bytes per particle-step.
 */
export function rooflineParticleSteps(
  limit: { readonly gflops: number; readonly gbps: number },
  counts: { readonly flopPerParticleStep: number; readonly bytesPerParticleStep: number },
): number {
  return Math.min(
    (limit.gflops * 1e9) / counts.flopPerParticleStep,
    (limit.gbps * 1e9) / counts.bytesPerParticleStep,
  );
}

/**
 * The fitted exponent drawn on the time-per-step chart: at each size of the fit's range,
 * c · n^exponent with c chosen so that the line passes through the centre (on log–log) of
 * those sizes' median times; null elsewhere and without a fit. The fit is a median over
 * rounds and has no intercept of its own, so the line shows its slope where it was fitted.
 */
export function fitLine(result: BenchMeasurement, backend: 'gpu' | 'cpu'): (number | null)[] {
  const fit = result.exponents[backend];
  if (!fit) return result.sizes.map(() => null);
  const inRange = (n: number): boolean => n >= fit.range.from && n <= fit.range.to;
  // The fit's range holds only timed sizes, at least 2 of them.
  const fitted = result.sizes.flatMap((size) => {
    const timing = size[backend];
    return timing && inRange(size.n) ? [{ n: size.n, seconds: timing.secondsPerStep.median }] : [];
  });
  const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
  const logN = mean(fitted.map((point) => Math.log(point.n)));
  const logSeconds = mean(fitted.map((point) => Math.log(point.seconds)));
  return result.sizes.map((size) =>
    size[backend] && inRange(size.n)
      ? Math.exp(logSeconds + fit.exponent * (Math.log(size.n) - logN))
      : null,
  );
}
