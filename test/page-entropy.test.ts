import { describe, expect, it } from 'vitest';
import { freeEnergy, klEntropy } from '../src/page/entropy';

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

/** h of N(0, s² I_d): (d/2) log(2πe s²). */
const gaussianEntropy = (d: number, s: number): number =>
  (d / 2) * Math.log(2 * Math.PI * Math.E * s * s);

describe('Kozachenko–Leonenko entropy', () => {
  for (const [d, s] of [
    [1, 1],
    [2, 0.5],
    [3, 2],
    [5, 1],
  ] as const) {
    it(`gives a Gaussian's entropy in d = ${d}, s = ${s}, from 1000 points`, () => {
      const x = gaussians(1000 * d, 7 + d).map((v) => v * s);
      const h = klEntropy(x, 1000, d);
      // The estimator's spread at N = 1000 is a few hundredths per dimension.
      expect(Math.abs(h - gaussianEntropy(d, s))).toBeLessThan(0.06 * d + 0.05);
    });
  }

  it('uses at most the subsample limit, spread over the rows', () => {
    const x = gaussians(4000 * 2, 3);
    expect(Math.abs(klEntropy(x, 4000, 2, 1000) - gaussianEntropy(2, 1))).toBeLessThan(0.2);
  });

  it('H = KL(m ‖ g) is near 0 when the particles follow the prior', () => {
    const d = 3;
    const x = Float32Array.from(gaussians(1000 * d, 11));
    const energy = freeEnergy(x, 1000, d, 0.5, 0.2, 1);
    expect(Math.abs(energy.relativeEntropy)).toBeLessThan(0.2);
    expect(energy.value).toBeCloseTo(0.5 + 0.02 * energy.relativeEntropy, 12);
  });
});
