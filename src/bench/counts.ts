// What one time step must compute and move, counted from SPEC §2, and the scaling exponent
// of measured step times. Pure: no I/O, no clocks.
import { fitExponent, FitError, type PowerFit } from '../study/power-fit';

/**
 * Useful floating-point operations of one particle in one step, B batch samples, p inputs
 * (bias included), d = p + 1 coordinates:
 * - per sample b, 6p + 8:
 *   - the forward dot product α·z, for the network output f(z_b): 2p (p multiply-adds);
 *   - the same dot product again in the step, where the drift needs φ'(α·z_b): 2p;
 *   - c · φ(α·z): 1, and its share of the 1/n sum over particles: 1;
 *   - the drift's accumulation w_b c φ'(α·z) z into the α gradient: 2p (multiply-adds) + 2
 *     for the scalar factor w_b c φ'; w_b φ(α·z) into the c gradient: 2;
 *   - the residual weight w_b = Φ'(y − f) shared by n particles: counted as 2 per particle
 *     (the reduction's add and the 1/B scale), an upper bound amortised over n;
 * - per coordinate, 6: the 1/B scale, the confinement −(σ²/2) x/s² (2), τ·D (1), the noise
 *   term σ√τ ξ (1) and the sum (1).
 * φ, φ', Φ' and the Gaussians' log, sqrt, cos, sin are not counted: they are transcendental
 * functions whose cost differs by device and by a large factor, so a FLOP count with them
 * would not compare devices fairly. Philox's integer work is not counted either.
 */
export function flopPerParticleStep(p: number, batch: number): number {
  checkPositiveInteger('p', p);
  checkPositiveInteger('batch', batch);
  const d = p + 1;
  return batch * (6 * p + 8) + 6 * d;
}

/** float32, as both engines store particles. */
export const PARTICLE_WORD_BYTES = 4;

/**
 * Bytes a particle must move through memory in one step: its d coordinates read once and
 * written once, float32. The data set (B rows of p + 1 floats) is shared by all particles and
 * stays in caches, so it is not counted; neither are the per-sample partial outputs, which a
 * different kernel split would avoid. A lower bound on the traffic: GB/s derived from it is
 * the least an engine moved.
 */
export function bytesPerParticleStep(p: number): number {
  checkPositiveInteger('p', p);
  return 2 * (p + 1) * PARTICLE_WORD_BYTES;
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be an integer ≥ 1, got ${value}`);
}

/** A fit made round by round: the exponent is the median of the rounds' own exponents. */
export interface RoundsFit extends PowerFit {
  /** The exponent fitted to each round's blocks alone, in round order. */
  readonly rounds: readonly number[];
}

/**
 * The scaling exponent of blocks timed round by round (one block of every size per round):
 * each round's blocks are fitted alone, over the upper sizes as in fitExponent, and the
 * exponent is the median over the rounds, as is R². A machine whose speed swings between
 * rounds moves a round's sizes alike, which leaves that round's slope alone; fitted to each
 * size's median block instead, a swing caught by one size's median and not another's tilts
 * the line. `seconds[r]` is size n's time per step in round r; every size has the same count.
 */
export function fitExponentByRound(
  sizes: readonly { readonly n: number; readonly seconds: readonly number[] }[],
  minPoints = 3,
): RoundsFit {
  const rounds = sizes[0]?.seconds.length ?? 0;
  if (rounds === 0) throw new FitError('an exponent needs at least one round of blocks');
  for (const { n, seconds } of sizes) {
    if (seconds.length !== rounds)
      throw new FitError(`every size needs ${rounds} blocks, n = ${n} has ${seconds.length}`);
  }
  const fits = [...Array(rounds).keys()].map((r) =>
    fitExponent(
      sizes.map(({ n, seconds }) => ({ n, seconds: seconds[r]! })),
      minPoints,
    ),
  );
  return {
    exponent: summarize(fits.map((fit) => fit.exponent)).median,
    r2: summarize(fits.map((fit) => fit.r2)).median,
    range: fits[0]!.range,
    rounds: fits.map((fit) => fit.exponent),
  };
}

/**
 * Median over paired blocks of rate[i] / limit[i]: each figure against the limit measured
 * next to it, so that a machine whose speed drifts between blocks moves both alike.
 */
export function medianRatio(rates: readonly number[], limits: readonly number[]): number {
  if (rates.length !== limits.length)
    throw new RangeError(`medianRatio: ${rates.length} rates but ${limits.length} limits`);
  for (const limit of limits) {
    if (!(limit > 0 && Number.isFinite(limit)))
      throw new RangeError(`medianRatio: a limit must be finite and positive, got ${limit}`);
  }
  return summarize(rates.map((rate, i) => rate / limits[i]!)).median;
}

/** Median, min and max of a non-empty list. */
export function summarize(values: readonly number[]): {
  median: number;
  min: number;
  max: number;
} {
  if (values.length === 0) throw new RangeError('summarize needs at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}
