// The page's run loop (src/page/run-controller.ts) on the CPU reference, with a host that
// records what it was asked to show: Run, Step, Pause, divergence, and the restart from the
// last good state after a device failure, against runStudy as `mfld run` drives it.
import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../../src/contract/config-parse';
import type { RunConfig } from '../../src/contract/config';
import { GpuDeviceLostError, type Simulation } from '../../src/contract/simulation';
import { createCpuSimulation } from '../../src/cpu/reference';
import { buildProblem } from '../../src/data/datasets';
import { RunController, type RunHost, type ShownPoint } from '../../src/page/run-controller';
import { DivergenceError, dynamicsFromConfig, runStudy } from '../../src/study/run-study';

const STUDY = { n: 64, steps: 200, logEvery: 50, samples: 64, testSamples: 32, backend: 'cpu' };
const config = parseConfigObject(STUDY);
/** tanh with τ = 5: the loss stays finite, M₂ passes its bound at step 20 (e2e/divergence.spec.ts). */
const diverging = parseConfigObject({ ...STUDY, tau: 5, logEvery: 10 });

interface Recorded {
  /** The step of each point shown, when it was shown. */
  shown: number[];
  closed: { failed: boolean }[];
  opened: number;
}

/**
 * A host on the CPU reference; `failAfter`: the first simulation's device fails when a run
 * would go past that step (as a lost GPU rejects the simulation's next operation).
 */
function host(
  failAfter: number | null = null,
  onFailure: (message: string) => void = () => {},
): RunHost & Recorded {
  const self: RunHost & Recorded = {
    shown: [],
    closed: [],
    opened: 0,
    async open(c: RunConfig) {
      const problem = buildProblem(c);
      const sim = await createCpuSimulation(problem, dynamicsFromConfig(c), { threads: 2 });
      const first = self.opened++ === 0;
      return {
        sim: first && failAfter !== null ? failing(sim, failAfter, onFailure) : sim,
        problem,
      };
    },
    close(sim: Simulation, failed: boolean) {
      sim.destroy();
      self.closed.push({ failed });
    },
    async show(point: ShownPoint) {
      self.shown.push(point.sim.step);
    },
    rate() {},
    changed() {},
    notice() {},
  };
  return self;
}

/** As the page does, `onFailure` hears of the device's failure before the simulation fails. */
function failing(
  sim: Simulation,
  failAfter: number,
  onFailure: (message: string) => void,
): Simulation {
  return new Proxy(sim, {
    get(target, key, receiver) {
      if (key === 'run') {
        return async (steps: number) => {
          if (target.step + steps > failAfter) {
            onFailure('the GPU device was lost (test)');
            throw new GpuDeviceLostError('the GPU device was lost (test)');
          }
          return target.run(steps);
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The train losses of `c` by step, as `mfld run` gets them. */
async function cliLosses(c: RunConfig): Promise<Map<number, number>> {
  const sim = await createCpuSimulation(buildProblem(c), dynamicsFromConfig(c), { threads: 2 });
  try {
    const { lossHistory } = await runStudy(sim, c, { onLog: () => {} });
    return new Map(lossHistory.map((entry) => [entry.step, entry.train]));
  } finally {
    sim.destroy();
  }
}

const lossesOf = (controller: RunController): Map<number, number> =>
  new Map(controller.rows.map((row) => [row.step, row.train]));

describe('RunController', () => {
  it('runs to the end with the log points and losses of mfld run', async () => {
    const h = host();
    const controller = new RunController(h);
    await controller.run(config);
    expect(controller.state).toBe('done');
    expect(lossesOf(controller)).toEqual(await cliLosses(config));
    expect(h.shown).toEqual([0, 50, 100, 150, 200]);
    expect(controller.lastGood?.step).toBe(200);
    expect(controller.finished(config)).toBe(true);
    controller.reset();
  });

  it('steps one log point at a time, pauses, and resumes to the uninterrupted losses', async () => {
    const controller = new RunController(host());
    await controller.run(config, 1);
    expect(controller.state).toBe('paused');
    expect(controller.rows.map((row) => row.step)).toEqual([0, 50]);
    await controller.run(config, 1);
    expect(controller.rows.map((row) => row.step)).toEqual([0, 50, 100]);
    // Paused before its first piece: where it was.
    const rest = controller.run(config);
    controller.pause();
    await rest;
    expect(controller.state).toBe('paused');
    expect(controller.rows.at(-1)!.step).toBe(100);
    await controller.run(config);
    expect(controller.state).toBe('done');
    expect(lossesOf(controller)).toEqual(await cliLosses(config));
    controller.reset();
  });

  it('stops a diverging run where runStudy does, with its message, and starts again on Run', async () => {
    const expected = await cliLosses(diverging).then(
      () => null,
      (error: unknown) => error,
    );
    expect(expected).toBeInstanceOf(DivergenceError);
    const controller = new RunController(host());
    await controller.run(diverging);
    expect(controller.state).toBe('error');
    expect(controller.status).toBe(`error: ${(expected as DivergenceError).message}`);
    expect(controller.rows.map((row) => row.step)).toEqual([0, 10]);
    expect(controller.fault).toBeNull();
    await controller.run(diverging, 0);
    // A fresh simulation, logged at its start.
    expect(controller.rows.map((row) => row.step)).toEqual([0]);
    controller.reset();
  });

  it('keeps the last good state when the device fails, and a restart finishes the run', async () => {
    const h = host(120, (message) => controller.deviceFailed(message));
    const controller: RunController = new RunController(h);
    await controller.run(config);
    expect(controller.state).toBe('error');
    expect(controller.fault).toBe('the GPU device was lost (test)');
    expect(controller.status).toBe('error: the GPU device was lost (test). The run stopped.');
    const good = controller.lastGood!;
    expect(good.step).toBe(100);
    expect(good.rows.map((row) => row.step)).toEqual([0, 50, 100]);

    // On the same controller, as the page's Restart button does: a new simulation.
    await controller.resume(good, config, 'step 100', true);
    expect(h.closed).toEqual([{ failed: true }]);
    expect(controller.state).toBe('done');
    expect(controller.fault).toBeNull();
    expect(lossesOf(controller)).toEqual(await cliLosses(config));
    controller.reset();
  });

  it('resumes paused at the state it was given, logged there', async () => {
    const whole = new RunController(host());
    await whole.run(config, 2);
    const from = (await whole.stateNow())!;
    expect(from.step).toBe(100);
    whole.reset();
    const controller = new RunController(host());
    await controller.resume(from, config, 'a file', false);
    expect(controller.state).toBe('paused');
    expect(controller.status).toBe('resumed at step 100 from a file');
    expect(controller.rows.map((row) => row.step)).toEqual([0, 50, 100]);
    expect(controller.rows.at(-1)!.train).toBe(from.rows.at(-1)!.train);
    controller.reset();
  });
});
