// The CPU reference backend as a Simulation: x⁰, the exact law without data, invariance to
// the thread count, checkpoints, observables and input validation.
import { afterEach, describe, expect, it } from 'vitest';
import { exactNoDataVariance } from '../../src/contract/model';
import { keyFromSeed, philox4x32, uniformFromWord } from '../../src/contract/philox';
import {
  DeviceLimitError,
  type Dynamics,
  type Problem,
  type Simulation,
} from '../../src/contract/simulation';
import { checkCpuSize } from '../../src/cpu/layout';
import { createCpuSimulation } from '../../src/cpu/reference';
import { referenceInit, referenceLoss } from '../../src/contract/reference';
import {
  BASE_DYNAMICS,
  maxRelativeError,
  noDataProblem,
  teacherProblem,
} from '../support/cpu-fixtures';

const live: Simulation[] = [];
async function simulation(problem: Problem, dynamics: Dynamics, threads = 2): Promise<Simulation> {
  const sim = await createCpuSimulation(problem, dynamics, { threads });
  live.push(sim);
  return sim;
}
afterEach(() => {
  for (const sim of live.splice(0)) sim.destroy();
});

const problem = teacherProblem(3, 40, 16);

describe('initial particles', () => {
  it('are initStd times the SPEC Gaussians of stream 1', async () => {
    const dynamics = { ...BASE_DYNAMICS, n: 150, initStd: 0.7, seed: 2 ** 32 + 9 };
    const sim = await simulation(problem, dynamics);
    const x = await sim.particles();
    const d = problem.p + 1;
    const [k0, k1] = keyFromSeed(dynamics.seed);
    const words = new Uint32Array(4);
    let worst = 0;
    for (let i = 0; i < dynamics.n; i++) {
      for (let j = 0; j < d; j++) {
        // Block j>>2 of counter (i, 0, 1, block); pair (u0,u1) or (u2,u3); cos then sin.
        philox4x32(i, 0, 1, j >> 2, k0, k1, words);
        const pair = (j & 2) >> 1;
        const u0 = uniformFromWord(words[2 * pair]!);
        const u1 = uniformFromWord(words[2 * pair + 1]!);
        const angle = 2 * Math.PI * u1;
        const g =
          Math.sqrt(-2 * Math.log(u0)) * ((j & 1) === 0 ? Math.cos(angle) : Math.sin(angle));
        worst = Math.max(worst, Math.abs(x[i * d + j]! - dynamics.initStd * g));
      }
    }
    expect(worst).toBeLessThan(1e-6);
    expect(x).toEqual(referenceInit(dynamics, d));
  });

  it('depend on the seed (a wrong seed would be caught)', async () => {
    const a = await (await simulation(problem, BASE_DYNAMICS)).particles();
    const b = await (await simulation(problem, { ...BASE_DYNAMICS, seed: 8 })).particles();
    expect(maxRelativeError(a, b)).toBeGreaterThan(0.1);
  });
});

describe('without data (F ≡ 0)', () => {
  it('follows the exact AR(1) law of SPEC §2', async () => {
    const p = 4;
    const d = p + 1;
    const dynamics = { ...BASE_DYNAMICS, n: 16384, sigma: 1, tau: 0.1, priorStd: 1, initStd: 0.5 };
    const sim = await simulation(noDataProblem(p), dynamics);
    const steps = 10;
    await sim.run(steps);
    expect(sim.step).toBe(steps);
    const { mean, var: variance } = await sim.moments();
    const v = exactNoDataVariance(dynamics.sigma, dynamics.tau, 1, dynamics.initStd, steps);
    const { n } = dynamics;
    // Standard errors: mean √(v/n); sample variance of a Gaussian √(2v²/n).
    for (let j = 0; j < d; j++) {
      expect(Math.abs(mean[j]!)).toBeLessThan(5 * Math.sqrt(v / n));
      expect(Math.abs(variance[j]! - v)).toBeLessThan(5 * Math.sqrt((2 * v * v) / n));
    }
    const pooled = variance.reduce((s, x) => s + x, 0) / d;
    expect(Math.abs(pooled - v)).toBeLessThan(5 * Math.sqrt((2 * v * v) / (n * d)));
    // The doubled confinement SPEC §2 warns about would give a variance this far off.
    const wrong = exactNoDataVariance(dynamics.sigma, 2 * dynamics.tau, 1, 0.5, steps);
    expect(Math.abs(pooled - wrong)).toBeGreaterThan(20 * Math.sqrt((2 * v * v) / (n * d)));
    expect(await sim.loss('train')).toBe(0);
  });
});

describe('determinism', () => {
  it('gives the same bits on 1 and 3 threads', async () => {
    const dynamics = { ...BASE_DYNAMICS, n: 1000 };
    const one = await simulation(problem, dynamics, 1);
    const three = await simulation(problem, dynamics, 3);
    expect(one.device).toMatch(/^CPU reference, 1 thread \(/);
    expect(three.device).toMatch(/^CPU reference, 3 threads \(/);
    await one.run(12);
    await three.run(12);
    expect(await three.particles()).toEqual(await one.particles());
    expect(await three.loss('train')).toBe(await one.loss('train'));
    expect(await three.loss('test')).toBe(await one.loss('test'));
  });

  it('resumes from a checkpoint as if uninterrupted', async () => {
    const dynamics = { ...BASE_DYNAMICS, n: 300, batch: 'full' as const };
    const straight = await simulation(problem, dynamics);
    await straight.run(7);
    const pieces = await simulation(problem, dynamics, 1);
    await pieces.run(2);
    await pieces.run(1);
    const checkpoint = await pieces.particles();
    const resumed = await simulation(problem, dynamics);
    await resumed.setParticles(checkpoint, pieces.step);
    expect(resumed.step).toBe(3);
    await resumed.run(4);
    expect(resumed.step).toBe(7);
    expect(await resumed.particles()).toEqual(await straight.particles());
  });
});

describe('observables', () => {
  it('computes the loss on both splits and the moments', async () => {
    const dynamics = { ...BASE_DYNAMICS, n: 200, loss: 'huber' as const, huberDelta: 0.5 };
    const sim = await simulation(problem, dynamics);
    await sim.run(3);
    const x = await sim.particles();
    for (const split of ['train', 'test'] as const) {
      const expected = referenceLoss(problem, dynamics, x, split);
      expect(Math.abs((await sim.loss(split)) - expected)).toBeLessThan(1e-12 * (1 + expected));
    }
    const d = problem.p + 1;
    const { mean, var: variance } = await sim.moments();
    expect(mean).toHaveLength(d);
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (let i = 0; i < dynamics.n; i++) m += x[i * d + j]!;
      m /= dynamics.n;
      let v = 0;
      for (let i = 0; i < dynamics.n; i++) v += (x[i * d + j]! - m) ** 2;
      expect(mean[j]).toBeCloseTo(m, 12);
      expect(variance[j]).toBeCloseTo(v / dynamics.n, 12);
    }
    x.fill(0);
    expect((await sim.particles())[0]).not.toBe(0);
  });

  it('refuses a test loss without a held-out set', async () => {
    const sim = await simulation(teacherProblem(2, 10, 0), BASE_DYNAMICS);
    await expect(sim.loss('test')).rejects.toThrow(/held-out/);
  });
});

describe('validation', () => {
  it('rejects bad inputs with clear messages', async () => {
    await expect(createCpuSimulation(problem, { ...BASE_DYNAMICS, n: 0 })).rejects.toThrow(
      /n must/,
    );
    await expect(createCpuSimulation(problem, BASE_DYNAMICS, { threads: 0 })).rejects.toThrow(
      /threads/,
    );
    await expect(createCpuSimulation(problem, BASE_DYNAMICS, { threads: 1.5 })).rejects.toThrow(
      /threads/,
    );
    const short = { ...problem, train: { ...problem.train, z: problem.train.z.subarray(1) } };
    await expect(createCpuSimulation(short, BASE_DYNAMICS)).rejects.toThrow(/train\.z/);
    await expect(createCpuSimulation(problem, { ...BASE_DYNAMICS, batch: 0 })).rejects.toThrow(
      /batch/,
    );
    await expect(createCpuSimulation(problem, { ...BASE_DYNAMICS, seed: -1 })).rejects.toThrow(
      /seed/,
    );
  });

  it('refuses particles past half the host memory, naming the largest n that fits', async () => {
    // 1000 particles of d = 10 are 40000 bytes of float32.
    expect(() => checkCpuSize(1000, 10, 80_000)).not.toThrow();
    expect(() => checkCpuSize(1001, 10, 80_000)).toThrow(DeviceLimitError);
    expect(() => checkCpuSize(1001, 10, 80_000)).toThrow(
      'n = 1001 particles of d = 10 need 40040 bytes; the CPU reference keeps them in shared ' +
        "memory and takes at most half the host's (40000 bytes): the largest n that fits is 1000",
    );
    expect(() => checkCpuSize(2 ** 26, 4098, null)).not.toThrow();
    // 2^26 particles of d = 4098 are 1.1 TB: past half of any host this runs on.
    const huge = createCpuSimulation(noDataProblem(4097), { ...BASE_DYNAMICS, n: 2 ** 26 });
    await expect(huge).rejects.toThrow(DeviceLimitError);
    await expect(huge).rejects.toThrow(/the largest n that fits is \d+/);
  });

  it('rejects bad particles and use after destroy()', async () => {
    const sim = await createCpuSimulation(problem, BASE_DYNAMICS, { threads: 1 });
    await expect(sim.setParticles(new Float32Array(3), 0)).rejects.toThrow(/n × d/);
    await expect(sim.run(-1)).rejects.toThrow(/steps/);
    sim.destroy();
    await expect(sim.run(1)).rejects.toThrow(/destroy/);
  });
});
