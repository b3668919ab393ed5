// The gap of an n-sweep to the mean-field limit (issue 17): F(mⁿ) − F(m*) and V(mⁿ) − V(m*)
// per n, against the exact m* of `mfld stationary` where it applies, else against the sweep's
// largest n (labelled so). The seed fixes the data set too, so each run is compared with the
// reference of its own seed: m* solved on that seed's data, or the largest n's run of that seed.
//
// The gap is O(1/n), but F(mⁿ) of one run fluctuates by O(1/√n) around its mean (F is not
// stationary in m at m*; V is), so the mean over K seeds of the raw gap is noisy: at n = 2^12
// its standard error is of the size of the gap itself unless K is in the hundreds. The gap is
// therefore split. For the square loss, with r* = y − f* and δ = fⁿ − f* at the training points,
//   F(mⁿ) − F(m*) = −(2/N) Σ_b r*_b δ_b + (1/N) Σ_b δ_b²,
// exactly:
// - the variance part, (1/N) Σ_b δ_b², the spread of the network around f*, is O(1/n) (plus
//   the square of the O(1/n + τ) bias of E fⁿ), positive in every run, and measured to a few
//   per cent by a few seeds;
// - the bias part, the rest (the linear term), holds the O(1/n) bias of the one-particle law,
//   the O(τ) bias of the time step, and all of the seeds' O(1/√n) noise; its standard error
//   over seeds is reported beside it.
// Each gets its own log–log fit against n; the theory's slope is −1. Against the largest n the
// variance part is the spread around that run's f, about (1/n + 1/n_max) times a constant.
import { fitExponent, FitError } from './power-fit';
import type { RunConfig } from '../contract/config';
import type { Problem } from '../contract/simulation';
import { StationaryError, solveStationary, stationaryOptionsOf } from '../contract/stationary';
import type { SweepFit, SweepRun } from './sweep';

export interface GapRow {
  readonly n: number;
  /** Runs that completed and have a reference. */
  readonly seeds: number;
  /** Mean over seeds of F(mⁿ) − F(reference), and its standard error (null below 2 seeds). */
  readonly trainGap: number | null;
  readonly trainGapStdError: number | null;
  /** The same for V (null when the runs have no free energy). */
  readonly freeEnergyGap: number | null;
  readonly freeEnergyGapStdError: number | null;
  /** Mean over seeds of (1/N) Σ_b (fⁿ(z_b) − f_ref(z_b))², and its standard error. */
  readonly variancePart: number | null;
  readonly variancePartStdError: number | null;
  /** trainGap − variancePart, and its standard error. */
  readonly biasPart: number | null;
  readonly biasPartStdError: number | null;
}

/** What one run is compared with: F, V and f at the training points of its seed's data. */
export interface RunReference {
  readonly train: number;
  readonly freeEnergy: number | null;
  readonly outputs: Float64Array;
}

export interface GapReference {
  /** `stationary`: m* solved on a grid for each seed's data; `largest-n`: the sweep's largest n. */
  readonly kind: 'stationary' | 'largest-n';
  /** The n of the reference for `largest-n`, else null. */
  readonly n: number | null;
  /** Mean over seeds of the reference's F and V. */
  readonly train: number | null;
  readonly freeEnergy: number | null;
}

export type GapFit = SweepFit | { readonly error: string };

export interface MeanFieldGap {
  readonly reference: GapReference;
  readonly rows: GapRow[];
  /** Log–log fits against n: the variance part, the F gap, the V gap and the bias part. */
  readonly fits: {
    readonly variancePart: GapFit;
    readonly trainGap: GapFit;
    readonly freeEnergyGap: GapFit;
    readonly biasPart: GapFit;
  };
}

const mean = (values: readonly number[]): number =>
  values.reduce((s, v) => s + v, 0) / values.length;

/** Mean and standard error of the mean; nulls where undefined. */
function meanWithError(values: readonly number[]): {
  mean: number | null;
  stdError: number | null;
} {
  if (values.length === 0) return { mean: null, stdError: null };
  const m = mean(values);
  if (values.length < 2) return { mean: m, stdError: null };
  const variance = values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1);
  return { mean: m, stdError: Math.sqrt(variance / values.length) };
}

/** Least-squares slope of log(value) against log(n) over the rows with a value > 0. */
export function fitAgainstN(points: readonly (readonly [number, number | null])[]): GapFit {
  const usable = points.flatMap(([n, value]) =>
    value !== null && value > 0 && Number.isFinite(value) ? [{ n, seconds: value }] : [],
  );
  const dropped = points.length - usable.length;
  if (usable.length < 2) {
    return {
      error:
        `a log–log fit needs values > 0 at 2 or more n, got ${usable.length}` +
        (dropped > 0 ? ` (${dropped} not > 0: within the noise, or missing)` : ''),
    };
  }
  try {
    const { exponent, r2, range } = fitExponent(usable, usable.length);
    const meanX = mean(usable.map((p) => Math.log(p.n)));
    const meanY = mean(usable.map((p) => Math.log(p.seconds)));
    return { slope: exponent, r2, intercept: meanY - exponent * meanX, points: range.points };
  } catch (error) {
    if (!(error instanceof FitError)) throw error;
    return { error: error.message };
  }
}

/**
 * The gap of each n of the sweep. `outputs[i]` is fⁿ(z_b) at the training points at the end
 * of `runs[i]` (null for a run that diverged). `stationary(seed)` gives m*'s reference for a
 * seed's data; null: the sweep's largest n is the reference, run by run of the same seed.
 */
export function meanFieldGap(
  runs: readonly SweepRun[],
  outputs: readonly (Float64Array | null)[],
  values: readonly number[],
  stationary: ((seed: number) => RunReference | null) | null,
): MeanFieldGap {
  const largest = Math.max(...values);
  const completed = (i: number): boolean =>
    runs[i]!.status === 'completed' && runs[i]!.train !== null && outputs[i] !== null;
  const referenceOf = (seed: number): RunReference | null => {
    if (stationary) return stationary(seed);
    const i = runs.findIndex(
      (run, k) => run.value === largest && run.seed === seed && completed(k),
    );
    return i < 0
      ? null
      : { train: runs[i]!.train!, freeEnergy: runs[i]!.freeEnergy, outputs: outputs[i]! };
  };
  const seeds = [...new Set(runs.map((run) => run.seed))];
  const references = seeds.flatMap((seed) => {
    const reference = referenceOf(seed);
    return reference ? [reference] : [];
  });
  const energies = references.flatMap((r) => (r.freeEnergy === null ? [] : [r.freeEnergy]));
  const reference: GapReference = {
    kind: stationary ? 'stationary' : 'largest-n',
    n: stationary ? null : largest,
    train: references.length > 0 ? mean(references.map((r) => r.train)) : null,
    freeEnergy: energies.length > 0 ? mean(energies) : null,
  };
  const compared = [...values].sort((a, b) => a - b).filter((n) => stationary || n !== largest);
  const rows = compared.map((n): GapRow => {
    const trains: number[] = [];
    const energyGaps: number[] = [];
    const spreads: number[] = [];
    const biases: number[] = [];
    runs.forEach((run, i) => {
      if (run.value !== n || !completed(i)) return;
      const ref = referenceOf(run.seed);
      if (!ref) return;
      const f = outputs[i]!;
      let spread = 0;
      for (let b = 0; b < f.length; b++) spread += (f[b]! - ref.outputs[b]!) ** 2;
      spread = f.length > 0 ? spread / f.length : 0;
      const gap = run.train! - ref.train;
      trains.push(gap);
      spreads.push(spread);
      biases.push(gap - spread);
      if (run.freeEnergy !== null && ref.freeEnergy !== null) {
        energyGaps.push(run.freeEnergy - ref.freeEnergy);
      }
    });
    const train = meanWithError(trains);
    const energy = meanWithError(energyGaps);
    const spread = meanWithError(spreads);
    const bias = meanWithError(biases);
    return {
      n,
      seeds: trains.length,
      trainGap: train.mean,
      trainGapStdError: train.stdError,
      freeEnergyGap: energy.mean,
      freeEnergyGapStdError: energy.stdError,
      variancePart: spread.mean,
      variancePartStdError: spread.stdError,
      biasPart: bias.mean,
      biasPartStdError: bias.stdError,
    };
  });
  return {
    reference,
    rows,
    fits: {
      variancePart: fitAgainstN(rows.map((row) => [row.n, row.variancePart])),
      trainGap: fitAgainstN(rows.map((row) => [row.n, row.trainGap])),
      freeEnergyGap: fitAgainstN(rows.map((row) => [row.n, row.freeEnergyGap])),
      biasPart: fitAgainstN(rows.map((row) => [row.n, row.biasPart])),
    },
  };
}

/**
 * m*'s F, V and f* for each seed's data, when every run of the sweep is a d = 2 full-batch
 * problem at a constant σ > 0 (mfld stationary's domain) and the solver succeeds with its
 * defaults; else null (the gap is then taken to the largest n), with a notice saying why.
 */
export function stationaryReferences(
  configs: readonly RunConfig[],
  problemOf: (config: RunConfig) => Problem,
  notice: (message: string) => void,
): ((seed: number) => RunReference | null) | null {
  const base = configs[0]!;
  const applies =
    problemOf(base).p === 1 &&
    base.batch === 'full' &&
    base.sigma > 0 &&
    base.sigmaFinal === null &&
    base.dataset.name !== 'none';
  if (!applies) return null;
  const references = new Map<number, RunReference>();
  for (const config of configs) {
    if (references.has(config.seed)) continue;
    const problem = problemOf(config);
    try {
      const law = solveStationary(problem, stationaryOptionsOf(config));
      references.set(config.seed, {
        train: law.trainLoss,
        freeEnergy: law.freeEnergy,
        outputs: law.outputs,
      });
    } catch (error) {
      if (!(error instanceof StationaryError)) throw error;
      notice(
        `m* could not be solved with mfld stationary's defaults (${error.message}); ` +
          'the gap is taken to the largest n instead',
      );
      return null;
    }
  }
  return (seed) => references.get(seed) ?? null;
}
