// σ annealing: σ_k linear from σ to σ_final over the run, the same σ_k on both backends.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseRunArgs } from '../src/contract/config-parse';
import { noiseLevel, type Dynamics } from '../src/contract/simulation';
import { createCpuSimulation } from '../src/cpu/reference';
import { createGpuSimulation } from '../src/gpu/simulation';
import { dynamicsFromConfig } from '../src/study/run-study';
import { noDataProblem } from './support/cpu-fixtures';
import { shaders, useGpu } from './gpu-harness';

const gpu = useGpu();

const annealed: Dynamics = {
  n: 8192,
  sigma: 1.5,
  sigmaFinal: 0.1,
  annealSteps: 40,
  tau: 0.2,
  batch: 'full',
  activation: 'tanh',
  loss: 'square',
  huberDelta: 1,
  priorStd: 1,
  initStd: 1,
  seed: 5,
};
/** Variance after k steps of x' = (1 − a_k) x + σ_k √τ ξ from N(0, s0²), a_k = τσ_k²/(2s²). */
function exactVariance(d: Dynamics, k: number): number {
  let v = d.initStd ** 2;
  for (let step = 0; step < k; step++) {
    const sigma = noiseLevel(d, step);
    const a = (d.tau * sigma * sigma) / (2 * d.priorStd ** 2);
    v = (1 - a) ** 2 * v + sigma * sigma * d.tau;
  }
  return v;
}

describe('σ annealing', () => {
  it('goes linearly from σ to σ_final over annealSteps, then stays', () => {
    expect(noiseLevel(annealed, 0)).toBe(1.5);
    expect(noiseLevel(annealed, 20)).toBeCloseTo(0.8, 12);
    expect(noiseLevel(annealed, 40)).toBeCloseTo(0.1, 12);
    expect(noiseLevel(annealed, 400)).toBeCloseTo(0.1, 12);
    expect(noiseLevel({ ...annealed, sigmaFinal: null }, 20)).toBe(1.5);
  });

  it('is parsed from --sigma-final, anneals over --steps, and bounds τ by the larger σ', () => {
    const { config } = parseRunArgs(['--sigma', '0.5', '--sigma-final', '0', '--steps', '300']);
    expect(config.sigmaFinal).toBe(0);
    expect(dynamicsFromConfig(config)).toMatchObject({ sigmaFinal: 0, annealSteps: 300 });
    expect(parseRunArgs(['--sigma-final', 'none']).config.sigmaFinal).toBeNull();
    expect(() => parseRunArgs(['--sigma-final', '-1'])).toThrow(
      /--sigma-final must be a number >= 0, or none, got "-1"/,
    );
    expect(() => parseRunArgs(['--sigma', '0.1', '--sigma-final', '10', '--tau', '0.1'])).toThrow(
      ConfigError,
    );
  });

  for (const backend of ['webgpu', 'cpu'] as const) {
    it(`follows the exact variance of the annealed F ≡ 0 chain on ${backend}, within 5 standard errors`, async () => {
      const sim =
        backend === 'webgpu'
          ? await createGpuSimulation(gpu(), noDataProblem(3), annealed, shaders)
          : await createCpuSimulation(noDataProblem(3), annealed, { threads: 2 });
      try {
        await sim.run(40);
        const { mean, var: variance } = await sim.moments();
        const d = sim.d;
        const samples = sim.n * d;
        const expected = exactVariance(annealed, 40);
        const pooled = variance.reduce((s, v, j) => s + v + mean[j]! ** 2, 0) / d;
        expect(Math.abs(pooled - expected)).toBeLessThan(5 * expected * Math.sqrt(2 / samples));
        // A constant σ would end more than twice the tolerance away:
        const constant = exactVariance({ ...annealed, sigmaFinal: null }, 40);
        expect(Math.abs(constant - expected)).toBeGreaterThan(
          10 * expected * Math.sqrt(2 / samples),
        );
      } finally {
        sim.destroy();
      }
    });
  }

  it('gives the same particles on the GPU and the CPU reference', async () => {
    const small = { ...annealed, n: 256, annealSteps: 6 };
    const g = await createGpuSimulation(gpu(), noDataProblem(3), small, shaders);
    const c = await createCpuSimulation(noDataProblem(3), small, { threads: 2 });
    try {
      await g.run(8);
      await c.run(8);
      const [xg, xc] = [await g.particles(), await c.particles()];
      let worst = 0;
      for (let i = 0; i < xc.length; i++) {
        worst = Math.max(worst, Math.abs(xg[i]! - xc[i]!) / (1 + Math.abs(xc[i]!)));
      }
      expect(worst).toBeLessThan(2e-5);
    } finally {
      g.destroy();
      c.destroy();
    }
  });
});
