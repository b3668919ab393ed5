// The benchmark's counting and its scaling fit, on exact and synthetic data.
import { describe, expect, it } from 'vitest';
import {
  bytesPerParticleStep,
  fitExponentByRound,
  flopPerParticleStep,
  medianRatio,
  summarize,
} from '../src/bench/counts';
import { FitError, fitExponent } from '../src/study/power-fit';

describe('counts per particle-step', () => {
  it('FLOP = B·(6p + 8) + 6d with d = p + 1', () => {
    expect(flopPerParticleStep(15, 64)).toBe(64 * (6 * 15 + 8) + 6 * 16);
    expect(flopPerParticleStep(1, 1)).toBe(14 + 12);
  });
  it('bytes = 2·d·4 (read and write once, float32)', () => {
    expect(bytesPerParticleStep(15)).toBe(128);
    expect(bytesPerParticleStep(4)).toBe(40);
  });
  it('refuses sizes that are not positive integers', () => {
    expect(() => flopPerParticleStep(0, 4)).toThrow(RangeError);
    expect(() => flopPerParticleStep(3, 1.5)).toThrow(RangeError);
    expect(() => bytesPerParticleStep(-1)).toThrow(RangeError);
  });
});

describe('exponent fit', () => {
  const sizes = [256, 1024, 4096, 16384, 65536, 262144];
  for (const exponent of [0, 0.5, 1, 1.37, 2]) {
    it(`recovers the exponent ${exponent} of an exact power law with R² = 1`, () => {
      const fit = fitExponent(sizes.map((n) => ({ n, seconds: 3e-7 * n ** exponent })));
      expect(fit.exponent).toBeCloseTo(exponent, 10);
      expect(fit.r2).toBeCloseTo(1, 10);
    });
  }
  it('fits the upper half, at least 3 points, sorted by n', () => {
    // A flat floor at small n (dispatch overhead), linear above: only the top is fitted.
    const points = [...sizes].reverse().map((n) => ({ n, seconds: n <= 1024 ? 1 : n / 1024 }));
    const fit = fitExponent(points);
    expect(fit.range).toEqual({ from: 16384, to: 262144, points: 3 });
    expect(fit.exponent).toBeCloseTo(1, 10);
    const eight = [...points, { n: 64, seconds: 1 }, { n: 1 << 20, seconds: 1024 }];
    expect(fitExponent(eight).range).toEqual({ from: 16384, to: 1 << 20, points: 4 });
    expect(fitExponent(eight.slice(0, 4)).range).toEqual({ from: 16384, to: 262144, points: 3 });
  });
  it('uses every point when there are fewer than the minimum', () => {
    const fit = fitExponent([
      { n: 10, seconds: 1 },
      { n: 100, seconds: 10 },
    ]);
    expect(fit.range.points).toBe(2);
    expect(fit.exponent).toBeCloseTo(1, 12);
  });
  it('gives R² below 1 on noisy data', () => {
    const noise = [1, 1.3, 0.8, 1.2, 0.9, 1.1];
    const fit = fitExponent(
      sizes.map((n, i) => ({ n, seconds: n * noise[i]! })),
      6,
    );
    expect(fit.r2).toBeGreaterThan(0);
    expect(fit.r2).toBeLessThan(1);
  });
  it('refuses fewer than 2 points, repeated sizes and non-positive times', () => {
    expect(() => fitExponent([])).toThrow(/at least 2 sizes, got 0/);
    expect(() => fitExponent([{ n: 10, seconds: 1 }])).toThrow(FitError);
    expect(() =>
      fitExponent([
        { n: 10, seconds: 1 },
        { n: 10, seconds: 2 },
      ]),
    ).toThrow(/distinct/);
    expect(() =>
      fitExponent([
        { n: 10, seconds: 0 },
        { n: 20, seconds: 2 },
      ]),
    ).toThrow(FitError);
  });
});

describe('summarize', () => {
  it('gives median, min and max', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(summarize([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(() => summarize([])).toThrow(RangeError);
  });
});

describe('medianRatio (fraction of a limit measured next to each block)', () => {
  it('pairs each rate with its own limit, so that a drift common to both cancels', () => {
    // The machine slows to half speed in the middle: rates and limits drop together.
    const rates = [3, 1.5, 1.5, 3, 3];
    const limits = [10, 5, 5, 10, 10];
    expect(medianRatio(rates, limits)).toBeCloseTo(0.3, 15);
    // The median of the rates over the median of the limits would not see the pairing.
    expect(medianRatio([1, 2, 9], [10, 4, 10])).toBeCloseTo(0.5, 15);
  });

  it('refuses unpaired lists and limits that are not finite and positive', () => {
    expect(() => medianRatio([1, 2], [1])).toThrow('2 rates but 1 limits');
    expect(() => medianRatio([1], [0])).toThrow('finite and positive, got 0');
    expect(() => medianRatio([1], [NaN])).toThrow('got NaN');
    expect(() => medianRatio([], [])).toThrow(RangeError);
  });
});

describe('exponent fitted round by round', () => {
  const sizes = [4096, 16384, 65536, 262144];
  it("cancels each round's own speed: a swing that moves a round's sizes alike", () => {
    const speed = [1, 1.4, 0.7, 1.2, 0.9];
    const fit = fitExponentByRound(
      sizes.map((n) => ({ n, seconds: speed.map((s) => 1e-6 * s * n ** 1.05) })),
    );
    expect(fit.exponent).toBeCloseTo(1.05, 10);
    expect(fit.rounds).toHaveLength(5);
    for (const exponent of fit.rounds) expect(exponent).toBeCloseTo(1.05, 10);
    expect(fit.r2).toBeCloseTo(1, 10);
    expect(fit.range).toEqual({ from: 16384, to: 262144, points: 3 });
  });
  it("is the median of the rounds' exponents, each fitted to that round's blocks alone", () => {
    // Rounds 0 and 1 are slow at the largest size, round 2 at the smallest fitted one.
    const slow = (r: number, i: number): number =>
      (r < 2 && i === sizes.length - 1) || (r === 2 && i === 1) ? 1.5 : 1;
    const fit = fitExponentByRound(
      sizes.map((n, i) => ({ n, seconds: [0, 1, 2].map((r) => 1e-6 * n * slow(r, i)) })),
    );
    const [steep, again, shallow] = fit.rounds;
    expect(steep).toBeGreaterThan(1.1);
    expect(again).toBe(steep);
    expect(shallow).toBeLessThan(0.9);
    expect(fit.exponent).toBe(steep);
    expect(fit.r2).toBeLessThan(1);
  });
  it('refuses rounds of unequal length and sizes without blocks', () => {
    expect(() =>
      fitExponentByRound([
        { n: 10, seconds: [1, 2] },
        { n: 20, seconds: [2] },
      ]),
    ).toThrow(/every size needs 2 blocks, n = 20 has 1/);
    expect(() => fitExponentByRound([])).toThrow(FitError);
    expect(() => fitExponentByRound([{ n: 10, seconds: [1] }])).toThrow(/at least 2 sizes/);
  });
});
