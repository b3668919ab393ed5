import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunArgs } from '../../src/contract/config-parse';
import { activation as activationOf } from '../../src/contract/model';
import {
  STATIONARY_DEFAULTS,
  StationaryError,
  solveStationary,
  type StationaryOptions,
} from '../../src/contract/stationary';
import { buildProblem } from '../../src/data/datasets';
import { decodeNpy } from '../../src/io/npy';
import { mainCaptured } from '../support/mfld';

const scratch = mkdtempSync(join(tmpdir(), 'mfld-stationary-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SOLVER: StationaryOptions = {
  sigma: 1,
  priorStd: 1,
  activation: 'tanh',
  loss: 'square',
  huberDelta: 1,
  gridPoints: 101,
  extent: 8,
  damping: STATIONARY_DEFAULTS.damping,
  tolerance: 1e-10,
  maxIterations: 5000,
};

const problemOf = (...flags: string[]) =>
  buildProblem(parseRunArgs(['--no-bias', '--test-samples', '0', ...flags]).config);

describe('solveStationary', () => {
  it.each([
    [1, 1],
    [0.3, 0.7],
    [2, 1.5],
  ])('F ≡ 0 (no data), σ %f, s %f: m* = g exactly', (sigma, priorStd) => {
    const problem = problemOf('--dataset', 'none', '--dim', '1');
    const law = solveStationary(problem, { ...SOLVER, sigma, priorStd, extent: 8 * priorStd });
    expect(law.iterations).toBe(0);
    expect(law.residual).toBe(0);
    // The density is g on the grid, normalised there: the same up to one rounding.
    const G = law.axis.length;
    let sum = 0;
    for (let k = 0; k < G * G; k++) {
      const [a, c] = [law.axis[Math.floor(k / G)]!, law.axis[k % G]!];
      sum += Math.exp(-(a * a + c * c) / (2 * priorStd ** 2));
    }
    for (let k = 0; k < G * G; k += 37) {
      const [a, c] = [law.axis[Math.floor(k / G)]!, law.axis[k % G]!];
      const g = Math.exp(-(a * a + c * c) / (2 * priorStd ** 2)) / sum / law.spacing ** 2;
      expect(law.density[k]).toBeCloseTo(g, 12);
    }
    expect(law.relativeEntropy).toBeCloseTo(0, 12);
    expect(law.freeEnergy).toBeCloseTo(0, 12);
    expect(law.trainLoss).toBe(0);
    for (const t of [0, 1]) {
      expect(law.mean[t]).toBeCloseTo(0, 12);
      expect(law.var[t]).toBeCloseTo(priorStd ** 2, 8);
    }
  });

  it('solves the fixed point m* ∝ g·exp(−(2/σ²) δF/δm(m*, ·)) on the sine data set', () => {
    const problem = problemOf('--dataset', 'sine', '--samples', '32');
    const law = solveStationary(problem, SOLVER);
    expect(law.residual).toBeLessThan(SOLVER.tolerance);
    // Recompute δF/δm from the law's own outputs: −c·A(α), A(α) = mean_b 2 r_b φ(α z_b).
    const { phi } = activationOf('tanh');
    const { z, y, count } = problem.train;
    const G = law.axis.length;
    const logRatio = (i: number, j: number): number => {
      let A = 0;
      for (let b = 0; b < count; b++)
        A += (2 * (y[b]! - law.outputs[b]!) * phi(law.axis[i]! * z[b]!)) / count;
      const [a, c] = [law.axis[i]!, law.axis[j]!];
      return Math.log(law.density[i * G + j]!) + (a * a + c * c) / 2 - 2 * c * A;
    };
    // log(m*/g) − (2/σ²) c A(α) is the same constant everywhere that matters.
    const reference = logRatio(50, 50);
    for (const [i, j] of [
      [30, 60],
      [70, 40],
      [50, 80],
      [20, 25],
    ] as const) {
      expect(logRatio(i, j)).toBeCloseTo(reference, 6);
    }
    // The model learns: F(m*) below F at m = g (the variance of y, f = 0) and V ≥ F.
    const atPrior = Array.from(y).reduce((s, v) => s + v * v, 0) / count;
    expect(law.trainLoss).toBeLessThan(0.5 * atPrior);
    expect(law.freeEnergy).toBeGreaterThan(law.trainLoss);
    expect(law.covariance).toBeGreaterThan(0.3);
  });

  it('refuses a law cut off by the grid, naming --grid-extent', () => {
    const problem = problemOf('--dataset', 'sine', '--samples', '32');
    const attempt = () => solveStationary(problem, { ...SOLVER, extent: 2.5 });
    expect(attempt).toThrow(StationaryError);
    expect(attempt).toThrow(/edge of the grid.*--grid-extent/);
  });

  it('refuses an iteration that has not converged, naming --max-iterations', () => {
    const problem = problemOf('--dataset', 'sine', '--samples', '32');
    const attempt = () => solveStationary(problem, { ...SOLVER, sigma: 0.4, maxIterations: 3 });
    expect(attempt).toThrow(/no convergence in 3 iterations \(--max-iterations\)/);
  });
});

describe('mfld stationary', () => {
  it('writes the JSON record and the density', async () => {
    const json = join(scratch, 'm.json');
    const npy = join(scratch, 'm.npy');
    const args = ['--dataset=sine', '--no-bias', '--sigma=1', '--samples=32', '--grid=61'];
    const result = await mainCaptured([
      'stationary',
      ...args,
      `--json=${json}`,
      `--save-density=${npy}`,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^F\(m\*\) +\S+ +test \S+$/m);
    const record = JSON.parse(readFileSync(json, 'utf8'));
    expect(record.grid).toMatchObject({ points: 61, extent: 8, spacing: 16 / 60 });
    expect(record.loss.train).toBeGreaterThan(0);
    expect(record.freeEnergy).toBeCloseTo(record.loss.train + record.relativeEntropy / 2, 12);
    expect(record.moments.mean).toHaveLength(2);
    expect(record.moments.var).toHaveLength(2);
    expect(record.outputs.train).toHaveLength(32);
    expect(record.outputs.test).toHaveLength(record.data.test);
    expect(record.residual).toBeLessThan(record.solver.tolerance);
    expect(record.iterations).toBeGreaterThan(0);
    const density = decodeNpy(new Uint8Array(readFileSync(npy)), npy);
    expect([density.rows, density.cols]).toEqual([61, 61]);
    const mass = density.data.reduce((s, v) => s + v, 0) * record.grid.spacing ** 2;
    expect(mass).toBeCloseTo(1, 5);
  });

  it.each([
    [['--dataset=sine'], /needs particles of d = 2.*--no-bias/],
    [['--dataset=teacher', '--no-bias'], /d = 5 \(p = 4\): use one input/],
    [['--no-bias', '--dataset=sine', '--grid=4002'], /--grid must be an integer from 11 to 4001/],
    [['--no-bias', '--dataset=sine', '--grid-extent=0'], /--grid-extent must be a number > 0/],
    [['--no-bias', '--dataset=sine', '--damping=1.5'], /--damping must be a number in \(0, 1\]/],
    [['--no-bias', '--dataset=sine', '--tolerance=0'], /--tolerance must be/],
    [['--no-bias', '--dataset=sine', '--max-iterations=0.5'], /--max-iterations must be/],
    [['--no-bias', '--dataset=sine', '--sigma=0'], /--sigma must be > 0/],
    [['--no-bias', '--dataset=sine', '--sigma-final=0.1'], /--sigma-final is not taken/],
    [
      ['--no-bias', '--dataset=sine', '--batch=8'],
      /--batch 8: mfld stationary solves the full-batch law/,
    ],
    [
      ['--no-bias', '--dataset=sine', '--save-density=x.csv'],
      /--save-density must be a file path ending in \.npy/,
    ],
    [['--no-bias', '--dataset=sine', '--resume=x'], /--resume is not taken/],
  ])('refuses %j naming the flag, exit 2', async (args, message) => {
    const result = await mainCaptured(['stationary', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('is listed by mfld help, and --help prints its flags', async () => {
    expect((await mainCaptured(['help'])).stdout).toMatch(/mfld stationary/);
    const help = await mainCaptured(['stationary', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--grid-extent L/);
  });
});
