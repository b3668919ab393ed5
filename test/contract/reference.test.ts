// The plain reference of SPEC §2 (src/contract/reference.ts) on its own, where SPEC gives
// exact answers: without data each coordinate is the AR(1) chain of SPEC §2, the batch is
// S_k of SPEC §3, and an annealed run takes σ_k of each step.
import { describe, expect, it } from 'vitest';
import { exactNoDataVariance } from '../../src/contract/model';
import {
  batchIndices,
  referenceInit,
  referenceLoss,
  referenceStep,
  referenceSteps,
} from '../../src/contract/reference';
import { noiseLevel } from '../../src/contract/simulation';
import { BASE_DYNAMICS, noDataProblem, teacherProblem } from '../support/cpu-fixtures';

describe('without data (F ≡ 0)', () => {
  const problem = noDataProblem(2);
  const dynamics = { ...BASE_DYNAMICS, n: 4000, sigma: 1, tau: 0.2, priorStd: 1.5, initStd: 0.5 };
  const steps = 12;
  const x = referenceSteps(problem, dynamics, referenceInit(dynamics, 3), 0, steps);

  it('has mean 0 and the variance of the AR(1) chain after k steps', () => {
    const expected = exactNoDataVariance(1, 0.2, 1.5, 0.5, steps);
    for (let j = 0; j < 3; j++) {
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < dynamics.n; i++) {
        sum += x[i * 3 + j]!;
        squares += x[i * 3 + j]! ** 2;
      }
      const mean = sum / dynamics.n;
      // Standard errors over n = 4000: √(v/n) ≈ 0.02 for the mean, v√(2/n) ≈ 0.04 for v.
      expect(Math.abs(mean)).toBeLessThan(0.1);
      expect(Math.abs(squares / dynamics.n - mean * mean - expected)).toBeLessThan(0.2);
    }
  });

  it('has a loss of 0 and an empty batch', () => {
    expect(referenceLoss(problem, dynamics, x, 'train')).toBe(0);
    expect(batchIndices(dynamics, problem.train, 3)).toEqual([]);
  });
});

describe('the batch S_k', () => {
  const problem = teacherProblem(2, 10, 0);
  it('is every point in order with batch full', () => {
    const full = { ...BASE_DYNAMICS, batch: 'full' as const };
    expect(batchIndices(full, problem.train, 5)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('is B points drawn anew at every step with a minibatch', () => {
    const a = batchIndices({ ...BASE_DYNAMICS, batch: 6 }, problem.train, 5);
    const b = batchIndices({ ...BASE_DYNAMICS, batch: 6 }, problem.train, 6);
    expect(a).toHaveLength(6);
    expect(a.every((m) => Number.isInteger(m) && m >= 0 && m < 10)).toBe(true);
    expect(a).not.toEqual(b);
  });
});

describe('an annealed run', () => {
  it('takes σ_k at each step', () => {
    const problem = teacherProblem(2, 10, 0);
    const annealed = { ...BASE_DYNAMICS, n: 20, sigma: 0.5, sigmaFinal: 0.1, annealSteps: 4 };
    const x0 = referenceInit(annealed, problem.p + 1);
    let x = x0;
    for (let k = 0; k < 6; k++) {
      x = referenceStep(
        problem,
        { ...annealed, sigma: noiseLevel(annealed, k), sigmaFinal: null },
        x,
        k,
      );
    }
    expect(referenceSteps(problem, annealed, x0, 0, 6)).toEqual(x);
    expect(referenceSteps(problem, { ...annealed, sigmaFinal: null }, x0, 0, 6)).not.toEqual(x);
  });
});

it('refuses the held-out loss of a problem without one', () => {
  const problem = teacherProblem(2, 10, 0);
  const x = referenceInit(BASE_DYNAMICS, problem.p + 1);
  expect(() => referenceLoss(problem, BASE_DYNAMICS, x, 'test')).toThrow(/no held-out set/);
});

it('refuses particles of another size than n · d', () => {
  const problem = teacherProblem(2, 10, 0);
  const x = referenceInit(BASE_DYNAMICS, problem.p);
  expect(() => referenceStep(problem, BASE_DYNAMICS, x, 0)).toThrow(/not n · d = 256 · 4/);
});
