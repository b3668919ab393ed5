import { describe, expect, it } from 'vitest';
import { DATASETS, DEFAULT_CONFIG, type RunConfig } from '../../src/contract/config';
import { parseRunArgs } from '../../src/contract/config-parse';
import { buildProblem, testSplitSize } from '../../src/data/datasets';
import { FileError } from '../../src/io/file-error';

const SMALL: RunConfig = {
  ...DEFAULT_CONFIG,
  dataset: { ...DEFAULT_CONFIG.dataset, samples: 200, testSamples: 50 },
};
const config = (...args: string[]): RunConfig => parseRunArgs(args, SMALL).config;

const SYNTHETIC = ['teacher', 'gaussians', 'sine'] as const;

function meanAndStd(values: ArrayLike<number>): [number, number] {
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    sumSquares += values[i]! ** 2;
  }
  const mean = sum / values.length;
  return [mean, Math.sqrt(sumSquares / values.length - mean * mean)];
}

describe('buildProblem', () => {
  it.each(SYNTHETIC.flatMap((name) => [true, false].map((bias) => [name, bias] as const)))(
    '%s, bias feature %s: shapes',
    (name, bias) => {
      const dim = name === 'sine' ? 1 : 3;
      const problem = buildProblem(
        config('--dataset', name, '--dim', '3', ...(bias ? [] : ['--no-bias'])),
      );
      const p = dim + (bias ? 1 : 0);
      expect(problem.p).toBe(p);
      expect(problem.train.count).toBe(200);
      expect(problem.train.z.length).toBe(200 * p);
      expect(problem.train.y.length).toBe(200);
      expect(problem.test?.count).toBe(50);
      expect(problem.test?.z.length).toBe(50 * p);
      for (const split of [problem.train, problem.test!]) {
        expect(split.z.every(Number.isFinite)).toBe(true);
        expect(split.y.every(Number.isFinite)).toBe(true);
        for (let m = 0; m < split.count; m++) {
          if (bias) expect(split.z[m * p + dim]).toBe(1);
        }
      }
    },
  );

  it.each(SYNTHETIC)('%s: the same for a seed, different across seeds and splits', (name) => {
    const a = buildProblem(config('--dataset', name, '--seed', '7'));
    const b = buildProblem(config('--dataset', name, '--seed', '7'));
    const c = buildProblem(config('--dataset', name, '--seed', '8'));
    expect(b).toEqual(a);
    expect(c.train.z).not.toEqual(a.train.z);
    expect(c.train.y).not.toEqual(a.train.y);
    expect(a.test!.z).not.toEqual(a.train.z.subarray(0, a.test!.z.length));
  });

  it('seeds above 2^32 use both key words', () => {
    const low = buildProblem(config('--seed', '5'));
    const high = buildProblem(config('--seed', String(5 + 2 ** 32)));
    expect(high.train.z).not.toEqual(low.train.z);
  });

  it('none: no data, p from dim', () => {
    const problem = buildProblem(config('--dataset', 'none', '--dim', '6'));
    expect(problem).toEqual({
      p: 7,
      train: { z: new Float32Array(0), y: new Float32Array(0), count: 0 },
      test: null,
    });
    expect(buildProblem(config('--dataset', 'none', '--dim', '6', '--no-bias')).p).toBe(6);
  });

  it('no test split when testSamples is 0', () => {
    expect(buildProblem(config('--test-samples', '0')).test).toBeNull();
    expect(testSplitSize(config('--test-samples', '0'))).toBe(0);
  });

  it('teacher: Gaussian inputs and labels of order 1', () => {
    const problem = buildProblem(config('--samples', '4000', '--no-bias', '--dim', '5'));
    const [zMean, zStd] = meanAndStd(problem.train.z);
    expect(Math.abs(zMean)).toBeLessThan(0.05);
    expect(zStd).toBeGreaterThan(0.95);
    expect(zStd).toBeLessThan(1.05);
    const [, yStd] = meanAndStd(problem.train.y);
    expect(yStd).toBeGreaterThan(0.2);
    expect(yStd).toBeLessThan(3);
  });

  it('teacher: labels depend on the noise only through the noise term', () => {
    const clean = buildProblem(config('--noise', '0'));
    const noisy = buildProblem(config('--noise', '0.5'));
    expect(noisy.train.z).toEqual(clean.train.z);
    const [, residualStd] = meanAndStd(noisy.train.y.map((y, m) => y - clean.train.y[m]!));
    expect(residualStd).toBeGreaterThan(0.4);
    expect(residualStd).toBeLessThan(0.6);
  });

  it.each([
    ['the default Δ 0.2', [], 1.2, 0.8],
    ['Δ 0.5', ['--separation', '0.5'], 1.5, 0.5],
    ['Δ 0 (one class in two halves)', ['--separation', '0'], 1, 1],
  ])('gaussians, %s: labels ±1 in equal shares, spreads 1 ± Δ', (_, flags, plus, minus) => {
    const dim = 4;
    const problem = buildProblem(
      config('--dataset', 'gaussians', '--samples', '4000', '--no-bias', '--dim', '4', ...flags),
    );
    const { z, y, count } = problem.train;
    const byClass = { positive: [] as number[], negative: [] as number[] };
    for (let m = 0; m < count; m++) {
      expect(Math.abs(y[m]!)).toBe(1);
      byClass[y[m]! > 0 ? 'positive' : 'negative'].push(...z.subarray(m * dim, (m + 1) * dim));
    }
    expect(byClass.positive.length / dim / count).toBeCloseTo(0.5, 1);
    expect(meanAndStd(byClass.positive)[1]).toBeCloseTo(plus, 1);
    expect(meanAndStd(byClass.negative)[1]).toBeCloseTo(minus, 1);
  });

  it('sine: z uniform in [−π, π], y = sin z + noise', () => {
    const problem = buildProblem(
      config('--dataset', 'sine', '--noise', '0', '--no-bias', '--samples', '2000'),
    );
    const { z, y } = problem.train;
    expect(Math.min(...z)).toBeGreaterThanOrEqual(-Math.PI);
    expect(Math.max(...z)).toBeLessThanOrEqual(Math.PI);
    expect(Math.min(...z)).toBeLessThan(-3);
    expect(Math.max(...z)).toBeGreaterThan(3);
    z.forEach((zm, m) => expect(y[m]).toBeCloseTo(Math.sin(zm), 6));
  });

  it('csv: reads the file, appends the bias feature, has no test split', () => {
    const read = (path: string): string => {
      expect(path).toBe('in.csv');
      return 'a,b,y\n1,2,3\n4,5,6\n';
    };
    const problem = buildProblem(config('--dataset', 'csv:in.csv'), read);
    expect(problem.p).toBe(3);
    expect(Array.from(problem.train.z)).toEqual([1, 2, 1, 4, 5, 1]);
    expect(Array.from(problem.train.y)).toEqual([3, 6]);
    expect(problem.test).toBeNull();
    expect(testSplitSize(config('--dataset', 'csv:in.csv'))).toBe(0);
    const noBias = buildProblem(config('--dataset', 'csv:in.csv', '--no-bias'), read);
    expect(noBias.p).toBe(2);
    expect(Array.from(noBias.train.z)).toEqual([1, 2, 4, 5]);
  });

  it('csv: errors name the file', () => {
    expect(() => buildProblem(config('--dataset', 'csv:in.csv'), () => '1,2\n3\n')).toThrow(
      new FileError('in.csv:2: 1 columns, expected 2 as on line 1'),
    );
  });

  it('covers every data set of the config', () => {
    expect([...SYNTHETIC, 'none', 'csv'].sort()).toEqual([...DATASETS].sort());
    expect(DEFAULT_CONFIG.dataset.name).toBe('teacher');
  });
});
