// Shared pieces of the CPU reference tests: small problems built by hand, and a plain,
// slow, scalar implementation of SPEC §2 to hold the threaded backend against.
import { activation, loss } from '../../src/contract/model';
import {
  keyFromSeed,
  minibatchIndex,
  particleGaussians,
  philox4x32,
  Stream,
  uniformFromWord,
} from '../../src/contract/philox';
import type { Dynamics, Problem } from '../../src/contract/simulation';

export const BASE_DYNAMICS: Dynamics = {
  n: 256,
  sigma: 0.1,
  sigmaFinal: null,
  annealSteps: 0,
  tau: 0.05,
  batch: 8,
  activation: 'tanh',
  loss: 'square',
  huberDelta: 1,
  priorStd: 1,
  initStd: 1,
  seed: 7,
};

/** Standard Gaussians from Philox with a key of the tests' own (not a run's streams). */
export function testGaussians(count: number, salt: number): Float64Array {
  const out = new Float64Array(count);
  const words = new Uint32Array(4);
  for (let i = 0; i < count; i += 2) {
    philox4x32(i, salt, 0xfeed, 0, 0x1234, 0x5678, words);
    const r = Math.sqrt(-2 * Math.log(uniformFromWord(words[0]!)));
    const angle = 2 * Math.PI * uniformFromWord(words[1]!);
    out[i] = r * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = r * Math.sin(angle);
  }
  return out;
}

/**
 * A teacher problem: inputs N(0, I) in `dim` dimensions plus a bias feature 1, labels from
 * a 3-neuron tanh network. `salt` picks the draw.
 */
export function teacherProblem(dim: number, count: number, testCount: number, salt = 1): Problem {
  const p = dim + 1;
  const teacherW = testGaussians(3 * p, salt + 100);
  const teacherA = [1.5, -1, 0.8];
  const split = (size: number, splitSalt: number) => {
    const g = testGaussians(size * dim, splitSalt);
    const z = new Float32Array(size * p);
    const y = new Float32Array(size);
    for (let m = 0; m < size; m++) {
      for (let j = 0; j < dim; j++) z[m * p + j] = g[m * dim + j]!;
      z[m * p + dim] = 1;
      let label = 0;
      for (let t = 0; t < 3; t++) {
        let u = 0;
        for (let j = 0; j < p; j++) u += teacherW[t * p + j]! * z[m * p + j]!;
        label += teacherA[t]! * Math.tanh(u);
      }
      y[m] = label;
    }
    return { z, y, count: size };
  };
  return { p, train: split(count, salt), test: testCount > 0 ? split(testCount, salt + 50) : null };
}

/** The problem of data set `none`: F ≡ 0. */
export function noDataProblem(p: number): Problem {
  return { p, train: { z: new Float32Array(0), y: new Float32Array(0), count: 0 }, test: null };
}

/** x⁰ of SPEC §3, written plainly. */
export function referenceInit(dynamics: Dynamics, d: number): Float32Array {
  const key = keyFromSeed(dynamics.seed);
  const x = new Float32Array(dynamics.n * d);
  const g = new Float64Array(d);
  for (let i = 0; i < dynamics.n; i++) {
    particleGaussians(Stream.init, i, 0, d, key, g, 0, new Uint32Array(4), new Float64Array(4));
    for (let j = 0; j < d; j++) x[i * d + j] = dynamics.initStd * g[j]!;
  }
  return x;
}

/** f(z_m) of SPEC §1 for data row m, from float32 particles. */
function networkAt(
  x: Float32Array,
  n: number,
  p: number,
  z: Float32Array,
  m: number,
  phi: (u: number) => number,
): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let u = 0;
    for (let j = 0; j < p; j++) u += x[i * (p + 1) + j]! * z[m * p + j]!;
    sum += x[i * (p + 1) + p]! * phi(u);
  }
  return sum / n;
}

/** F = (1/N) Σ_m Φ(y_m − f(z_m)) over a split, written plainly (SPEC §1). */
export function referenceLoss(
  problem: Problem,
  dynamics: Dynamics,
  x: Float32Array,
  split: 'train' | 'test',
): number {
  const data = split === 'train' ? problem.train : problem.test!;
  const { phi } = activation(dynamics.activation);
  const { value } = loss(dynamics.loss, dynamics.huberDelta);
  let total = 0;
  for (let m = 0; m < data.count; m++) {
    total += value(data.y[m]! - networkAt(x, dynamics.n, problem.p, data.z, m, phi));
  }
  return data.count === 0 ? 0 : total / data.count;
}

/** Steps k0 … k0+steps−1 of SPEC §2 from x, one particle and one batch slot at a time. */
export function referenceSteps(
  problem: Problem,
  dynamics: Dynamics,
  x0: Float32Array,
  k0: number,
  steps: number,
): Float32Array {
  const { n, sigma, tau, priorStd } = dynamics;
  const p = problem.p;
  const d = p + 1;
  const N = problem.train.count;
  const key = keyFromSeed(dynamics.seed);
  const { phi, dphi } = activation(dynamics.activation);
  const { slope } = loss(dynamics.loss, dynamics.huberDelta);
  const { z, y } = problem.train;
  let x = x0.slice();
  for (let k = k0; k < k0 + steps; k++) {
    const batch: number[] = [];
    if (N > 0) {
      const B = dynamics.batch === 'full' ? N : dynamics.batch;
      for (let b = 0; b < B; b++) {
        batch.push(
          dynamics.batch === 'full' ? b : minibatchIndex(b, k, N, key, new Uint32Array(4)),
        );
      }
    }
    const w = batch.map((m) => slope(y[m]! - networkAt(x, n, p, z, m, phi)));
    const next = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const xi = Array.from(x.subarray(i * d, i * d + d));
      const c = xi[p]!;
      const grad = new Float64Array(d);
      batch.forEach((m, b) => {
        let u = 0;
        for (let j = 0; j < p; j++) u += xi[j]! * z[m * p + j]!;
        for (let j = 0; j < p; j++) grad[j] = grad[j]! + w[b]! * c * dphi(u) * z[m * p + j]!;
        grad[p] = grad[p]! + w[b]! * phi(u);
      });
      const noise = new Float64Array(d);
      particleGaussians(
        Stream.noise,
        i,
        k,
        d,
        key,
        noise,
        0,
        new Uint32Array(4),
        new Float64Array(4),
      );
      for (let j = 0; j < d; j++) {
        const dataTerm = batch.length > 0 ? grad[j]! / batch.length : 0;
        const drift = dataTerm - ((sigma * sigma) / 2) * (xi[j]! / (priorStd * priorStd));
        next[i * d + j] = xi[j]! + tau * drift + sigma * Math.sqrt(tau) * noise[j]!;
      }
    }
    x = next;
  }
  return x;
}

/** Largest |a − b| / (1 + |b|) over two arrays of the same length. */
export function maxRelativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let t = 0; t < a.length; t++) {
    worst = Math.max(worst, Math.abs(a[t]! - b[t]!) / (1 + Math.abs(b[t]!)));
  }
  return Number.isNaN(worst) ? Infinity : worst;
}
