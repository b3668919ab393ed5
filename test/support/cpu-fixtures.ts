// Shared pieces of the engine tests: base dynamics, small problems built by hand, and the
// error measure between two runs. The plain SPEC §2 step they are held against is
// src/contract/reference.ts.
import { philox4x32, uniformFromWord } from '../../src/contract/philox';
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

/** Largest |a − b| / (1 + |b|) over two arrays of the same length. */
export function maxRelativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let t = 0; t < a.length; t++) {
    worst = Math.max(worst, Math.abs(a[t]! - b[t]!) / (1 + Math.abs(b[t]!)));
  }
  return Number.isNaN(worst) ? Infinity : worst;
}
