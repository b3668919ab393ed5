// The per-range kernels of the CPU reference: kept φ values give the same bits as recomputed
// ones, odd sizes take the loops' remainder paths, and the chunk plan covers the particles.
import { describe, expect, it } from 'vitest';
import {
  activation as activationOf,
  activationCode,
  activationOfCode,
  ACTIVATIONS,
} from '../../src/contract/model';
import { particleGaussians, Stream } from '../../src/contract/philox';
import { noiseLevel } from '../../src/contract/simulation';
import { ParticleKernel } from '../../src/cpu/kernel';
import type { KernelConfig } from '../../src/cpu/kernel-config';
import { cachePhi, chunkPlan } from '../../src/cpu/layout';
import { testGaussians } from '../support/cpu-fixtures';

const n = 37;
const p = 5;
const d = p + 1;
const B = 7;

function config(activation: (typeof ACTIVATIONS)[number], cachePhi: boolean): KernelConfig {
  return {
    n,
    p,
    d,
    batch: B,
    full: false,
    trainCount: B,
    testCount: 0,
    activation: activationCode(activation),
    loss: 'square',
    huberDelta: 1,
    sigma: 0.3,
    sigmaFinal: null,
    annealSteps: 0,
    tau: 0.1,
    priorStd: 1,
    initStd: 1,
    key: [5, 0],
    chunkSize: n,
    chunks: 1,
    lossBlock: B,
    cachePhi,
  };
}

const x0 = Float32Array.from(testGaussians(n * d, 1));
const batch = Float32Array.from(testGaussians(B * p, 2));
const nextBatch = Float32Array.from(testGaussians(B * p, 3));
const weights = Float64Array.from(testGaussians(B, 4));

describe.each(ACTIVATIONS)('kernels with %s', (activation) => {
  it('sum c φ(α·z) over the particles, as written plainly', () => {
    const sums = new Float64Array(B);
    new ParticleKernel(config(activation, false), x0, 0, n).forward(
      0,
      n,
      batch,
      0,
      B,
      sums,
      0,
      false,
    );
    const { phi } = activationOf(activation);
    for (let b = 0; b < B; b++) {
      let expected = 0;
      for (let i = 0; i < n; i++) {
        let u = 0;
        for (let j = 0; j < p; j++) u += x0[i * d + j]! * batch[b * p + j]!;
        expected += x0[i * d + p]! * phi(u);
      }
      expect(sums[b]).toBe(expected);
    }
  });

  it('step to the same bits with kept φ values as with recomputed ones', () => {
    const xKept = x0.slice();
    const kept = new ParticleKernel(config(activation, true), xKept, 0, n);
    const sumsKept = new Float64Array(B);
    kept.forward(0, n, batch, 0, B, new Float64Array(B), 0, true);
    kept.step(0, n, 4, batch, weights, nextBatch, sumsKept, 0);
    kept.step(0, n, 5, nextBatch, weights, batch, sumsKept, 0);

    const xFresh = x0.slice();
    const fresh = new ParticleKernel(config(activation, false), xFresh, 0, n);
    const sumsFresh = new Float64Array(B);
    fresh.step(0, n, 4, batch, weights, nextBatch, sumsFresh, 0);
    fresh.step(0, n, 5, nextBatch, weights, batch, sumsFresh, 0);

    expect(xKept).toEqual(xFresh);
    expect(sumsKept).toEqual(sumsFresh);
    expect(xKept).not.toEqual(x0);
  });
});

/**
 * One fused step of the kernel written plainly, one particle and one data point at a time,
 * with every sum in the order the kernel promises (j ascending in α·z, b ascending over the
 * batch, particles ascending in the forward sums): the kernel's pairs of particles, padded
 * tiles and groups must give exactly these bits.
 */
function plainStep(
  cfg: KernelConfig,
  x: Float32Array,
  k: number,
  z: Float32Array,
  w: Float64Array,
  zNext: Float32Array,
  sums: Float64Array,
): void {
  const { n, p, d, batch: rows, tau, priorStd, key } = cfg;
  const { phi: phiOf, dphiFromPhi } = activationOf(activationOfCode(cfg.activation));
  const sigma = noiseLevel(cfg, k);
  const confinement = (sigma * sigma) / (2 * priorStd * priorStd);
  const dot = (i: number, data: Float32Array, b: number): number => {
    let u = 0;
    for (let j = 0; j < p; j++) u += x[i * d + j]! * data[b * p + j]!;
    return u;
  };
  sums.fill(0, 0, rows);
  const xi = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const c = x[i * d + p]!;
    const v = new Float64Array(rows);
    const grad = new Float64Array(d);
    for (let b = 0; b < rows; b++) {
      const phi = phiOf(dot(i, z, b));
      const dphi = dphiFromPhi(phi);
      grad[p] = grad[p]! + w[b]! * phi;
      v[b] = w[b]! * c * dphi;
    }
    for (let j = 0; j < p; j++) {
      let g = 0;
      for (let b = 0; b < rows; b++) g += v[b]! * z[b * p + j]!;
      grad[j] = g;
    }
    particleGaussians(Stream.noise, i, k, d, key, xi, 0, new Uint32Array(4), new Float64Array(4));
    for (let j = 0; j < d; j++) {
      const xj = x[i * d + j]!;
      const drift = grad[j]! * (1 / rows) - confinement * xj;
      x[i * d + j] = Math.fround(xj + tau * drift + sigma * Math.sqrt(tau) * xi[j]!);
    }
    for (let b = 0; b < rows; b++) sums[b] = sums[b]! + x[i * d + p]! * phiOf(dot(i, zNext, b));
  }
}

describe.each([
  // odd particle count, p not a multiple of 4, B not a multiple of 4
  [37, 5, 7],
  // several groups of particles, batches over several tiles
  [301, 6, 517],
  [260, 16, 64],
  [3, 1, 1],
])('a step of n = %i, p = %i, B = %i', (count, inputs, rows) => {
  it.each(ACTIVATIONS)('gives the bits of the plain loops with %s', (activation) => {
    const cfg: KernelConfig = {
      ...config(activation, true),
      n: count,
      p: inputs,
      d: inputs + 1,
      batch: rows,
      trainCount: rows,
      lossBlock: rows,
      chunkSize: count,
    };
    const x = Float32Array.from(testGaussians(count * cfg.d, 11));
    const z = Float32Array.from(testGaussians(rows * inputs, 12));
    const zNext = Float32Array.from(testGaussians(rows * inputs, 13));
    const w = Float64Array.from(testGaussians(rows, 14));
    const expected = x.slice();
    const expectedSums = new Float64Array(rows);
    plainStep(cfg, expected, 9, z, w, zNext, expectedSums);

    const xWhole = x.slice();
    const whole = new ParticleKernel(cfg, xWhole, 0, count);
    whole.forward(0, count, z, 0, rows, new Float64Array(rows), 0, true);
    const sums = new Float64Array(rows);
    whole.step(0, count, 9, z, w, zNext, sums, 0);
    expect(xWhole).toEqual(expected);
    expect(sums).toEqual(expectedSums);

    // A step may be given any sub-range: two halves move the particles alike.
    const kernel = new ParticleKernel(cfg, x, 0, count);
    kernel.forward(0, count, z, 0, rows, new Float64Array(rows), 0, true);
    const half = count >> 1;
    kernel.step(0, half, 9, z, w, zNext, new Float64Array(rows), 0);
    kernel.step(half, count, 9, z, w, zNext, new Float64Array(rows), 0);
    expect(x).toEqual(expected);
  });
});

describe('chunk plan', () => {
  it.each([
    [1, 0],
    [63, 8],
    [1000, 64],
    [65536, 64],
    [1_000_003, 512],
    [4096, 1_000_000],
  ])('covers n = %i particles with B = %i', (count, rows) => {
    const { chunkSize, chunks } = chunkPlan(count, rows);
    expect(chunks * chunkSize).toBeGreaterThanOrEqual(count);
    expect((chunks - 1) * chunkSize).toBeLessThan(count);
    expect(chunks).toBeLessThanOrEqual(1024);
  });
});

describe('keeping φ between steps', () => {
  it('takes up to an eighth of the host memory, and 256 MiB where that is unknown', () => {
    // 2^22 · 64 doubles = 2 GiB: kept with 16 GiB of memory, not with 8 GiB or unknown.
    expect(cachePhi(2 ** 22, 64, 16 * 2 ** 30)).toBe(true);
    expect(cachePhi(2 ** 22, 64, 8 * 2 ** 30)).toBe(false);
    expect(cachePhi(2 ** 22, 64, null)).toBe(false);
    // 2^19 · 64 doubles = 256 MiB: kept anywhere.
    expect(cachePhi(2 ** 19, 64, null)).toBe(true);
    expect(cachePhi(2 ** 19, 64, 2 ** 30)).toBe(true);
    expect(cachePhi(2 ** 19 + 1, 64, null)).toBe(false);
  });
});

describe('kernel scratch', () => {
  it('steps where kept φ would pass 2 GiB, with the bits of a kernel that keeps none', () => {
    // 2^22 + 1 particles × 64 points × 8 bytes is just over 2 GiB of kept φ.
    const many = { ...config('tanh', true), n: 2 ** 22 + 1, p: 1, d: 2, batch: 64 };
    const rows = Float32Array.from(testGaussians(64, 21));
    const w = Float64Array.from(testGaussians(64, 22));
    const step = (cfg: KernelConfig) => {
      const x = Float32Array.from(testGaussians(2 * 9, 23));
      const big = new Float32Array(cfg.n * cfg.d);
      big.set(x);
      const kernel = new ParticleKernel(cfg, big, 0, cfg.n);
      kernel.forward(0, 9, rows, 0, 64, new Float64Array(64), 0, true);
      const sums = new Float64Array(64);
      kernel.step(0, 9, 3, rows, w, rows, sums, 0);
      return [big.slice(0, 18), sums];
    };
    const [x, sums] = step(many);
    expect(x).toEqual(step({ ...many, cachePhi: false })[0]);
    expect(sums).toEqual(step({ ...many, cachePhi: false })[1]);
    expect(x).not.toEqual(Float32Array.from(testGaussians(18, 23)));
  });

  it('refuses inputs too wide for a WebAssembly memory, naming p', () => {
    const wide = { ...config('tanh', false), p: 2 ** 21, d: 2 ** 21 + 1, n: 1 };
    const x = new Float32Array(wide.d);
    expect(() => new ParticleKernel(wide, x, 0, 1)).toThrow(
      /p = 2097152 needs \d+ bytes of kernel scratch per thread, more than WebAssembly's 4 GiB/,
    );
  });
});
