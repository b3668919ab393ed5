// The plain reference of SPEC §1–3: x⁰, the time step of §2 and the objective F, read straight
// off the SPEC, one particle and one batch slot at a time, in double precision, with no layout,
// threads or tiles. It is slow and meant to be read beside the SPEC; the tests hold the
// CPU engine against it (and the GPU against the CPU). Particles are float32 between steps, as both engines store them.
import { activation, loss } from './model';
import { networkOutputs } from './observables';
import { keyFromSeed, minibatchIndex, particleGaussians, Stream } from './philox';
import { noiseLevel, type DataSplit, type Dynamics, type Problem } from './simulation';

/** Standard Gaussians of particle i from `stream` with counter (i, k, stream, j) (SPEC §3). */
function gaussians(stream: number, i: number, k: number, d: number, seed: number): Float64Array {
  const g = new Float64Array(d);
  const words = new Uint32Array(4);
  particleGaussians(stream, i, k, d, keyFromSeed(seed), g, 0, words, new Float64Array(4));
  return g;
}

/** x_i^0 = s0 · g, g from stream 1 with counter (i, 0, 1, j) (SPEC §3). */
export function referenceInit(dynamics: Dynamics, d: number): Float32Array {
  const x = new Float32Array(dynamics.n * d);
  for (let i = 0; i < dynamics.n; i++) {
    const g = gaussians(Stream.init, i, 0, d, dynamics.seed);
    for (let j = 0; j < d; j++) x[i * d + j] = dynamics.initStd * g[j]!;
  }
  return x;
}

/** F = (1/N) Σ_m Φ(y_m − f(z_m)) over a split (SPEC §1); 0 without data. */
export function referenceLoss(
  problem: Problem,
  dynamics: Dynamics,
  x: Float32Array,
  split: 'train' | 'test',
): number {
  const data = split === 'train' ? problem.train : problem.test;
  if (data === null) throw new Error(`referenceLoss('test'): the problem has no held-out set`);
  if (data.count === 0) return 0;
  const { phi } = activation(dynamics.activation);
  const { value } = loss(dynamics.loss, dynamics.huberDelta);
  const f = networkOutputs(x, dynamics.n, problem.p + 1, data.z, data.count, phi);
  let total = 0;
  for (let m = 0; m < data.count; m++) total += value(data.y[m]! - f[m]!);
  return total / data.count;
}

/**
 * S_k of SPEC §2 step 1: all N points in order (full), or B indices I_{k,b} = w0 mod N of
 * stream 2 (minibatch, SPEC §3); none without data.
 */
export function batchIndices(dynamics: Dynamics, train: DataSplit, k: number): number[] {
  const N = train.count;
  if (N === 0) return [];
  if (dynamics.batch === 'full') return Array.from({ length: N }, (_, b) => b);
  const key = keyFromSeed(dynamics.seed);
  const words = new Uint32Array(4);
  return Array.from({ length: dynamics.batch }, (_, b) => minibatchIndex(b, k, N, key, words));
}

/** The input rows z_m of the points `indices`, in that order. */
function rows(data: DataSplit, p: number, indices: readonly number[]): Float32Array {
  const out = new Float32Array(indices.length * p);
  indices.forEach((m, b) => out.set(data.z.subarray(m * p, m * p + p), b * p));
  return out;
}

/** Step k of SPEC §2: x^k → x^{k+1}. */
export function referenceStep(
  problem: Problem,
  dynamics: Dynamics,
  x: Float32Array,
  k: number,
): Float32Array {
  const { n, tau, priorStd } = dynamics;
  const p = problem.p;
  const d = p + 1;
  if (x.length !== n * d) {
    throw new RangeError(`referenceStep: x has ${x.length} values, not n · d = ${n} · ${d}`);
  }
  const sigma = noiseLevel(dynamics, k);
  const { phi, dphi } = activation(dynamics.activation);
  const { slope } = loss(dynamics.loss, dynamics.huberDelta);

  // 1. The batch S_k of B points.
  const batch = batchIndices(dynamics, problem.train, k);
  const B = batch.length;
  const z = rows(problem.train, p, batch);

  // 2. Residual weights w_b = Φ'(y_b − f^k(z_b)), from the particles at step k.
  const f = networkOutputs(x, n, d, z, B, phi);
  const w = batch.map((m, b) => slope(problem.train.y[m]! - f[b]!));

  const next = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const particle = x.subarray(i * d, i * d + d);
    const c = particle[p]!;

    // 3. Drift D_i = (1/B) Σ_b w_b ∇_x φ̂(x_i, z_b) − (σ²/2) ∇U(x_i), with
    //    ∇_α φ̂ = c φ'(α·z) z, ∇_c φ̂ = φ(α·z) and ∇U(x) = x/s².
    const gradient = new Float64Array(d);
    for (let b = 0; b < B; b++) {
      let u = 0;
      for (let j = 0; j < p; j++) u += particle[j]! * z[b * p + j]!;
      for (let j = 0; j < p; j++) gradient[j]! += w[b]! * c * dphi(u) * z[b * p + j]!;
      gradient[p]! += w[b]! * phi(u);
    }
    const drift = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const dataTerm = B > 0 ? gradient[j]! / B : 0;
      const gradU = particle[j]! / (priorStd * priorStd);
      drift[j] = dataTerm - ((sigma * sigma) / 2) * gradU;
    }

    // 4. x_i^{k+1} = x_i^k + τ D_i + σ√τ ξ_i^k, ξ from stream 0 with counter (i, k, 0, j).
    const xi = gaussians(Stream.noise, i, k, d, dynamics.seed);
    for (let j = 0; j < d; j++) {
      next[i * d + j] = particle[j]! + tau * drift[j]! + sigma * Math.sqrt(tau) * xi[j]!;
    }
  }
  return next;
}

/** Steps k0 … k0+steps−1 of SPEC §2 from x^{k0}. */
export function referenceSteps(
  problem: Problem,
  dynamics: Dynamics,
  x0: Float32Array,
  k0: number,
  steps: number,
): Float32Array {
  let x: Float32Array = x0.slice();
  for (let k = k0; k < k0 + steps; k++) x = referenceStep(problem, dynamics, x, k);
  return x;
}
