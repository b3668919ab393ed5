// The CPU reference against a plain scalar implementation of SPEC §2 for every activation ×
// loss × batch mode, and learning a teacher network.
import { afterEach, describe, expect, it } from 'vitest';
import { ACTIVATIONS, LOSSES } from '../../src/contract/model';
import type { Simulation } from '../../src/contract/simulation';
import { createCpuSimulation } from '../../src/cpu/reference';
import { referenceLoss, referenceSteps } from '../../src/contract/reference';
import { BASE_DYNAMICS, maxRelativeError, teacherProblem } from '../support/cpu-fixtures';

const live: Simulation[] = [];
afterEach(() => {
  for (const sim of live.splice(0)) sim.destroy();
});

/** Particles are stored as float32: a few roundings apart after a few steps. */
const TOLERANCE = 1e-5;

describe('agreement with a scalar implementation of SPEC §2', () => {
  const problem = teacherProblem(3, 24, 0, 5);
  const cases = ACTIVATIONS.flatMap((activation) =>
    LOSSES.flatMap((loss) => (['full', 8] as const).map((batch) => ({ activation, loss, batch }))),
  );

  it.each(cases)('$activation × $loss × batch $batch', async ({ activation, loss, batch }) => {
    // n over several chunks, so the per-chunk sums and their reduction are exercised.
    const dynamics = {
      ...BASE_DYNAMICS,
      n: 200,
      activation,
      loss,
      batch,
      huberDelta: 0.5,
      tau: 0.2,
      seed: 11,
    };
    const sim = await createCpuSimulation(problem, dynamics, { threads: 2 });
    live.push(sim);
    const x0 = await sim.particles();
    await sim.run(3);
    const expected = referenceSteps(problem, dynamics, x0, 0, 3);
    const x = await sim.particles();
    expect(maxRelativeError(x, expected)).toBeLessThan(TOLERANCE);
    // The comparison is sharp enough to see a step with another seed's noise.
    const wrong = referenceSteps(problem, { ...dynamics, seed: 12 }, x0, 0, 3);
    expect(maxRelativeError(x, wrong)).toBeGreaterThan(100 * TOLERANCE);
    const F = referenceLoss(problem, dynamics, x, 'train');
    expect(Math.abs((await sim.loss('train')) - F)).toBeLessThan(1e-12 * (1 + F));
  });
});

describe('learning', () => {
  it('fits a 3-neuron teacher: the training and test losses fall by a large factor', async () => {
    const problem = teacherProblem(3, 256, 128);
    const dynamics = { ...BASE_DYNAMICS, n: 512, batch: 32, tau: 0.1, sigma: 0.01 };
    const sim = await createCpuSimulation(problem, dynamics, { threads: 2 });
    live.push(sim);
    const train0 = await sim.loss('train');
    const test0 = await sim.loss('test');
    await sim.run(200);
    expect(sim.step).toBe(200);
    const train = await sim.loss('train');
    const test = await sim.loss('test');
    expect(train0 / train).toBeGreaterThan(20);
    expect(test0 / test).toBeGreaterThan(5);
  });
});
