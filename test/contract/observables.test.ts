import { describe, expect, it } from 'vitest';
import {
  freeEnergy,
  gaussianEntropy,
  klEntropy,
  priorLogNormaliser,
} from '../../src/contract/observables';

/** Seeded standard Gaussians (mulberry32 and Box–Muller): the test is the same every run. */
function gaussians(count: number, seed: number): Float64Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}

/** The brute-force nearest-neighbour form of the estimator, to check the sorted search. */
function bruteForceEntropy(x: Float64Array, count: number, d: number): number {
  let sumLog = 0;
  for (let i = 0; i < count; i++) {
    let nearest = Infinity;
    for (let k = 0; k < count; k++) {
      if (k === i) continue;
      let dist2 = 0;
      for (let j = 0; j < d; j++) dist2 += (x[i * d + j]! - x[k * d + j]!) ** 2;
      nearest = Math.min(nearest, dist2);
    }
    sumLog += 0.5 * Math.log(nearest);
  }
  let psi = -0.5772156649015329;
  for (let j = 1; j < count; j++) psi += 1 / j;
  // log V_d for d = 3: log(4π/3); ψ(1) = −γ.
  return psi + 0.5772156649015329 + Math.log((4 * Math.PI) / 3) + (d / count) * sumLog;
}

describe('Kozachenko–Leonenko entropy', () => {
  // The known-entropy case. At N = 1000 the estimator's bias is below 0.03 nats up to d = 5
  // and its spread a few hundredths per dimension (docs/free-energy.md): the tolerance is
  // four spreads, and a wrong constant (log V_d, ψ, a factor d) misses it by far.
  it.each([
    [1, 1],
    [2, 0.5],
    [3, 2],
    [5, 1],
  ] as const)('gives the entropy of N(0, s² I) in d = %i, s = %f, from 1000 points', (d, s) => {
    const x = gaussians(1000 * d, 7 + d).map((v) => v * s);
    const h = klEntropy(x, 1000, d);
    expect(Math.abs(h - gaussianEntropy(d, s))).toBeLessThan(0.05 * d + 0.05);
  });

  it('finds the same nearest neighbours as the brute-force search', () => {
    const x = gaussians(500 * 3, 5);
    expect(klEntropy(x, 500, 3)).toBeCloseTo(bruteForceEntropy(x, 500, 3), 10);
  });

  it('uses at most the subsample limit, spread over the rows', () => {
    const x = gaussians(4000 * 2, 3);
    const h = klEntropy(x, 4000, 2, 1000);
    expect(h).not.toBe(klEntropy(x, 4000, 2, 4000));
    expect(Math.abs(h - gaussianEntropy(2, 1))).toBeLessThan(0.15);
  });

  it('leaves out coincident points and needs two distinct ones', () => {
    expect(klEntropy([1, 1, 1, 1], 4, 1)).toBeNaN();
    expect(klEntropy([0], 1, 1)).toBeNaN();
  });
});

describe('free energy', () => {
  it('writes the prior normaliser once: KL(g ‖ g) = 0 in expectation', () => {
    // E_g[U] = d/2 + log Z and h(g) = (d/2) log(2πe s²) = d/2 + log Z: the difference is 0.
    const d = 4;
    const s = 1.7;
    expect(gaussianEntropy(d, s) - (d / 2 + priorLogNormaliser(d, s))).toBeCloseTo(0, 12);
  });

  it.each([1, 2, 3])('KL(m ‖ g) is near 0 when particles of d = %i follow the prior', (d) => {
    const s = 0.8;
    const n = 4000;
    const x = Float32Array.from(gaussians(n * d, 11 + d).map((v) => v * s));
    const energy = freeEnergy(x, n, d, 0.5, 0.2, s, n);
    expect(Math.abs(energy.relativeEntropy)).toBeLessThan(0.03 * d);
    expect(energy.subsample).toBe(n);
    expect(energy.value).toBeCloseTo(0.5 + 0.02 * energy.relativeEntropy, 12);
  });

  it('gives KL of a narrower Gaussian: log(s/r) per dimension + (r²/s² − 1)/2', () => {
    const d = 2;
    const r = 0.5;
    const n = 4000;
    const x = Float32Array.from(gaussians(n * d, 21).map((v) => v * r));
    const exact = d * (Math.log(1 / r) + (r * r - 1) / 2);
    const energy = freeEnergy(x, n, d, 0, 1, 1, n);
    expect(energy.relativeEntropy).toBeCloseTo(exact, 1);
    expect(energy.value).toBeCloseTo(exact / 2, 1);
  });
});
