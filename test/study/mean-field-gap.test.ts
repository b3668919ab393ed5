import { describe, expect, it } from 'vitest';
import { fitAgainstN, meanFieldGap, type RunReference } from '../../src/study/mean-field-gap';
import type { SweepRun } from '../../src/study/sweep';

const N_VALUES = [64, 256, 1024];
const SEEDS = [1, 2, 3, 4];
const Y = Float64Array.of(1, -0.5, 0.25, 0);
const F_STAR = Float64Array.of(0.8, -0.4, 0.2, 0.1);

const squareLoss = (f: Float64Array): number =>
  f.reduce((s, v, b) => s + (Y[b]! - v) ** 2, 0) / f.length;

/** f of seed k at n: f* plus a deviation of size 1/√n whose sign pattern depends on k. */
function outputsOf(n: number, seed: number): Float64Array {
  return F_STAR.map((v, b) => v + ((b + seed) % 2 === 0 ? 1 : -1) / Math.sqrt(n));
}

function sweep(): { runs: SweepRun[]; outputs: Float64Array[] } {
  const runs: SweepRun[] = [];
  const outputs: Float64Array[] = [];
  for (const n of N_VALUES) {
    for (const seed of SEEDS) {
      const f = outputsOf(n, seed);
      outputs.push(f);
      const train = squareLoss(f);
      runs.push({
        value: n,
        seed,
        status: 'completed',
        train,
        test: null,
        freeEnergy: 1 + 2 / n,
        steps: 1,
        seconds: 0,
      });
    }
  }
  return { runs, outputs };
}

const STATIONARY: RunReference = { train: squareLoss(F_STAR), freeEnergy: 1, outputs: F_STAR };

describe('meanFieldGap', () => {
  it('splits the gap to m* into its variance part (1/n) and the rest, exactly', () => {
    const { runs, outputs } = sweep();
    const gap = meanFieldGap(runs, outputs, N_VALUES, () => STATIONARY);
    expect(gap.reference).toMatchObject({ kind: 'stationary', n: null, freeEnergy: 1 });
    expect(gap.rows.map((row) => row.n)).toEqual(N_VALUES);
    for (const row of gap.rows) {
      expect(row.seeds).toBe(4);
      expect(row.variancePart).toBeCloseTo(1 / row.n, 12);
      expect(row.freeEnergyGap).toBeCloseTo(2 / row.n, 12);
      expect(row.biasPart! + row.variancePart!).toBeCloseTo(row.trainGap!, 12);
      // The linear term −(2/N) Σ r*_b δ_b averages out over the four sign patterns.
      expect(row.biasPart).toBeCloseTo(0, 12);
    }
    const { variancePart, freeEnergyGap } = gap.fits;
    if (!('slope' in variancePart) || !('slope' in freeEnergyGap)) throw new Error('no fit');
    expect(variancePart.slope).toBeCloseTo(-1, 10);
    expect(freeEnergyGap.slope).toBeCloseTo(-1, 10);
  });

  it('without m*, compares each run with the largest n of its own seed, labelled so', () => {
    const { runs, outputs } = sweep();
    const gap = meanFieldGap(runs, outputs, N_VALUES, null);
    expect(gap.reference).toMatchObject({ kind: 'largest-n', n: 1024 });
    expect(gap.rows.map((row) => row.n)).toEqual([64, 256]);
    for (const row of gap.rows) {
      // |δ_n − δ_1024|² with deviations of the same sign pattern: (1/√n − 1/32)².
      expect(row.variancePart).toBeCloseTo((1 / Math.sqrt(row.n) - 1 / 32) ** 2, 12);
      expect(row.freeEnergyGap).toBeCloseTo(2 / row.n - 2 / 1024, 12);
    }
  });

  it('leaves out diverged runs and says why a fit is missing', () => {
    const { runs, outputs } = sweep();
    runs[0] = { ...runs[0]!, status: 'diverged', train: null, freeEnergy: null };
    const gap = meanFieldGap(runs, outputs, N_VALUES, () => STATIONARY);
    expect(gap.rows[0]!.seeds).toBe(3);
    expect(
      fitAgainstN([
        [64, -1],
        [128, null],
      ]),
    ).toEqual({
      error: expect.stringMatching(/needs values > 0 at 2 or more n, got 0/),
    });
  });
});
