// The model's tanh (the CPU reference's) against Math.tanh, in units in the last place of the result.
import { describe, expect, it } from 'vitest';
import { tanh } from '../../src/contract/tanh';

/** The spacing of doubles at v (v ≠ 0, normal). */
function ulp(v: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(v))) - 52);
}

/** A fixed-seed generator (mulberry32), so that a failure names a reproducible argument. */
function uniforms(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('tanh of the CPU reference', () => {
  // Ranges that exercise each part: t ≈ y near 0, k = 0, k ≠ 0 both ways, saturation.
  const ranges: [number, number][] = [
    [1e-300, 1e-8],
    [1e-8, 1e-3],
    [1e-3, 0.35],
    [0.35, 1],
    [1, 5],
    [5, 22],
  ];
  for (const [low, high] of ranges) {
    it(`stays within 8 ulps of Math.tanh for |x| in [${low}, ${high}], both signs`, () => {
      const random = uniforms(Math.round(low * 1e6) + 7);
      let worst = 0;
      let worstAt = 0;
      for (let i = 0; i < 100_000; i++) {
        // Log-uniform over the range, so that its small end is sampled too.
        const magnitude = low * (high / low) ** random();
        const x = i % 2 === 0 ? magnitude : -magnitude;
        const error = Math.abs(tanh(x) - Math.tanh(x)) / ulp(Math.tanh(x));
        if (error > worst) [worst, worstAt] = [error, x];
      }
      expect(worst, `worst at x = ${worstAt}`).toBeLessThanOrEqual(8);
    });
  }

  it.each([22, 30, 1e300, Infinity])('is exactly ±1 at ±%d, as from |x| = 22 on', (x) => {
    expect(tanh(x)).toBe(1);
    expect(tanh(-x)).toBe(-1);
  });

  it('passes NaN, ±0 and the least subnormal through as Math.tanh', () => {
    expect(tanh(NaN)).toBeNaN();
    expect(Object.is(tanh(0), 0)).toBe(true);
    expect(Object.is(tanh(-0), -0)).toBe(true);
    expect(tanh(Number.MIN_VALUE)).toBe(Number.MIN_VALUE);
  });
});
