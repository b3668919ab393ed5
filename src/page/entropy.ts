// The free energy of SPEC §4, V = F + (σ²/2) H(m) with H(m) = −h(m) + E_m[U], from particles:
// h by the Kozachenko–Leonenko nearest-neighbour estimator (k = 1) on a subsample, E_m[U]
// over all particles (it is a plain mean, so there is no reason to subsample it).

const EULER_GAMMA = 0.5772156649015329;

/** Particles the entropy estimator looks at: its cost is quadratic in them. */
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

/**
 * Kozachenko–Leonenko estimate (k = 1) of the differential entropy h = −∫ m log m of the law
 * of `rows` points of dimension `d` (row-major in `x`), in nats:
 * h ≈ ψ(N) − ψ(1) + log V_d + (d/N) Σ log ρ_i, with ρ_i the distance from point i to its
 * nearest neighbour and V_d the volume of the unit ball. At most `limit` points are used,
 * evenly strided through the rows. Coincident points (ρ = 0) are left out.
 */
export function klEntropy(
  x: ArrayLike<number>,
  rows: number,
  d: number,
  limit = ENTROPY_SUBSAMPLE,
): number {
  const count = Math.min(rows, limit);
  if (count < 2) return NaN;
  const stride = rows / count;
  const points = new Float64Array(count * d);
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i * stride);
    for (let j = 0; j < d; j++) points[i * d + j] = x[row * d + j]!;
  }
  let sumLog = 0;
  let used = 0;
  for (let i = 0; i < count; i++) {
    let nearest = Infinity;
    for (let k = 0; k < count; k++) {
      if (k === i) continue;
      let dist2 = 0;
      for (let j = 0; j < d; j++) {
        const diff = points[i * d + j]! - points[k * d + j]!;
        dist2 += diff * diff;
      }
      if (dist2 < nearest) nearest = dist2;
    }
    if (nearest > 0) {
      sumLog += 0.5 * Math.log(nearest);
      used++;
    }
  }
  if (used < 2) return NaN;
  const logUnitBall = (d / 2) * Math.log(Math.PI) - logGammaHalfPlusOne(d);
  return digammaInteger(used) - digammaInteger(1) + logUnitBall + (d / used) * sumLog;
}

export interface FreeEnergy {
  /** Differential entropy h(m) (KL estimate). */
  readonly h: number;
  /** E_m[U], U(x) = |x|²/(2s²) + (d/2) log(2πs²). */
  readonly meanU: number;
  /** H(m) = KL(m ‖ g) = −h + E_m[U]. */
  readonly relativeEntropy: number;
  /** V = F + (σ²/2) H. */
  readonly value: number;
}

export function freeEnergy(
  x: Float32Array,
  n: number,
  d: number,
  trainLoss: number,
  sigma: number,
  priorStd: number,
): FreeEnergy {
  const h = klEntropy(x, n, d);
  let sumSquares = 0;
  for (let i = 0; i < n * d; i++) sumSquares += x[i]! * x[i]!;
  const s2 = priorStd * priorStd;
  const meanU = sumSquares / n / (2 * s2) + (d / 2) * Math.log(2 * Math.PI * s2);
  const relativeEntropy = -h + meanU;
  return { h, meanU, relativeEntropy, value: trainLoss + ((sigma * sigma) / 2) * relativeEntropy };
}
