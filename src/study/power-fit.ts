// The power law time ∝ n^exponent fitted by least squares on log–log points: the scaling
// exponent of the benchmark's step times and of a sweep's observables. Pure maths.

export interface PowerFit {
  /** Slope of log(time per step) against log(n): 1 is linear in n. */
  readonly exponent: number;
  /** Coefficient of determination of the fit on the log–log points, in [0, 1]. */
  readonly r2: number;
  /** The sizes the fit used: the smallest and largest n, and how many points. */
  readonly range: { readonly from: number; readonly to: number; readonly points: number };
}

export class FitError extends Error {
  override readonly name = 'FitError';
}

/**
 * Least-squares slope of log(seconds) against log(n) over the upper sizes: the top half of the
 * points (sorted by n), at least `minPoints` of them (all when fewer), since at small n fixed
 * costs per dispatch hide the scaling. Throws FitError with fewer than 2 points or fewer than
 * 2 distinct sizes, or a value that is not finite and positive.
 */
export function fitExponent(
  points: readonly { readonly n: number; readonly seconds: number }[],
  minPoints = 3,
): PowerFit {
  if (points.length < 2)
    throw new FitError(`an exponent needs at least 2 sizes, got ${points.length}`);
  for (const { n, seconds } of points) {
    if (!(n > 0 && Number.isFinite(n) && seconds > 0 && Number.isFinite(seconds)))
      throw new FitError(`sizes and times must be finite and positive, got n = ${n}, ${seconds} s`);
  }
  const sorted = [...points].sort((a, b) => a.n - b.n);
  const count = Math.min(sorted.length, Math.max(minPoints, Math.ceil(sorted.length / 2)));
  const used = sorted.slice(sorted.length - count);
  const xs = used.map((point) => Math.log(point.n));
  const ys = used.map((point) => Math.log(point.seconds));
  const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) throw new FitError('an exponent needs at least 2 distinct sizes');
  const exponent = sxy / sxx;
  // All times equal: the line fits exactly (slope 0).
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return {
    exponent,
    r2,
    range: { from: used[0]!.n, to: used[used.length - 1]!.n, points: used.length },
  };
}
