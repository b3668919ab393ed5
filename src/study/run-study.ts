// A study: run a simulation for the configured number of steps, reading the loss every
// `logEvery` steps, and sum up what happened. Backend-agnostic: it sees only a Simulation.
import type { RunConfig } from '../contract/config';
import type { Dynamics, Simulation } from '../contract/simulation';
import { testSplitSize } from '../data/datasets';

export interface LossEntry {
  /** Global step k. */
  readonly step: number;
  /** Time of the continuous dynamics, k·τ. */
  readonly time: number;
  readonly train: number;
  /** Null when the run has no held-out set. */
  readonly test: number | null;
}

export interface FinalState {
  readonly step: number;
  readonly loss: { readonly train: number; readonly test: number | null };
  /** Per-coordinate mean and variance over the particles, length d (SPEC §1 order). */
  readonly mean: number[];
  readonly var: number[];
}

export interface Throughput {
  /** n · steps / seconds. */
  readonly particleStepsPerSecond: number;
  /** Wall time spent stepping, without the loss readbacks. */
  readonly seconds: number;
}

export interface StudySummary {
  readonly lossHistory: LossEntry[];
  readonly final: FinalState;
  readonly throughput: Throughput;
}

export interface StudyProgress {
  readonly stepsDone: number;
  readonly stepsTotal: number;
  /** Stepping wall time so far. */
  readonly seconds: number;
}

export interface StudyHooks {
  /** After the initial loss and after each chunk of `logEvery` steps. */
  onLog(entry: LossEntry, progress: StudyProgress): void;
}

/** The loss became NaN or infinite; `lossHistory` holds the entries before that. */
export class DivergenceError extends Error {
  override readonly name = 'DivergenceError';
  constructor(
    readonly step: number,
    readonly lossHistory: LossEntry[],
    readonly throughput: Throughput,
    tau: number,
  ) {
    super(
      `the loss is no longer finite at step ${step} (time ${formatTime(step * tau)}): the ` +
        `dynamics diverged; try a smaller --tau (it is ${tau})`,
    );
  }
}

function formatTime(t: number): string {
  return Number(t.toPrecision(6)).toString();
}

/** The Dynamics of a config. A run without data uses full batches: B = N = 0 draws nothing. */
export function dynamicsFromConfig(config: RunConfig): Dynamics {
  const { n, sigma, tau, activation, loss, huberDelta, priorStd, initStd, seed } = config;
  const batch = config.dataset.name === 'none' ? 'full' : config.batch;
  return { n, sigma, tau, batch, activation, loss, huberDelta, priorStd, initStd, seed };
}

/** Train and test loss now. With no data F ≡ 0 by definition, so nothing is read. */
async function readLoss(sim: Simulation, config: RunConfig): Promise<FinalState['loss']> {
  if (config.dataset.name === 'none') return { train: 0, test: null };
  const train = await sim.loss('train');
  const test = testSplitSize(config) > 0 ? await sim.loss('test') : null;
  return { train, test };
}

/**
 * Step, loss and moments of the simulation now (NaN where the dynamics diverged); `loss`
 * when the caller has just read it.
 */
export async function readFinalState(
  sim: Simulation,
  config: RunConfig,
  loss?: FinalState['loss'],
): Promise<FinalState> {
  loss ??= await readLoss(sim, config);
  const moments = await sim.moments();
  return { step: sim.step, loss, mean: Array.from(moments.mean), var: Array.from(moments.var) };
}

function throughputOf(n: number, steps: number, seconds: number): Throughput {
  return { particleStepsPerSecond: seconds > 0 ? (n * steps) / seconds : 0, seconds };
}

/**
 * Runs `config.steps` steps from the simulation's current state in chunks of
 * `config.logEvery`, logging the loss before the first and after every chunk. Throws a
 * DivergenceError when a loss is not finite. Timing assumes `sim.run` resolves once its
 * steps are done.
 */
export async function runStudy(
  sim: Simulation,
  config: RunConfig,
  hooks: StudyHooks,
): Promise<StudySummary> {
  const lossHistory: LossEntry[] = [];
  let seconds = 0;
  let stepsDone = 0;

  const log = async (): Promise<void> => {
    const { train, test } = await readLoss(sim, config);
    const entry: LossEntry = { step: sim.step, time: sim.step * config.tau, train, test };
    if (!Number.isFinite(train) || (test !== null && !Number.isFinite(test))) {
      throw new DivergenceError(
        sim.step,
        lossHistory,
        throughputOf(config.n, stepsDone, seconds),
        config.tau,
      );
    }
    lossHistory.push(entry);
    hooks.onLog(entry, { stepsDone, stepsTotal: config.steps, seconds });
  };

  await log();
  while (stepsDone < config.steps) {
    const chunk = Math.min(config.logEvery, config.steps - stepsDone);
    const start = performance.now();
    await sim.run(chunk);
    seconds += (performance.now() - start) / 1000;
    stepsDone += chunk;
    await log();
  }
  const last = lossHistory.at(-1);
  return {
    lossHistory,
    final: await readFinalState(sim, config, last && { train: last.train, test: last.test }),
    throughput: throughputOf(config.n, stepsDone, seconds),
  };
}
