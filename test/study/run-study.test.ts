// The study driver against a scripted Simulation: chunking, the loss history, timing,
// checkpoints, resumption and divergence, without any backend.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/contract/config';
import type { Moments, Simulation } from '../../src/contract/simulation';
import {
  DivergenceError,
  dynamicsFromConfig,
  momentsDivergence,
  runStudy,
  secondMomentBound,
  type GoodState,
  type LossEntry,
} from '../../src/study/run-study';

const saneMoments = (): Moments => ({
  mean: new Float64Array([0, 1, 2]),
  var: new Float64Array([1, 1, 1]),
});

/**
 * A simulation whose train loss is `lossAt(step)` and test loss twice that, whose moments are
 * `momentsAt(step)` and whose particles all equal the step.
 */
function scriptedSimulation(
  lossAt: (step: number) => number,
  momentsAt: (step: number) => Moments = saneMoments,
): Simulation & { runs: number[] } {
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
      return momentsAt(step);
    },
    async particles() {
      return new Float32Array(30).fill(step);
    },
    async setParticles(_x, at) {
      step = at;
    },
    destroy() {},
  };
}

/** The DivergenceError `study` fails with. */
async function divergenceOf(study: Promise<unknown>): Promise<DivergenceError> {
  const error = await study.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DivergenceError);
  return error as DivergenceError;
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
      // Not asked for (StudyOptions.entropySubsample): not computed, and no particle readback.
      freeEnergy: null,
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

describe('runStudy: checkpoints and resumption', () => {
  it('stops at global multiples of logEvery and checkpointEvery, handing over good states', async () => {
    const sim = scriptedSimulation((step) => 1 / (1 + step));
    const checkpoints: GoodState[] = [];
    const summary = await runStudy(
      sim,
      config({ steps: 25, logEvery: 10 }),
      { onLog: () => {}, onCheckpoint: (state) => void checkpoints.push(state) },
      { checkpointEvery: 4 },
    );
    expect(sim.runs).toEqual([4, 4, 2, 2, 4, 4, 4, 1]);
    expect(summary.lossHistory.map((entry) => entry.step)).toEqual([0, 10, 20, 25]);
    expect(checkpoints.map((state) => state.step)).toEqual([4, 8, 12, 16, 20, 24]);
    for (const state of checkpoints) {
      expect(state.particles.every((x) => x === state.step)).toBe(true);
      expect(state.lossHistory.at(-1)!.step).toBeLessThanOrEqual(state.step);
    }
    expect(checkpoints[2]!.lossHistory.map((entry) => entry.step)).toEqual([0, 10]);
  });

  it('resumed at step 13 with its history: logs what the whole run logs after 13', async () => {
    const lossAt = (step: number) => 1 / (1 + step);
    const whole = await runStudy(scriptedSimulation(lossAt), config({ steps: 25, logEvery: 10 }), {
      onLog: () => {},
    });
    const sim = scriptedSimulation(lossAt);
    await sim.setParticles(new Float32Array(30), 13);
    const progress: number[][] = [];
    const resumed = await runStudy(
      sim,
      config({ steps: 25, logEvery: 10 }),
      { onLog: (_, done) => progress.push([done.stepsDone, done.stepsTotal]) },
      { history: whole.lossHistory.slice(0, 2) },
    );
    expect(sim.runs).toEqual([7, 5]);
    expect(progress).toEqual([
      [7, 12],
      [12, 12],
    ]);
    expect(resumed.lossHistory).toEqual(whole.lossHistory);
    expect(resumed.final).toEqual(whole.final);
  });

  it('resumed at its last step: runs nothing, and keeps the history', async () => {
    const sim = scriptedSimulation(() => 1);
    await sim.setParticles(new Float32Array(30), 25);
    const history = [{ step: 25, time: 2.5, train: 0.5, test: 1 }];
    const summary = await runStudy(sim, config({ steps: 25 }), { onLog: () => {} }, { history });
    expect(sim.runs).toEqual([]);
    expect(summary.lossHistory).toEqual(history);
    expect(summary.final.loss).toEqual({ train: 0.5, test: 1 });
  });
});

describe('runStudy: divergence of the moments', () => {
  const nanAfter = (limit: number) => (step: number) =>
    step >= limit
      ? { mean: new Float64Array([0, NaN, 0]), var: new Float64Array(3) }
      : saneMoments();

  it('stops at moments that are not finite, keeping the last good state when asked', async () => {
    const run = (keepLastGood: boolean) =>
      divergenceOf(
        runStudy(
          scriptedSimulation(() => 1, nanAfter(30)),
          config({ steps: 100, logEvery: 10, tau: 0.5 }),
          { onLog: () => {} },
          { keepLastGood },
        ),
      );
    const kept = await run(true);
    expect(kept.message).toBe(
      'the particle moments are no longer finite at step 30 (time 15): the dynamics ' +
        'diverged; try a smaller --tau (it is 0.5)',
    );
    expect(kept.sign).toEqual({ kind: 'moments' });
    expect(kept.lossHistory.map((entry) => entry.step)).toEqual([0, 10, 20]);
    expect(kept.lastGood?.step).toBe(20);
    expect(kept.lastGood?.particles.every((x) => x === 20)).toBe(true);
    expect(kept.lastGood?.lossHistory).toEqual(kept.lossHistory);
    expect((await run(false)).lastGood).toBeNull();
  });

  it('stops at an exploding second moment', async () => {
    const exploding = (step: number): Moments => ({
      mean: new Float64Array([0, 0, 1000 * step]),
      var: new Float64Array([1, 1, 1]),
    });
    // M₂ = (3 + (1000k)²)/3 passes 10⁶ at k = 2.
    const error = await divergenceOf(
      runStudy(
        scriptedSimulation(() => 1, exploding),
        config({ steps: 10, logEvery: 1, tau: 0.5 }),
        { onLog: () => {} },
      ),
    );
    expect(error.message).toBe(
      'the mean second moment of the particles is 1.333e+6, above the bound 1e+6, at step 2 ' +
        '(time 1): the dynamics diverged; try a smaller --tau (it is 0.5)',
    );
  });

  it('bounds the second moment by 10⁶ × max(1, initStd², priorStd²)', () => {
    expect(secondMomentBound(DEFAULT_CONFIG)).toBe(1e6);
    expect(secondMomentBound(config({ initStd: 3, priorStd: 2 }))).toBe(9e6);
    expect(secondMomentBound(config({ initStd: 0.1, priorStd: 0.5 }))).toBe(1e6);
    const moments = (mean: number, variance: number): Moments => ({
      mean: new Float64Array([mean, 0]),
      var: new Float64Array([variance, 0]),
    });
    expect(momentsDivergence(moments(1000, 1000), 1e6)).toBeNull();
    expect(momentsDivergence(moments(2000, 0), 1e6)).toEqual({
      kind: 'secondMoment',
      value: 2e6,
      bound: 1e6,
    });
    expect(momentsDivergence(moments(0, Infinity), 1e6)).toEqual({ kind: 'moments' });
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
      sigmaFinal: null,
      annealSteps: 3,
    });
    const none = config({ dataset: { ...DEFAULT_CONFIG.dataset, name: 'none' } });
    expect(dynamicsFromConfig(none).batch).toBe('full');
  });
});
