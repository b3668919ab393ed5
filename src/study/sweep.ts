// A sweep: the same study for each value of one field (n or σ), K seeds each, and what the
// final losses say together. Backend-agnostic, like runStudy: the caller opens simulations.
import type { RunConfig } from '../contract/config';
import { SWEEP_FIELDS } from '../contract/fields';
import type { Simulation } from '../contract/simulation';
import { fitExponent, FitError } from './power-fit';
import { DivergenceError, runStudy, type StudyHooks, type StudySummary } from './run-study';

/** The fields a sweep runs over: those of `--over` in the field table. */
export { SWEEP_FIELDS };
export type SweepField = (typeof SWEEP_FIELDS)[number];

/** One run of the sweep: the config it runs and where it sits. */
export interface SweepPlan {
  readonly value: number;
  readonly seed: number;
  readonly config: RunConfig;
}

export interface SweepRun {
  readonly value: number;
  readonly seed: number;
  readonly status: 'completed' | 'diverged';
  /** Final losses; null when the run diverged (or, for test, has no held-out set). */
  readonly train: number | null;
  readonly test: number | null;
  /** Final free energy V (runSweep's entropySubsample); null when not computed or diverged. */
  readonly freeEnergy: number | null;
  readonly steps: number;
  /** Stepping wall time. */
  readonly seconds: number;
}

export interface SweepMean {
  readonly value: number;
  /** Runs that completed; the means are over these. */
  readonly completed: number;
  readonly train: number | null;
  /** Sample standard deviation of the final train loss over seeds; null below 2 runs. */
  readonly trainStd: number | null;
  readonly test: number | null;
  /** Mean final free energy; null when no run has one. */
  readonly freeEnergy: number | null;
}

/** Least-squares line of log(mean final train loss) against log(n), over every n. */
export interface SweepFit {
  readonly slope: number;
  readonly r2: number;
  /** log(loss) ≈ intercept + slope · log(n). */
  readonly intercept: number;
  readonly points: number;
}

/** The plans of a sweep: values in the order given, seeds seed, seed + 1, … for each. */
export function sweepPlans(
  configs: readonly { value: number; config: RunConfig }[],
  seeds: number,
): SweepPlan[] {
  return configs.flatMap(({ value, config }) =>
    Array.from({ length: seeds }, (_, k) => {
      const seed = config.seed + k;
      return { value, seed, config: { ...config, seed } };
    }),
  );
}

const finiteOrNull = (x: number | null): number | null =>
  x !== null && Number.isFinite(x) ? x : null;

/** Runs every plan in turn, one simulation at a time; a diverged run is recorded, not fatal. */
export async function runSweep(
  plans: readonly SweepPlan[],
  open: (config: RunConfig) => Promise<Simulation>,
  hooks: {
    onStart?(plan: SweepPlan, index: number): void;
    onLog?: StudyHooks['onLog'];
    onDone?(run: SweepRun, index: number): void;
    /** After a run that completed, before its simulation is destroyed (final readbacks). */
    onFinish?(sim: Simulation, summary: StudySummary, index: number): Promise<void>;
    /** Asked before each run: true ends the sweep with the runs done. */
    stopRequested?(): boolean;
  } = {},
  /** Each run's free energy from at most this many particles (runStudy); unset: none. */
  entropySubsample?: number,
): Promise<SweepRun[]> {
  const runs: SweepRun[] = [];
  for (const [index, plan] of plans.entries()) {
    if (hooks.stopRequested?.()) break;
    hooks.onStart?.(plan, index);
    const sim = await open(plan.config);
    let run: SweepRun;
    try {
      const summary = await runStudy(
        sim,
        plan.config,
        { onLog: hooks.onLog ?? (() => {}) },
        entropySubsample === undefined ? {} : { entropySubsample },
      );
      await hooks.onFinish?.(sim, summary, index);
      run = {
        value: plan.value,
        seed: plan.seed,
        status: 'completed',
        train: finiteOrNull(summary.final.loss.train),
        test: finiteOrNull(summary.final.loss.test),
        freeEnergy: finiteOrNull(summary.final.freeEnergy),
        steps: summary.final.step,
        seconds: summary.throughput.seconds,
      };
    } catch (error) {
      if (!(error instanceof DivergenceError)) throw error;
      run = {
        value: plan.value,
        seed: plan.seed,
        status: 'diverged',
        train: null,
        test: null,
        freeEnergy: null,
        steps: error.step,
        seconds: error.throughput.seconds,
      };
    } finally {
      sim.destroy();
    }
    runs.push(run);
    hooks.onDone?.(run, index);
  }
  return runs;
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
}

/** Per value, in the order of `values`: the means over the runs that completed. */
export function sweepMeans(runs: readonly SweepRun[], values: readonly number[]): SweepMean[] {
  return values.map((value) => {
    const done = runs.filter((run) => run.value === value && run.status === 'completed');
    const trains = done.flatMap((run) => (run.train === null ? [] : [run.train]));
    const tests = done.flatMap((run) => (run.test === null ? [] : [run.test]));
    const energies = done.flatMap((run) => (run.freeEnergy === null ? [] : [run.freeEnergy]));
    const m = mean(trains);
    const trainStd =
      m === null || trains.length < 2
        ? null
        : Math.sqrt(trains.reduce((s, v) => s + (v - m) ** 2, 0) / (trains.length - 1));
    const test = mean(tests);
    return { value, completed: done.length, train: m, trainStd, test, freeEnergy: mean(energies) };
  });
}

/**
 * The log–log slope of the mean final train loss against n, over all values of n (the
 * least-squares fit of power-fit.ts, with every point used). The particle
 * approximation's gap shrinks like 1/n, so the slope tends to −1 only when that gap
 * dominates the loss; with a loss floor (data noise, finite time) it is flatter. Returns
 * the reason instead when no fit is possible (fewer than 2 sizes, a loss not > 0).
 */
export function fitLossAgainstN(means: readonly SweepMean[]): SweepFit | { error: string } {
  const points = means.flatMap((m) => (m.train === null ? [] : [{ n: m.value, seconds: m.train }]));
  if (points.length < 2) {
    return {
      error: `the fit needs final train losses at 2 or more values of n, got ${points.length}`,
    };
  }
  if (points.some((point) => !(point.seconds > 0))) {
    return { error: 'a log–log fit needs final train losses > 0 (a run without data has loss 0)' };
  }
  try {
    const { exponent, r2, range } = fitExponent(points, points.length);
    const meanX = points.reduce((s, p) => s + Math.log(p.n), 0) / points.length;
    const meanY = points.reduce((s, p) => s + Math.log(p.seconds), 0) / points.length;
    return { slope: exponent, r2, intercept: meanY - exponent * meanX, points: range.points };
  } catch (error) {
    if (!(error instanceof FitError)) throw error;
    return { error: error.message };
  }
}

const csvNumber = (x: number | null): string => (x === null ? '' : String(x));

/** One row per run; with `freeEnergy` (one per run), a free_energy column last. */
export function sweepCsv(
  over: SweepField,
  runs: readonly SweepRun[],
  freeEnergy?: readonly (number | null)[],
): string {
  const rows = [
    `${over},seed,status,steps,train_loss,test_loss,seconds${freeEnergy ? ',free_energy' : ''}`,
  ];
  for (const [i, run] of runs.entries()) {
    rows.push(
      [
        run.value,
        run.seed,
        run.status,
        run.steps,
        csvNumber(run.train),
        csvNumber(run.test),
        run.seconds,
        ...(freeEnergy ? [csvNumber(finiteOrNull(freeEnergy[i] ?? null))] : []),
      ].join(','),
    );
  }
  return rows.join('\n') + '\n';
}
