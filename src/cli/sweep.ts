// `mfld sweep`: the study of `mfld run` for each value of n or σ, K seeds each, headless,
// with the final losses written as JSON, CSV and an SVG plot. Flag values are checked by
// the same table as `mfld run` (config-parse): each swept value must pass as its flag.
import type { RunConfig } from '../contract/config';
import { ConfigError, configToJson, flagOf, parseRunArgs } from '../contract/config-parse';
import { DeviceLimitError } from '../contract/simulation';
import { checkCpuSize } from '../cpu/layout';
import { hostMemoryBytes } from '../cpu/pool';
import { buildProblem } from '../data/datasets';
import { ENTROPY_SUBSAMPLE, networkOutputs } from '../contract/observables';
import { activation as activationOf } from '../contract/model';
import type { Problem } from '../contract/simulation';
import {
  meanFieldGap,
  stationaryReferences,
  type GapFit,
  type MeanFieldGap,
} from '../study/mean-field-gap';
import { BackendUnavailableError, decideBackend, openSimulation } from '../node/backends';
import { enterWebGpuEnv } from '../node/webgpu-env';
import { linePlotSvg, type PlotSeries } from '../plot/svg';
import { dynamicsFromConfig } from '../study/run-study';
import {
  fitLossAgainstN,
  runSweep,
  SWEEP_FIELDS,
  sweepCsv,
  sweepMeans,
  sweepPlans,
  type SweepField,
  type SweepFit,
  type SweepRun,
} from '../study/sweep';
import {
  formatShard,
  mergeSweepParts,
  parseShard,
  shardPlans,
  type MergedSweep,
  type Shard,
} from './sweep-parts';
import { splitCommandArgs } from './command-flags';
import {
  EXIT_INTERRUPTED,
  OUTPUT_FILES_HELP,
  OutputFiles,
  checkOutputPaths,
  formatValue,
  interruptible,
  readTextFile,
  type FileWriter,
} from './output';

const MAX_SEEDS = 1000;
const MAX_VALUES = 1000;
const EXIT_RUNTIME_ERROR = 1;

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

export function sweepUsage(): string {
  return [
    'mfld sweep --over n|sigma --values V1,V2,… [--seeds K] [--shard I/K] [--json PATH] [--csv PATH] [--svg PATH] [mfld run flags]',
    'mfld sweep --merge PART.json… [--json PATH] [--csv PATH] [--svg PATH]',
    '',
    '  Runs the study of `mfld run` once for each value of --over, with K seeds each (seed,',
    '  seed + 1, …), and reports the final train and test loss of every run and their means.',
    '  --over n also fits the log–log slope of the mean final train loss against n.',
    '  --over FIELD   n or sigma (required)',
    '  --values LIST  comma-separated values, each checked as the flag itself (required)',
    `  --seeds K      seeds per value, an integer from 1 to ${MAX_SEEDS}; default 1`,
    '  --json PATH    the sweep as JSON: config, every run, the means, the fit, which files were written',
    '  --csv PATH     one row per run',
    '  --svg PATH     a plot of the final loss against the swept value',
    '  --shard I/K    run only part I of K (I from 0 to K - 1: every K-th run from the I-th);',
    '                 the same runs whatever K, each part with its own output files',
    '  --merge FILES  join the JSON files of the parts into the table, fit and files of the',
    '                 whole sweep; refuses parts of different sweeps, a missing or repeated run',
    '  Every other flag is a flag of `mfld run` (mfld help); --resume, --checkpoint,',
    '  --checkpoint-every and --save-particles are not taken.',
    '',
    ...OUTPUT_FILES_HELP.map((line) => `  ${line}`),
    '',
  ].join('\n');
}

const SWEEP_OWN = [
  '--over',
  '--values',
  '--seeds',
  '--json',
  '--csv',
  '--svg',
  '--shard',
  '--merge',
] as const;
/** The flags --merge takes with it: the parts give everything else. */
const WITH_MERGE = ['--merge', '--json', '--csv', '--svg'];
const NOT_IN_SWEEP = ['--resume', '--checkpoint', '--checkpoint-every', '--save-particles'];

export function parseSweepArgs(args: readonly string[]): SweepOptions {
  // --merge takes every file up to the next flag.
  const { own, runArgs } = splitCommandArgs(args, SWEEP_OWN, NOT_IN_SWEEP, 'mfld sweep', [
    '--merge',
  ]);
  const parsed = parseRunArgs(runArgs);
  const none = { values: [], configs: [], seeds: 1, json: null, csv: null, svg: null };
  const parts = { shard: null, merge: null };
  const entropySubsample = parsed.cli.entropySubsample ?? ENTROPY_SUBSAMPLE;
  if (parsed.cli.help) {
    return { ...none, ...parts, over: 'n', threads: null, entropySubsample, help: true };
  }
  const merge = own.get('--merge');
  if (merge !== undefined) {
    const extra = [...own.keys()].find((flag) => !WITH_MERGE.includes(flag)) ?? runArgs[0];
    if (extra !== undefined) {
      throw new ConfigError(`${extra} cannot be given with --merge: the parts hold the sweep`);
    }
    return {
      ...none,
      json: own.get('--json') ?? null,
      csv: own.get('--csv') ?? null,
      svg: own.get('--svg') ?? null,
      over: 'n',
      threads: null,
      shard: null,
      merge: merge.split('\n'),
      entropySubsample,
      help: false,
    };
  }

  const overRaw = own.get('--over');
  if (overRaw === undefined) throw new ConfigError('--over is required: n or sigma');
  if (!(SWEEP_FIELDS as readonly string[]).includes(overRaw)) {
    throw new ConfigError(`--over must be one of ${SWEEP_FIELDS.join(', ')}, got "${overRaw}"`);
  }
  const over = overRaw as SweepField;
  const overFlag = flagOf(over);
  if (parsed.given.has(over)) {
    throw new ConfigError(`${parsed.given.get(over)} cannot be given with --over ${over}`);
  }
  const valuesRaw = own.get('--values');
  if (valuesRaw === undefined) throw new ConfigError('--values is required: V1,V2,…');
  const pieces = valuesRaw.split(',').map((piece) => piece.trim());
  if (pieces.length > MAX_VALUES) {
    throw new ConfigError(`--values takes at most ${MAX_VALUES} values, got ${pieces.length}`);
  }
  const configs = pieces.map((piece) => {
    if (piece === '') throw new ConfigError(`--values has an empty value in "${valuesRaw}"`);
    try {
      const { config } = parseRunArgs([...runArgs, overFlag, piece]);
      return { value: config[over], config };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(`--values ${piece}: ${error.message}`);
    }
  });
  const values = configs.map(({ value }) => value);
  const repeated = values.find((value, i) => values.indexOf(value) !== i);
  if (repeated !== undefined) throw new ConfigError(`--values has ${repeated} twice`);

  const seedsRaw = own.get('--seeds') ?? '1';
  const seeds = /^\d+$/.test(seedsRaw) ? Number(seedsRaw) : NaN;
  if (!(Number.isInteger(seeds) && seeds >= 1 && seeds <= MAX_SEEDS)) {
    throw new ConfigError(`--seeds must be an integer from 1 to ${MAX_SEEDS}, got "${seedsRaw}"`);
  }
  if (parsed.config.seed + seeds - 1 > Number.MAX_SAFE_INTEGER) {
    throw new ConfigError(`--seed ${parsed.config.seed} plus --seeds ${seeds} passes 2^53 - 1`);
  }
  return {
    over,
    values,
    seeds,
    json: own.get('--json') ?? null,
    csv: own.get('--csv') ?? null,
    svg: own.get('--svg') ?? null,
    configs,
    threads: parsed.cli.threads,
    shard: own.has('--shard') ? parseShard(own.get('--shard')!) : null,
    merge: null,
    entropySubsample,
    help: false,
  };
}

/** The options of the sweep that merged parts make, as if its flags had been given. */
function mergedOptions(options: SweepOptions, merged: MergedSweep): SweepOptions {
  const { over, values, seeds, config } = merged;
  const configs = values.map((value) => ({ value, config: { ...config, [over]: value } }));
  return { ...options, over, values, seeds, configs };
}

/**
 * Refuses, before the first run, an n past the CPU reference's memory (checkCpuSize): found
 * at its own run, it would end the sweep after the runs before it. (On a GPU the adapter's
 * limits are only known once it is open; a too large n there falls back to the CPU, `auto`,
 * or ends the sweep, `webgpu`.)
 */
async function checkCpuSizes(configs: readonly RunConfig[]): Promise<void> {
  const d = buildProblem(configs[0]!, readTextFile).p + 1;
  const hostMemory = await hostMemoryBytes();
  for (const { n } of configs) {
    try {
      checkCpuSize(n, d, hostMemory);
    } catch (error) {
      if (!(error instanceof DeviceLimitError)) throw error;
      throw new BackendUnavailableError(`--values ${n}: ${error.message}; nothing was run`);
    }
  }
}

export async function sweepCommand(
  args: readonly string[],
  writeFile: FileWriter,
): Promise<number> {
  const parsed = parseSweepArgs(args);
  if (parsed.help) {
    process.stdout.write(sweepUsage());
    return 0;
  }
  const merged = parsed.merge === null ? null : mergeSweepParts(parsed.merge);
  const options = merged === null ? parsed : mergedOptions(parsed, merged);
  const base = options.configs[0]!.config;
  // Every run of a sweep has the same backend (--backend is not swept); merged parts ran theirs.
  const chosen = merged === null ? await decideBackend(base.backend) : null;
  if (chosen !== null && chosen.choice !== 'cpu') {
    const rerun = await enterWebGpuEnv();
    if (rerun !== null) return rerun;
  }
  checkOutputPaths({ '--json': options.json, '--csv': options.csv, '--svg': options.svg });
  if (chosen?.choice === 'cpu') await checkCpuSizes(options.configs.map(({ config }) => config));
  if (chosen !== null) process.stdout.write(`backend  ${chosen.line}\n`);
  const plans = shardPlans(sweepPlans(options.configs, options.seeds), options.shard);
  // f at the training points of each run's final particles, for an n-sweep's gap; merged
  // parts carry theirs.
  const networks: (Float64Array | null)[] = merged?.trainOutputs ?? plans.map(() => null);
  const shown = new Set<string>();
  const notice = (message: string): void => {
    if (shown.has(message)) return;
    shown.add(message);
    process.stderr.write(`mfld: ${message}\n`);
  };
  const problems = new Map<number, Problem>();
  /** The data set of a seed (the seed fixes it; n does not). */
  const problemOf = (config: RunConfig): Problem => {
    let problem = problems.get(config.seed);
    if (!problem) {
      problem = buildProblem(config, readTextFile);
      problems.set(config.seed, problem);
    }
    return problem;
  };
  // A part without runs (more parts than runs) has no seed to solve m* for.
  const stationary =
    options.over === 'n' && plans.length > 0
      ? stationaryReferences(
          plans.map((plan) => plan.config),
          problemOf,
          notice,
        )
      : null;
  const tty = process.stderr.isTTY === true;
  let device = merged?.adapter ?? '';
  let backend = merged?.backend ?? '';
  // The runs done are then reported and written as at the end.
  const interrupt = interruptible(() => {
    if (tty) process.stderr.write('\n');
    notice(
      'interrupted: the sweep stops after this run and writes the runs done; ' +
        'Ctrl-C again quits at once, writing nothing',
    );
  });
  // Merged parts: no run here, the parts hold them.
  const ran = await runSweep(
    merged ? [] : plans,
    async (config) => {
      const problem = problemOf(config);
      const sim = await openSimulation(
        problem,
        dynamicsFromConfig(config),
        chosen?.choice ?? base.backend,
        {
          ...(options.threads === null ? {} : { threads: options.threads }),
          notice,
        },
      );
      device = sim.device;
      backend = sim.backend;
      return sim;
    },
    {
      onStart: (plan, index) => {
        if (tty) {
          process.stderr.write(
            `\r\x1b[2Ksweep ${index + 1}/${plans.length}  ${options.over} ${plan.value}  seed ${plan.seed}  running…`,
          );
        }
      },
      onDone: (run, index) => {
        const line =
          `sweep ${index + 1}/${plans.length}  ${options.over} ${run.value}  seed ${run.seed}  ` +
          describeRun(run);
        process.stderr.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
      },
      stopRequested: interrupt.requested,
      ...(options.over === 'n'
        ? {
            onFinish: async (sim, _summary, index) => {
              const { config } = plans[index]!;
              const { train } = problemOf(config);
              const { phi } = activationOf(config.activation);
              const x = await sim.particles();
              networks[index] = networkOutputs(x, sim.n, sim.d, train.z, train.count, phi);
            },
          }
        : {}),
    },
    options.entropySubsample,
  ).finally(() => interrupt.dispose());
  const runs = merged?.runs ?? ran;
  const interrupted = runs.length < plans.length;
  const means = sweepMeans(runs, options.values);
  const fit: SweepFit | { error: string } | null =
    options.over === 'n' ? fitLossAgainstN(means) : null;

  process.stdout.write(`backend  ${backend} (${device})\n`);
  process.stdout.write(
    `${options.over.padEnd(10)} runs  mean train loss   (sd)        mean test   mean V\n`,
  );
  for (const m of means) {
    process.stdout.write(
      `${String(m.value).padEnd(10)} ${String(m.completed).padStart(4)}  ` +
        `${(m.train === null ? '-' : formatValue(m.train)).padEnd(16)}  ` +
        `${(m.trainStd === null ? '' : formatValue(m.trainStd)).padEnd(10)}  ` +
        `${(m.test === null ? '-' : formatValue(m.test)).padEnd(10)}  ` +
        `${m.freeEnergy === null ? '-' : formatValue(m.freeEnergy)}\n`,
    );
  }
  if (fit && 'slope' in fit) {
    process.stdout.write(
      `fit      log(train loss) against log(n): slope ${formatValue(fit.slope)}, ` +
        `R² ${formatValue(fit.r2)} over ${fit.points} values (the particle gap alone shrinks like 1/n: slope −1)\n`,
    );
  } else if (fit) {
    process.stdout.write(`fit      none: ${fit.error}\n`);
  }

  const gap =
    options.over === 'n' ? meanFieldGap(runs, networks, options.values, stationary) : null;
  if (gap) for (const line of gapLines(gap)) process.stdout.write(line + '\n');

  // Each file on its own, the JSON last so that it records how the others went.
  const outputs = new OutputFiles(writeFile, notice);
  if (
    options.csv !== null &&
    outputs.write(
      '--csv',
      options.csv,
      sweepCsv(
        options.over,
        runs,
        runs.map((run) => run.freeEnergy),
      ),
    )
  ) {
    process.stdout.write(`csv      ${options.csv}\n`);
  }
  if (
    options.svg !== null &&
    outputs.write('--svg', options.svg, sweepSvg(options.over, runs, means, fit))
  ) {
    process.stdout.write(`svg      ${options.svg}\n`);
  }
  if (options.json !== null) {
    const record = {
      status: interrupted ? 'interrupted' : 'completed',
      shard: options.shard === null ? null : formatShard(options.shard),
      over: options.over,
      values: options.values,
      seeds: options.seeds,
      backend,
      adapter: device,
      config: configToJson(base),
      // A part of an n-sweep keeps f at the training points of each run, for the merged gap.
      runs:
        options.shard !== null && options.over === 'n'
          ? runs.map((run, i) => ({ ...run, trainOutputs: Array.from(networks[i] ?? []) }))
          : runs,
      means,
      fit,
      gap,
      freeEnergy: {
        definition:
          'V = F + (σ²/2) KL(m ‖ g) at the final step, runs[].freeEnergy and means[].freeEnergy',
        estimator: 'Kozachenko–Leonenko (k = 1)',
        // Each run's entropy uses min(n, subsampleLimit) particles.
        subsampleLimit: options.entropySubsample,
      },
      outputs: outputs.record(),
    };
    if (outputs.write('--json', options.json, JSON.stringify(record, null, 2) + '\n')) {
      process.stdout.write(`json     ${options.json}\n`);
    }
  }
  const diverged = runs.filter((run) => run.status === 'diverged').length;
  if (diverged > 0) notice(`${diverged} of ${runs.length} runs diverged; try a smaller --tau`);
  if (interrupted) {
    notice(`interrupted after ${runs.length} of ${plans.length} runs: the output holds those`);
  }
  if (outputs.anyFailed) return EXIT_RUNTIME_ERROR;
  if (interrupted) return EXIT_INTERRUPTED;
  return diverged > 0 ? EXIT_RUNTIME_ERROR : 0;
}

function describeRun(run: SweepRun): string {
  if (run.status === 'diverged') return `diverged at step ${run.steps}`;
  const test = run.test === null ? '' : ` (test ${formatValue(run.test)})`;
  const train = run.train === null ? '-' : formatValue(run.train);
  return `train loss ${train}${test}  ${formatValue(run.seconds)} s`;
}

function sweepSvg(
  over: SweepField,
  runs: readonly SweepRun[],
  means: ReturnType<typeof sweepMeans>,
  fit: SweepFit | { error: string } | null,
): string {
  const series: PlotSeries[] = [
    {
      label: 'runs',
      style: 'points',
      color: '#778',
      marker: 'circle',
      points: runs.flatMap((run) => (run.train === null ? [] : [[run.value, run.train] as const])),
    },
    {
      label: 'mean',
      style: 'linepoints',
      color: '#1f5fa8',
      marker: 'square',
      dash: 'solid',
      points: means.flatMap((m) => (m.train === null ? [] : [[m.value, m.train] as const])),
    },
  ];
  if (fit && 'slope' in fit) {
    const xs = means.map((m) => m.value);
    const line = (x: number): readonly [number, number] => [
      x,
      Math.exp(fit.intercept + fit.slope * Math.log(x)),
    ];
    series.push({
      label: `fit: slope ${formatValue(fit.slope)}`,
      style: 'line',
      color: '#d0452b',
      dash: 'dashed',
      points: [line(Math.min(...xs)), line(Math.max(...xs))],
    });
  }
  return linePlotSvg({
    title: `final train loss against ${over}`,
    xLabel: over === 'n' ? 'n (particles)' : 'σ',
    yLabel: 'final train loss',
    series,
    // σ may be 0: a linear axis for it.
    xLog: over === 'n',
    yLog: true,
  });
}

const withError = (value: number | null, stdError: number | null): string =>
  value === null
    ? '-'
    : `${formatValue(value)}${stdError === null ? '' : ` ±${formatValue(stdError)}`}`;

const describeFit = (fit: GapFit): string =>
  'slope' in fit
    ? `slope ${formatValue(fit.slope)} (R² ${formatValue(fit.r2)}, ${fit.points} n)`
    : `none (${fit.error})`;

/** The gap table of an n-sweep (src/study/mean-field-gap.ts). */
function gapLines(gap: MeanFieldGap): string[] {
  const { reference } = gap;
  const target = reference.kind === 'stationary' ? 'm*' : `n = ${reference.n}`;
  const lines = [
    reference.kind === 'stationary'
      ? `gap      to the mean-field limit m* (mfld stationary on each seed's data): ` +
        `F(m*) ${withError(reference.train, null)}, V(m*) ${withError(reference.freeEnergy, null)}`
      : `gap      to the largest n of the sweep, n = ${reference.n} (no exact m* for this ` +
        'problem: mfld stationary needs d = 2, --no-bias, --batch full, a constant σ > 0)',
    `n          F − F(${target}) ±se`.padEnd(36) +
      `V − V(${target}) ±se`.padEnd(26) +
      'variance part ±se'.padEnd(24) +
      'bias part ±se',
  ];
  for (const row of gap.rows) {
    lines.push(
      String(row.n).padEnd(11) +
        withError(row.trainGap, row.trainGapStdError).padEnd(25) +
        withError(row.freeEnergyGap, row.freeEnergyGapStdError).padEnd(26) +
        withError(row.variancePart, row.variancePartStdError).padEnd(24) +
        withError(row.biasPart, row.biasPartStdError),
    );
  }
  const { fits } = gap;
  lines.push(
    `fit      log–log against n (theory: −1): variance part ${describeFit(fits.variancePart)}; ` +
      `F gap ${describeFit(fits.trainGap)}; V gap ${describeFit(fits.freeEnergyGap)}`,
  );
  return lines;
}
