// Checkpoints on the WebGPU engine: a study stopped at a checkpoint and resumed on a fresh
// simulation (library), or through `mfld run --backend webgpu --resume` (CLI), ends bit for bit
// where the uninterrupted study does.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/contract/config';
import type { Simulation } from '../../src/contract/simulation';
import { buildProblem } from '../../src/data/datasets';
import { createGpuSimulation } from '../../src/gpu/simulation';
import { decodeCheckpoint, encodeCheckpoint, problemCrc32 } from '../../src/io/checkpoint';
import { dynamicsFromConfig, runStudy, type GoodState } from '../../src/study/run-study';
import { shaders, useGpu } from '../support/gpu-harness';
import { STACK_LINE, mfld, type RunJson } from '../support/mfld';

const gpu = useGpu();

const config: RunConfig = {
  ...DEFAULT_CONFIG,
  dataset: { ...DEFAULT_CONFIG.dataset, dim: 3, samples: 64, testSamples: 32 },
  n: 256,
  steps: 120,
  batch: 8,
  sigma: 0.3,
  logEvery: 20,
  backend: 'webgpu',
};
const problem = buildProblem(config);

async function withSimulation<T>(use: (sim: Simulation) => Promise<T>): Promise<T> {
  const sim = await createGpuSimulation(gpu(), problem, dynamicsFromConfig(config), shaders);
  try {
    return await use(sim);
  } finally {
    sim.destroy();
  }
}

describe('GPU checkpoint and resume (library)', () => {
  it('continues from a decoded checkpoint to the uninterrupted particles and history', async () => {
    let saved: Uint8Array | null = null;
    const whole = await withSimulation(async (sim) => {
      const onCheckpoint = (state: GoodState): void => {
        if (state.step !== 50) return;
        saved = encodeCheckpoint({
          config,
          ...state,
          n: sim.n,
          d: sim.d,
          backend: sim.backend,
          device: sim.device,
          dataCrc32: problemCrc32(problem),
        });
      };
      const summary = await runStudy(
        sim,
        config,
        { onLog: () => {}, onCheckpoint },
        { checkpointEvery: 25 },
      );
      return { summary, particles: await sim.particles() };
    });
    expect(saved).not.toBeNull();

    const checkpoint = decodeCheckpoint(saved!, 'gpu.ckpt');
    expect(checkpoint.step).toBe(50);
    expect(checkpoint.lossHistory.map((entry) => entry.step)).toEqual([0, 20, 40]);
    const resumed = await withSimulation(async (sim) => {
      await sim.setParticles(checkpoint.particles, checkpoint.step);
      const summary = await runStudy(
        sim,
        checkpoint.config,
        { onLog: () => {} },
        { history: checkpoint.lossHistory },
      );
      return { summary, particles: await sim.particles() };
    });
    expect(resumed.particles).toEqual(whole.particles);
    expect(resumed.summary.lossHistory).toEqual(whole.summary.lossHistory);
    expect(resumed.summary.final).toEqual(whole.summary.final);
  });
});

describe('GPU checkpoint and resume (CLI)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mfld-gpu-checkpoint-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const file = (name: string): string => join(scratch, name);
  const run = ['run', '--backend=webgpu', '--n=64', '--samples=32', '--test-samples=16'];

  it('mfld run --resume on webgpu ends where the whole run does', () => {
    const whole = mfld(...run, '--steps=60', `--save-particles=${file('whole.npy')}`);
    expect(whole.code).toBe(0);
    expect(whole.stdout).toMatch(/^backend +webgpu: /m);
    const first = mfld(...run, '--steps=30', `--checkpoint=${file('half.ckpt')}`);
    expect(first.code).toBe(0);
    const resumed = mfld(
      'run',
      `--resume=${file('half.ckpt')}`,
      '--steps=60',
      `--save-particles=${file('resumed.npy')}`,
      `--json=${file('resumed.json')}`,
    );
    expect(resumed.stderr).not.toMatch(STACK_LINE);
    expect(resumed.code).toBe(0);
    expect(readFileSync(file('resumed.npy'))).toEqual(readFileSync(file('whole.npy')));
    const record = JSON.parse(readFileSync(file('resumed.json'), 'utf8')) as RunJson;
    expect(record.backend).toBe('webgpu');
    expect(record.resumedFrom?.step).toBe(30);
  });
});
