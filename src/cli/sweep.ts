// `mfld sweep`: the study of `mfld run` for each value of n or σ, K seeds each, headless,
// with the final losses written as JSON, CSV and an SVG plot. Flag values are checked by
// the same table as `mfld run` (config-parse): each swept value must pass as its flag.
import type { RunConfig } from '../contract/config';
import { configToJson } from '../contract/config-parse';
import { DeviceLimitError, type Problem } from '../contract/simulation';
import { checkCpuSize } from '../cpu/layout';
import { hostMemoryBytes } from '../cpu/pool';
import { buildProblem } from '../data/datasets';
import { networkOutputs } from '../contract/observables';
import { activation as activationOf } from '../contract/model';
import { meanFieldGap, stationaryReferences } from '../study/mean-field-gap';
import { BackendUnavailableError, decideBackend, openSimulation } from '../node/backends';
import { enterWebGpuEnv } from '../node/webgpu-env';
import { dynamicsFromConfig } from '../study/run-study';
import {
  fitLossAgainstN,
  runSweep,
  sweepCsv,
  sweepMeans,
  sweepPlans,
  type SweepFit,
} from '../study/sweep';
import { formatShard, mergeSweepParts, shardPlans, type MergedSweep } from './sweep-parts';
import { commandUsage } from './help';
import {
  EXIT_INTERRUPTED,
  OutputFiles,
  checkOutputPaths,
  formatValue,
  interruptible,
  readTextFile,
  type FileWriter,
} from './output';
import { SWEEP_DOC, parseSweepArgs, type SweepOptions } from './sweep-args';
import { describeRun, gapLines, sweepSvg } from './sweep-report';

export { SWEEP_DOC, parseSweepArgs, type SweepOptions } from './sweep-args';

export function sweepUsage(): string {
  return commandUsage(SWEEP_DOC);
}

const EXIT_RUNTIME_ERROR = 1;

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
