// The observables of SPEC §4 that need more than a sum over particles: the differential
// entropy of the particles' law (Kozachenko–Leonenko), the relative entropy KL(m ‖ g) and the
// free energy V = F + (σ²/2) KL(m ‖ g). Pure maths: the CLI, the page and the stationary
// solver take them from here.
//
// The constants. SPEC §1 writes U with its normaliser, U(x) = |x|²/(2s²) + log Z with
// Z = (2πs²)^{d/2}, so that g = e^{−U} is a probability density, and §4 writes
// KL = −h(m) + E_m[U] + log Z. The log Z appears once, not twice: with Q(x) = |x|²/(2s²),
// KL(m ‖ g) = −h(m) + E_m[Q] + log Z = −h(m) + E_m[U]. That is the reading for which
// KL(g ‖ g) = 0: h(g) = (d/2) log(2πe s²) = d/2 + log Z and E_g[Q] = d/2. Then KL ≥ 0 and
// V ≥ F, up to the estimator's error in h.

const EULER_GAMMA = 0.5772156649015329;

/** Particles the entropy estimator looks at by default (its cost grows faster than linearly). */
export const ENTROPY_SUBSAMPLE = 1000;

/** ψ(m) for an integer m ≥ 1: −γ + Σ_{j<m} 1/j. */
function digammaInteger(m: number): number {
  let sum = -EULER_GAMMA;
  for (let j = 1; j < m; j++) sum += 1 / j;
  return sum;
}

/** log Γ(1 + d/2) for an integer d ≥ 0, by Γ(x + 1) = x Γ(x) down to Γ(1) or Γ(1/2) = √π. */
function logGammaHalfPlusOne(d: number): number {
  let x = 1 + d / 2;
  let result = 0;
  while (x > 1.25) {
    x -= 1;
    result += Math.log(x);
  }
  return x < 1 ? result + 0.5 * Math.log(Math.PI) : result;
}

/** log Z = (d/2) log(2πs²), the normaliser of the prior g (SPEC §1). */
export function priorLogNormaliser(d: number, priorStd: number): number {
  return (d / 2) * Math.log(2 * Math.PI * priorStd * priorStd);
}

/** h(N(0, s² I_d)) = (d/2) log(2πe s²), in nats. */
export function gaussianEntropy(d: number, std: number): number {
  return (d / 2) * Math.log(2 * Math.PI * Math.E * std * std);
}

/** The number of points klEntropy uses out of `rows`, with `limit`. */
export function entropySubsampleSize(rows: number, limit = ENTROPY_SUBSAMPLE): number {
  return Math.min(rows, limit);
}

/**
 * Squared distance from each of `count` points (row-major, dimension d) to its nearest other
 * point. Exact: the points are sorted on their first coordinate, and the search around each
 * stops where that coordinate alone is farther than the best distance found.
 */
function nearestNeighbourDistances2(points: Float64Array, count: number, d: number): Float64Array {
  const order = Array.from({ length: count }, (_, i) => i).sort(
    (a, b) => points[a * d]! - points[b * d]!,
  );
  const first = Float64Array.from(order, (i) => points[i * d]!);
  const nearest = new Float64Array(count).fill(Infinity);
  for (let rank = 0; rank < count; rank++) {
    const i = order[rank]!;
    let best = Infinity;
    for (const direction of [-1, 1]) {
      for (let other = rank + direction; other >= 0 && other < count; other += direction) {
        const gap = first[other]! - first[rank]!;
        if (gap * gap >= best) break;
        const k = order[other]!;
        let dist2 = 0;
        for (let j = 0; j < d; j++) {
          const diff = points[i * d + j]! - points[k * d + j]!;
          dist2 += diff * diff;
        }
        if (dist2 < best) best = dist2;
      }
    }
    nearest[i] = best;
  }
  return nearest;
}

/**
 * Kozachenko–Leonenko estimate (k = 1) of the differential entropy h = −∫ m log m of the law
 * of `rows` points of dimension `d` (row-major in `x`), in nats:
 * h ≈ ψ(N) − ψ(1) + log V_d + (d/N) Σ log ρ_i, with ρ_i the distance from point i to its
 * nearest neighbour and V_d the volume of the unit ball. At most `limit` points are used,
 * evenly strided through the rows. Coincident points (ρ = 0) are left out. Its bias against
 * d and N, measured on Gaussians, is in docs/free-energy.md.
 */
export function klEntropy(
  x: ArrayLike<number>,
  rows: number,
  d: number,
  limit = ENTROPY_SUBSAMPLE,
): number {
  const count = entropySubsampleSize(rows, limit);
  if (count < 2) return NaN;
  const stride = rows / count;
  const points = new Float64Array(count * d);
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i * stride);
    for (let j = 0; j < d; j++) points[i * d + j] = x[row * d + j]!;
  }
  const nearest = nearestNeighbourDistances2(points, count, d);
  let sumLog = 0;
  let used = 0;
  for (const dist2 of nearest) {
    if (dist2 > 0 && Number.isFinite(dist2)) {
      sumLog += 0.5 * Math.log(dist2);
      used++;
    }
  }
  if (used < 2) return NaN;
  const logUnitBall = (d / 2) * Math.log(Math.PI) - logGammaHalfPlusOne(d);
  return digammaInteger(used) - digammaInteger(1) + logUnitBall + (d / used) * sumLog;
}

export interface FreeEnergy {
  /** Differential entropy h(m), Kozachenko–Leonenko estimate on `subsample` particles. */
  readonly h: number;
  /** E_m[U] over all particles, U(x) = |x|²/(2s²) + log Z (SPEC §1). */
  readonly meanU: number;
  /** KL(m ‖ g) = −h + E_m[U] (see the top of the file for the constant). */
  readonly relativeEntropy: number;
  /** V = F + (σ²/2) KL(m ‖ g). */
  readonly value: number;
  /** Particles the entropy estimate used. */
  readonly subsample: number;
}

/**
 * The free energy of the particles `x` (n rows of d) with train loss F = `trainLoss`, noise
 * level σ = `sigma` and prior standard deviation `priorStd`; the entropy from at most
 * `subsampleLimit` particles.
 */
export function freeEnergy(
  x: ArrayLike<number>,
  n: number,
  d: number,
  trainLoss: number,
  sigma: number,
  priorStd: number,
  subsampleLimit = ENTROPY_SUBSAMPLE,
): FreeEnergy {
  const h = klEntropy(x, n, d, subsampleLimit);
  let sumSquares = 0;
  for (let i = 0; i < n * d; i++) sumSquares += x[i]! * x[i]!;
  const meanU = sumSquares / n / (2 * priorStd * priorStd) + priorLogNormaliser(d, priorStd);
  const relativeEntropy = -h + meanU;
  return {
    h,
    meanU,
    relativeEntropy,
    value: trainLoss + ((sigma * sigma) / 2) * relativeEntropy,
    subsample: entropySubsampleSize(n, subsampleLimit),
  };
}

/**
 * The network's output f(z) = (1/n) Σ_i c_i φ(α_i · z) (SPEC §1) at `count` points `z`
 * (row-major, p = d − 1 each) for particles `x` (n rows of d).
 */
export function networkOutputs(
  x: ArrayLike<number>,
  n: number,
  d: number,
  z: ArrayLike<number>,
  count: number,
  phi: (u: number) => number,
): Float64Array {
  const p = d - 1;
  const out = new Float64Array(count);
  for (let i = 0; i < n; i++) {
    const c = x[i * d + p]!;
    for (let b = 0; b < count; b++) {
      let u = 0;
      for (let t = 0; t < p; t++) u += x[i * d + t]! * z[b * p + t]!;
      out[b]! += c * phi(u);
    }
  }
  for (let b = 0; b < count; b++) out[b]! /= n;
  return out;
}
