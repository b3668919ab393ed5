// The study driver against a scripted Simulation: chunking, the loss history, timing and
// divergence, without any backend.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../src/contract/config';
import type { Moments, Simulation } from '../src/contract/simulation';
import {
  DivergenceError,
  dynamicsFromConfig,
  runStudy,
  type LossEntry,
} from '../src/study/run-study';

/** A simulation whose train loss is `lossAt(step)` and test loss twice that. */
function scriptedSimulation(lossAt: (step: number) => number): Simulation & { runs: number[] } {
  let step = 0;
  const runs: number[] = [];
  return {
    backend: 'cpu',
    device: 'scripted',
    n: 10,
    d: 3,
    get step() {
      return step;
    },
    runs,
    async run(steps) {
      runs.push(steps);
      step += steps;
    },
    async loss(split) {
      return lossAt(step) * (split === 'test' ? 2 : 1);
    },
    async moments(): Promise<Moments> {
      return { mean: new Float64Array([0, 1, 2]), var: new Float64Array([1, 1, 1]) };
    },
    async particles() {
      return new Float32Array(30);
    },
    async setParticles() {},
    destroy() {},
  };
}

const config = (overrides: Partial<RunConfig>): RunConfig => ({ ...DEFAULT_CONFIG, ...overrides });

describe('runStudy', () => {
  it('runs in chunks of logEvery, logging the start and every chunk', async () => {
    const sim = scriptedSimulation((step) => 1 / (1 + step));
    const logged: LossEntry[] = [];
    const summary = await runStudy(sim, config({ steps: 25, logEvery: 10, tau: 0.5 }), {
      onLog: (entry) => logged.push(entry),
    });
    expect(sim.runs).toEqual([10, 10, 5]);
    expect(summary.lossHistory).toEqual(logged);
    expect(summary.lossHistory).toEqual([
      { step: 0, time: 0, train: 1, test: 2 },
      { step: 10, time: 5, train: 1 / 11, test: 2 / 11 },
      { step: 20, time: 10, train: 1 / 21, test: 2 / 21 },
      { step: 25, time: 12.5, train: 1 / 26, test: 2 / 26 },
    ]);
    expect(summary.final).toEqual({
      step: 25,
      loss: { train: 1 / 26, test: 2 / 26 },
      mean: [0, 1, 2],
      var: [1, 1, 1],
    });
    expect(summary.throughput.seconds).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(summary.throughput.particleStepsPerSecond)).toBe(true);
  });

  it('reads no test loss without a test split, and no loss at all without data', async () => {
    const noTest = await runStudy(
      scriptedSimulation(() => 1),
      config({ steps: 1, dataset: { ...DEFAULT_CONFIG.dataset, testSamples: 0 } }),
      { onLog: () => {} },
    );
    expect(noTest.final.loss).toEqual({ train: 1, test: null });
    const none = await runStudy(
      scriptedSimulation(() => NaN),
      config({ steps: 1, dataset: { ...DEFAULT_CONFIG.dataset, name: 'none' } }),
      { onLog: () => {} },
    );
    expect(none.lossHistory.map((entry) => entry.train)).toEqual([0, 0]);
  });

  it('with no steps: the initial loss only, and a throughput of 0', async () => {
    const summary = await runStudy(
      scriptedSimulation(() => 1),
      config({ steps: 0 }),
      {
        onLog: () => {},
      },
    );
    expect(summary.lossHistory).toHaveLength(1);
    expect(summary.throughput).toEqual({ particleStepsPerSecond: 0, seconds: 0 });
  });

  it('stops at a non-finite loss, keeping the history before it', async () => {
    const sim = scriptedSimulation((step) => (step >= 20 ? Infinity : 1));
    const error = await runStudy(sim, config({ steps: 100, logEvery: 10, tau: 0.5 }), {
      onLog: () => {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DivergenceError);
    const divergence = error as DivergenceError;
    expect(divergence.step).toBe(20);
    expect(divergence.lossHistory.map((entry) => entry.step)).toEqual([0, 10]);
    expect(divergence.message).toBe(
      'the loss is no longer finite at step 20 (time 10): the dynamics diverged; try a smaller --tau (it is 0.5)',
    );
    expect(sim.runs).toEqual([10, 10]);
  });
});

describe('dynamicsFromConfig', () => {
  it('copies the dynamics, with full batches when there is no data', () => {
    const dynamics = {
      n: 7,
      sigma: 0.3,
      tau: 0.02,
      batch: 5,
      activation: 'relu',
      loss: 'huber',
    } as const;
    const more = { huberDelta: 0.5, priorStd: 2, initStd: 0.1, seed: 99 };
    expect(dynamicsFromConfig(config({ ...dynamics, ...more, steps: 3 }))).toEqual({
      ...dynamics,
      ...more,
    });
    const none = config({ dataset: { ...DEFAULT_CONFIG.dataset, name: 'none' } });
    expect(dynamicsFromConfig(none).batch).toBe('full');
  });
});
