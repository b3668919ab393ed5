// A study: run a simulation up to the configured step, reading the loss every `logEvery`
// steps, and sum up what happened. Backend-agnostic: it sees only a Simulation.
//
// Divergence. At every log point (and checkpoint) the loss and the particle moments are
// checked: a loss that is not finite, moments that are not finite, or a mean second moment
// M₂ = (1/d) Σ_t (var_t + mean_t²) above SECOND_MOMENT_FACTOR · max(1, initStd², priorStd²)
// stop the run with a DivergenceError. The reference is what M₂ is at the start (initStd²)
// or under the prior (priorStd²), taken from the config rather than measured, so that a run
// resumed from a checkpoint stops exactly where the uninterrupted run would. A run that
// fits labels of size |y| ≈ 1000 with a bounded activation legitimately reaches M₂ ≈ 10⁶/d:
// scale such labels down.
import type { RunConfig } from '../contract/config';
import { freeEnergy } from '../contract/observables';
import {
  GpuDeviceLostError,
  noiseLevel,
  type Dynamics,
  type LossEntry,
  type Moments,
  type Simulation,
} from '../contract/simulation';
import { testSplitSize } from '../data/datasets';

export type { LossEntry };

export interface FinalState {
  readonly step: number;
  readonly loss: { readonly train: number; readonly test: number | null };
  /** As LossEntry.freeEnergy, at the final step. */
  readonly freeEnergy: number | null;
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

/** A state of the run that passed the divergence checks, with the loss entries up to it. */
export interface GoodState {
  readonly step: number;
  readonly particles: Float32Array;
  readonly lossHistory: readonly LossEntry[];
}

/** A log point that passed the checks, with what was read there. */
export interface CheckedPoint {
  readonly entry: LossEntry;
  readonly moments: Moments;
  /** The state kept there (keepLastGood, or a checkpoint), else null. */
  readonly good: GoodState | null;
}

export interface StudyHooks {
  /** After the initial loss and at every log point (multiples of `logEvery`, and the end). */
  onLog(entry: LossEntry, progress: StudyProgress): void;
  /**
   * After onLog, once the state there is kept: for a front end that shows what was read
   * (the page's charts). The study waits for it.
   */
  onChecked?(point: CheckedPoint): void | Promise<void>;
  /** At every global step that is a multiple of `checkpointEvery`, after the checks. */
  onCheckpoint?(state: GoodState): void | Promise<void>;
}

export interface StudyOptions {
  /**
   * The loss entries before the simulation's current step, for a run resumed from a
   * checkpoint: the history continues them and the start is not logged again.
   */
  readonly history?: readonly LossEntry[];
  /**
   * Check and log the current state first even with a `history` (which must then end before
   * the current step): for a front end that shows the state it resumed from.
   */
  readonly logStart?: boolean;
  /** Steps between onCheckpoint calls; null: none. */
  readonly checkpointEvery?: number | null;
  /**
   * Keep a copy of the particles at every checked point, so that a DivergenceError holds the
   * last good state (costs one particle readback per log point).
   */
  readonly keepLastGood?: boolean;
  /**
   * Asked after each piece of the run (up to the next log point or checkpoint): true ends the
   * study there, at a checked state, before config.steps (an interrupted run).
   */
  readonly stopRequested?: () => boolean;
  /**
   * Compute the free energy at every log point, its entropy from at most this many particles
   * (one particle readback per log point); unset: not computed.
   */
  readonly entropySubsample?: number;
}

/** M₂ above this many times its reference counts as divergence (see the top of the file). */
export const SECOND_MOMENT_FACTOR = 1e6;

/** The bound on the mean second moment M₂ of the particles for `config`. */
export function secondMomentBound(config: RunConfig): number {
  return SECOND_MOMENT_FACTOR * Math.max(1, config.initStd ** 2, config.priorStd ** 2);
}

/** What showed that the dynamics diverged. */
export type DivergenceSign =
  | { readonly kind: 'loss' }
  | { readonly kind: 'moments' }
  | { readonly kind: 'secondMoment'; readonly value: number; readonly bound: number };

/**
 * The dynamics diverged at `step`; `lossHistory` holds the entries before that, and
 * `lastGood` the last state that passed the checks (null unless kept, or if none did).
 */
export class DivergenceError extends Error {
  override readonly name = 'DivergenceError';
  constructor(
    readonly step: number,
    readonly lossHistory: LossEntry[],
    readonly throughput: Throughput,
    tau: number,
    readonly sign: DivergenceSign = { kind: 'loss' },
    readonly lastGood: GoodState | null = null,
  ) {
    super(
      `${describeSign(sign)} at step ${step} (time ${formatNumber(step * tau)}): the ` +
        `dynamics diverged; try a smaller --tau (it is ${tau})`,
    );
  }
}

/**
 * The GPU device was lost or failed at `step` (the cause says how); `lossHistory` holds the
 * entries logged before, `lastGood` the last state that passed the checks (null unless kept).
 */
export class StudyInterruptedError extends Error {
  override readonly name = 'StudyInterruptedError';
  constructor(
    readonly step: number,
    readonly lossHistory: LossEntry[],
    readonly throughput: Throughput,
    readonly lastGood: GoodState | null,
    override readonly cause: GpuDeviceLostError,
  ) {
    super(`${cause.message} (at step ${step})`);
  }
}

function describeSign(sign: DivergenceSign): string {
  switch (sign.kind) {
    case 'loss':
      return 'the loss is no longer finite';
    case 'moments':
      return 'the particle moments are no longer finite';
    case 'secondMoment':
      return (
        `the mean second moment of the particles is ${formatLarge(sign.value)}, above ` +
        `the bound ${formatLarge(sign.bound)},`
      );
  }
}

function formatNumber(t: number): string {
  return Number(t.toPrecision(6)).toString();
}

/** 4 significant digits in exponent form: 1.426e+13, 1e+6. */
function formatLarge(x: number): string {
  return x.toExponential(3).replace(/\.?0+e/, 'e');
}

/** The sign of divergence in `moments`, or null when they look sane. */
export function momentsDivergence(moments: Moments, bound: number): DivergenceSign | null {
  const { mean, var: variance } = moments;
  let sum = 0;
  for (let t = 0; t < mean.length; t++) {
    const m = mean[t]!;
    const v = variance[t]!;
    if (!Number.isFinite(m) || !Number.isFinite(v)) return { kind: 'moments' };
    sum += v + m * m;
  }
  const value = mean.length > 0 ? sum / mean.length : 0;
  return value > bound ? { kind: 'secondMoment', value, bound } : null;
}

/** The Dynamics of a config. A run without data uses full batches: B = N = 0 draws nothing. */
export function dynamicsFromConfig(config: RunConfig): Dynamics {
  const { n, sigma, sigmaFinal, tau, activation, loss, huberDelta, priorStd, initStd, seed } =
    config;
  const batch = config.dataset.name === 'none' ? 'full' : config.batch;
  // An annealed σ reaches its final value at the run's last step.
  const annealSteps = config.steps;
  const common = { activation, loss, huberDelta, priorStd, initStd, seed };
  return { n, sigma, sigmaFinal, annealSteps, tau, batch, ...common };
}

/** Train and test loss now. With no data F ≡ 0 by definition, so nothing is read. */
async function readLoss(sim: Simulation, config: RunConfig): Promise<FinalState['loss']> {
  if (config.dataset.name === 'none') return { train: 0, test: null };
  const train = await sim.loss('train');
  const test = testSplitSize(config) > 0 ? await sim.loss('test') : null;
  return { train, test };
}

/**
 * Step, loss and moments of the simulation now (NaN where the dynamics diverged); `loss` and
 * `energy` when the caller has just read them.
 */
export async function readFinalState(
  sim: Simulation,
  config: RunConfig,
  loss?: FinalState['loss'],
  energy?: number | null,
): Promise<FinalState> {
  loss ??= await readLoss(sim, config);
  const moments = await sim.moments();
  const { mean, var: variance } = moments;
  return {
    step: sim.step,
    loss,
    freeEnergy: energy ?? null,
    mean: Array.from(mean),
    var: Array.from(variance),
  };
}

function throughputOf(n: number, steps: number, seconds: number): Throughput {
  return { particleStepsPerSecond: seconds > 0 ? (n * steps) / seconds : 0, seconds };
}

/** The first multiple of `every` after `step`. */
const nextMultiple = (step: number, every: number): number =>
  (Math.floor(step / every) + 1) * every;

/**
 * Runs the simulation from its current step up to the global step `config.steps`, stopping at
 * every log point (a multiple of `config.logEvery`, and the last step) and checkpoint (a
 * multiple of `options.checkpointEvery`). Log points and checkpoints are global steps, so a
 * run resumed from a checkpoint logs and checkpoints where the uninterrupted run does. A
 * fresh run (no `options.history`) logs its start too. Throws a DivergenceError when a check
 * fails (see the top of the file), a StudyInterruptedError with the last good state when the
 * GPU device is lost or fails. Timing assumes `sim.run` resolves once its steps are done.
 */
export async function runStudy(
  sim: Simulation,
  config: RunConfig,
  hooks: StudyHooks,
  options: StudyOptions = {},
): Promise<StudySummary> {
  const lossHistory: LossEntry[] = [...(options.history ?? [])];
  const startStep = sim.step;
  const stepsTotal = Math.max(0, config.steps - startStep);
  const bound = secondMomentBound(config);
  const checkpointEvery = options.checkpointEvery ?? null;
  const keepLastGood = options.keepLastGood ?? false;
  const { entropySubsample } = options;
  const dynamics = dynamicsFromConfig(config);
  let seconds = 0;
  let lastGood: GoodState | null = null;
  const throughput = (): Throughput => throughputOf(config.n, sim.step - startStep, seconds);

  const diverged = (sign: DivergenceSign): DivergenceError =>
    new DivergenceError(sim.step, lossHistory, throughput(), config.tau, sign, lastGood);

  /** Checks the state now; logs it at a log point; keeps (and returns) it when asked. */
  const check = async (log: boolean, keep: boolean): Promise<GoodState | null> => {
    let entry: LossEntry | null = null;
    let particles: Float32Array | null = null;
    if (log) {
      const { train, test } = await readLoss(sim, config);
      if (!Number.isFinite(train) || (test !== null && !Number.isFinite(test))) {
        throw diverged({ kind: 'loss' });
      }
      let energy: number | null = null;
      if (entropySubsample !== undefined) {
        particles = await sim.particles();
        const sigma = noiseLevel(dynamics, sim.step);
        const { n, d } = sim;
        energy = freeEnergy(particles, n, d, train, sigma, config.priorStd, entropySubsample).value;
      }
      entry = {
        step: sim.step,
        time: sim.step * config.tau,
        train,
        test,
        ...(energy === null ? {} : { freeEnergy: energy }),
      };
    }
    const moments = await sim.moments();
    const sign = momentsDivergence(moments, bound);
    if (sign) throw diverged(sign);
    if (entry) {
      lossHistory.push(entry);
      hooks.onLog(entry, { stepsDone: sim.step - startStep, stepsTotal, seconds });
    }
    const good = keep
      ? (lastGood = {
          step: sim.step,
          particles: particles ?? (await sim.particles()),
          lossHistory: [...lossHistory],
        })
      : null;
    if (entry && hooks.onChecked) await hooks.onChecked({ entry, moments, good });
    return good;
  };

  // A device lost at any point (a run, a loss, a readback) ends the study with what it had.
  try {
    if (options.history === undefined || options.logStart === true) {
      await check(true, keepLastGood);
    } else if (keepLastGood) {
      lastGood = {
        step: sim.step,
        particles: await sim.particles(),
        lossHistory: [...lossHistory],
      };
    }
    while (sim.step < config.steps && !(options.stopRequested?.() ?? false)) {
      const step = sim.step;
      let next = Math.min(config.steps, nextMultiple(step, config.logEvery));
      if (checkpointEvery !== null) next = Math.min(next, nextMultiple(step, checkpointEvery));
      const start = performance.now();
      await sim.run(next - step);
      seconds += (performance.now() - start) / 1000;
      const isLog = next % config.logEvery === 0 || next === config.steps;
      const isCheckpoint = checkpointEvery !== null && next % checkpointEvery === 0;
      const good = await check(isLog, keepLastGood || isCheckpoint);
      if (isCheckpoint && good) await hooks.onCheckpoint?.(good);
    }
    const last = lossHistory.at(-1)?.step === sim.step ? lossHistory.at(-1) : undefined;
    const loss = last && { train: last.train, test: last.test };
    return {
      lossHistory,
      final: await readFinalState(sim, config, loss, last?.freeEnergy),
      throughput: throughput(),
    };
  } catch (error) {
    if (!(error instanceof GpuDeviceLostError)) throw error;
    throw new StudyInterruptedError(sim.step, lossHistory, throughput(), lastGood, error);
  }
}
