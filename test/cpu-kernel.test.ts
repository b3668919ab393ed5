// The per-range kernels of the CPU reference: kept φ values give the same bits as recomputed
// ones, odd sizes take the loops' remainder paths, and the chunk plan covers the particles.
import { describe, expect, it } from 'vitest';
import { activation as activationOf, activationCode, ACTIVATIONS } from '../src/contract/model';
import { ParticleKernel, type KernelConfig } from '../src/cpu/kernel';
import { chunkPlan } from '../src/cpu/layout';
import { testGaussians } from './cpu-fixtures';

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
