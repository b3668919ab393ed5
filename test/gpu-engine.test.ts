// The WebGPU engine against exact answers and against the CPU reference on the same seed.
import { totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, LOSSES, exactNoDataVariance } from '../src/contract/model';
import {
  DeviceLimitError,
  GpuDeviceLostError,
  type Dynamics,
  type Problem,
  type Simulation,
} from '../src/contract/simulation';
import { worstDifference } from '../src/bench/measure-bench';
import { createCpuSimulation } from '../src/cpu/reference';
import {
  createGpuSimulation,
  engineLayout,
  groupChunksFor,
  MAX_GPU_COORDINATES,
  runTimedOnGpu,
  type GpuSimulationOptions,
} from '../src/gpu/simulation';
import { isSoftwareAdapter, subgroupMinSize } from '../src/gpu/device';
import { openNodeGpu } from '../src/node/gpu';
import { DEFAULT_CONFIG } from '../src/contract/config';
import { buildProblem } from '../src/data/datasets';
import { dynamicsFromConfig, runStudy, StudyInterruptedError } from '../src/study/run-study';
import { noDataProblem } from './cpu-fixtures';
import { shaders, useGpu } from './gpu-harness';

const gpu = useGpu();

const base: Dynamics = {
  n: 256,
  sigma: 0.5,
  sigmaFinal: null,
  annealSteps: 0,
  tau: 0.05,
  batch: 8,
  activation: 'tanh',
  loss: 'square',
  huberDelta: 0.5,
  priorStd: 1.5,
  initStd: 1,
  seed: 20261128,
};

/** A small regression problem with a bias column, made without any RNG of the engine. */
function smallProblem(count: number, p: number): Problem {
  const split = (offset: number) => {
    const z = new Float32Array(count * p);
    const y = new Float32Array(count);
    for (let m = 0; m < count; m++) {
      for (let j = 0; j < p - 1; j++) z[m * p + j] = Math.sin(1.7 * (m + offset) + 2.3 * j) * 1.5;
      z[m * p + p - 1] = 1;
      y[m] = Math.tanh(z[m * p]! - 0.5 * z[m * p + 1]!) + 0.3 * Math.cos(m + offset);
    }
    return { z, y, count };
  };
  return { p, train: split(0), test: split(1000) };
}

async function withBoth<T>(
  problem: Problem,
  dynamics: Dynamics,
  body: (g: Simulation, c: Simulation) => Promise<T>,
  options: GpuSimulationOptions = {},
): Promise<T> {
  const g = await createGpuSimulation(gpu(), problem, dynamics, shaders, options);
  const c = await createCpuSimulation(problem, dynamics, { threads: 2 });
  try {
    return await body(g, c);
  } finally {
    g.destroy();
    c.destroy();
  }
}

/**
 * Layouts of the step that change where values are read from, not how they are computed
 * (EngineLayout.phiCache, quadLanes), the first of them plain.
 */
const ARITHMETIC_FREE_LAYOUTS: readonly [string, GpuSimulationOptions][] = [
  ['plain', { phiCache: false, shareQuads: false }],
  ['φ cache', { phiCache: true, shareQuads: false }],
  ['shared quads', { phiCache: false, shareQuads: true }],
  ['both', { phiCache: true, shareQuads: true }],
  ['workgroup reduction', { phiCache: false, reduction: 'workgroup' }],
  ['φ cache, workgroup reduction', { phiCache: true, reduction: 'workgroup' }],
];

/** Whether the adapter promises subgroups of one size, as sharing quads needs. */
function fixedSubgroups(): boolean {
  const { subgroupMinSize: least, subgroupMaxSize: most } = gpu().adapter.info;
  return subgroupMinSize(gpu()) !== null && least === most;
}

// float32 arithmetic on the GPU against double arithmetic stored as float32 on the CPU:
// a few ulps a step, amplified little over a few steps.
const PARTICLE_TOLERANCE = 2e-5;

describe('GPU against the CPU reference, same seed', () => {
  const problem = smallProblem(40, 4);

  /** Both backends run 5 steps: particles, training loss and moments agree. */
  const agreeAfterFiveSteps = (dynamics: Dynamics, options: GpuSimulationOptions) =>
    withBoth(
      problem,
      dynamics,
      async (g, c) => {
        await g.run(5);
        await c.run(5);
        expect(worstDifference(await g.particles(), await c.particles())).toBeLessThan(
          PARTICLE_TOLERANCE,
        );
        const [lg, lc] = [await g.loss('train'), await c.loss('train')];
        expect(Math.abs(lg - lc) / lc).toBeLessThan(1e-4);
        const [mg, mc] = [await g.moments(), await c.moments()];
        for (let j = 0; j < 5; j++) {
          expect(Math.abs(mg.mean[j]! - mc.mean[j]!)).toBeLessThan(1e-4);
          expect(mg.var[j]! / mc.var[j]!).toBeCloseTo(1, 4);
        }
      },
      options,
    );

  for (const activation of ACTIVATIONS) {
    for (const loss of LOSSES) {
      for (const batch of ['full', 8] as const) {
        it(`${activation} × ${loss} × batch ${batch}: particles after 5 steps agree within ${PARTICLE_TOLERANCE}`, async () => {
          await withBoth(problem, { ...base, activation, loss, batch }, async (g, c) => {
            expect(worstDifference(await g.particles(), await c.particles())).toBeLessThan(1e-6);
            await g.run(5);
            await c.run(5);
            const moved = worstDifference(
              await c.particles(),
              await withInitial(problem, { ...base, activation, loss, batch }),
            );
            expect(moved).toBeGreaterThan(1e-2);
            expect(worstDifference(await g.particles(), await c.particles())).toBeLessThan(
              PARTICLE_TOLERANCE,
            );
          });
        });
      }
    }
  }

  // The step sums the particles' outputs with subgroup operations where the adapter has
  // them; both ways must give the CPU's trajectory, and asking for subgroups without them fails.
  for (const reduction of ['subgroup', 'workgroup'] as const) {
    it(`${reduction} reduction: minibatch B = 100 in tiles, particles after 5 steps agree`, async () => {
      if (reduction === 'subgroup' && subgroupMinSize(gpu()) === null) {
        await expect(
          createGpuSimulation(gpu(), problem, base, shaders, { reduction }),
        ).rejects.toThrow(/no subgroup operations/);
        return;
      }
      await agreeAfterFiveSteps({ ...base, batch: 100 }, { reduction });
    });
  }

  // An invocation holds 1, 2 or 4 particles; n = 300 leaves the last chunk partly empty.
  for (const laneParticles of [1, 2, 4] as const) {
    it(`${laneParticles} particle(s) per invocation: particles, losses and moments agree`, async () => {
      await agreeAfterFiveSteps({ ...base, n: 300, batch: 100 }, { laneParticles });
    });
  }

  // A workgroup walks 1 or 3 chunks of 256 particles; n = 1000 leaves its second workgroup
  // one partly filled chunk and two empty ones.
  for (const groupChunks of [1, 3]) {
    it(`${groupChunks} chunk(s) per workgroup: particles, losses and moments agree`, async () => {
      await agreeAfterFiveSteps({ ...base, n: 1000, batch: 100 }, { groupChunks });
    });
  }

  // Layouts that change no arithmetic: each follows the CPU and gives the others' bits. With
  // p = 5 the weight of a data row rides in its padding, with p = 4 it has none; B = 70
  // takes two tiles, and 3 chunks per workgroup put the φ cache's chunks apart. Six engines
  // on SwiftShader under load: more time than the default.
  it.each([4, 5])(
    'p = %i: the φ cache and shared quads follow the CPU and change no bits',
    async (p) => {
      const rows = smallProblem(40, p);
      const dynamics = { ...base, n: 1000, batch: 70 };
      // Particles after 3 steps by reduction: the two sum the outputs in different orders.
      const runs = new Map<string | undefined, Float32Array[]>();
      for (const [, options] of ARITHMETIC_FREE_LAYOUTS) {
        if (options.shareQuads && !fixedSubgroups()) {
          await expect(
            createGpuSimulation(gpu(), rows, dynamics, shaders, options),
          ).rejects.toThrow(DeviceLimitError);
          continue;
        }
        const sim = await createGpuSimulation(gpu(), rows, dynamics, shaders, {
          groupChunks: 3,
          ...options,
        });
        try {
          await sim.run(3);
          const same = runs.get(options.reduction) ?? [];
          runs.set(options.reduction, [...same, await sim.particles()]);
        } finally {
          sim.destroy();
        }
      }
      const cpu = await createCpuSimulation(rows, dynamics, { threads: 2 });
      try {
        await cpu.run(3);
        const expected = await cpu.particles();
        for (const [first, ...others] of runs.values()) {
          expect(worstDifference(first!, expected)).toBeLessThan(PARTICLE_TOLERANCE);
          for (const run of others) expect(run).toEqual(first);
        }
      } finally {
        cpu.destroy();
      }
    },
    300_000,
  );

  it('losses and moments agree', async () => {
    await withBoth(problem, base, async (g, c) => {
      await g.run(20);
      await c.run(20);
      for (const split of ['train', 'test'] as const) {
        const [lg, lc] = [await g.loss(split), await c.loss(split)];
        expect(Math.abs(lg - lc) / lc).toBeLessThan(1e-4);
      }
      const [mg, mc] = [await g.moments(), await c.moments()];
      for (let j = 0; j < g.d; j++) {
        expect(mg.mean[j]).toBeCloseTo(mc.mean[j]!, 4);
        expect(mg.var[j]).toBeCloseTo(mc.var[j]!, 4);
      }
    });
  });
});

/** Particles x⁰ of a fresh CPU simulation, to check that the compared runs really moved. */
async function withInitial(problem: Problem, dynamics: Dynamics): Promise<Float32Array> {
  const c = await createCpuSimulation(problem, dynamics, { threads: 1 });
  try {
    return await c.particles();
  } finally {
    c.destroy();
  }
}

describe('GPU step counter', () => {
  it.each(ARITHMETIC_FREE_LAYOUTS)(
    'runs split in blocks, or resumed from read-back particles, reproduce one run bit for bit (%s)',
    async (_, options) => {
      const problem = smallProblem(40, 5);
      if (options.shareQuads && !fixedSubgroups()) {
        await expect(createGpuSimulation(gpu(), problem, base, shaders, options)).rejects.toThrow(
          DeviceLimitError,
        );
        return;
      }
      const whole = await createGpuSimulation(gpu(), problem, base, shaders, options);
      const split = await createGpuSimulation(gpu(), problem, base, shaders, options);
      const resumed = await createGpuSimulation(
        gpu(),
        problem,
        { ...base, seed: base.seed },
        shaders,
        options,
      );
      try {
        await whole.run(300);
        await split.run(7);
        await split.loss('train');
        await split.run(293);
        expect(await split.particles()).toEqual(await whole.particles());
        const other = await createGpuSimulation(gpu(), problem, base, shaders, options);
        await other.run(150);
        await resumed.setParticles(await other.particles(), other.step);
        other.destroy();
        await resumed.run(150);
        expect(resumed.step).toBe(300);
        expect(await resumed.particles()).toEqual(await whole.particles());
      } finally {
        whole.destroy();
        split.destroy();
        resumed.destroy();
      }
    },
  );
});

describe('GPU timestamp queries', () => {
  it('time steps on the GPU where the device has them, moving the particles as run() does', async () => {
    const problem = smallProblem(40, 4);
    const timed = await createGpuSimulation(gpu(), problem, base, shaders);
    const plain = await createGpuSimulation(gpu(), problem, base, shaders);
    try {
      // 200 steps: two command buffers, each timed from its first pass to its last.
      const seconds = await runTimedOnGpu(timed, 200);
      await plain.run(200);
      expect(timed.step).toBe(200);
      expect(await timed.particles()).toEqual(await plain.particles());
      if (gpu().device.features.has('timestamp-query')) {
        expect(seconds).toBeGreaterThan(0);
        expect(seconds).toBeLessThan(600);
      } else {
        expect(seconds).toBeNull();
      }
    } finally {
      timed.destroy();
      plain.destroy();
    }
  });
});

describe('GPU exact law with F ≡ 0 (SPEC §2)', () => {
  const n = 8192;
  const p = 3;
  const d = p + 1;
  const dynamics: Dynamics = {
    ...base,
    n,
    sigma: 1,
    tau: 0.2,
    priorStd: 1,
    initStd: 2,
    batch: 'full',
  };
  // a = τσ²/(2s²) = 0.1: after 60 steps (1 − a)^{2k} < 1e-5, the stationary law.
  for (const k of [10, 60]) {
    it(`mean 0 and variance v + (1 − a)^{2k}(s0² − v) after k = ${k} steps, within 5 standard errors`, async () => {
      const sim = await createGpuSimulation(gpu(), noDataProblem(p), dynamics, shaders);
      try {
        await sim.run(k);
        const { mean, var: variance } = await sim.moments();
        const expected = exactNoDataVariance(
          dynamics.sigma,
          dynamics.tau,
          dynamics.priorStd,
          dynamics.initStd,
          k,
        );
        // Coordinates of all particles are independent Gaussians: pool them.
        const samples = n * d;
        const pooledMean = mean.reduce((s, m) => s + m, 0) / d;
        const pooledVariance =
          variance.reduce((s, v, j) => s + v + mean[j]! ** 2, 0) / d - pooledMean ** 2;
        expect(Math.abs(pooledMean)).toBeLessThan(5 * Math.sqrt(expected / samples));
        expect(Math.abs(pooledVariance - expected)).toBeLessThan(
          5 * expected * Math.sqrt(2 / samples),
        );
        // and the formula is not met by a chain that did not move:
        expect(Math.abs(dynamics.initStd ** 2 - expected)).toBeGreaterThan(
          20 * expected * Math.sqrt(2 / samples),
        );
      } finally {
        sim.destroy();
      }
    });
  }
});

describe('GPU limits', () => {
  // WebGPU gives no device limits below its defaults (128 MiB per binding), too large to
  // split anything SwiftShader runs quickly: maxBufferBytes lowers the engine's own cap.
  const rowBytes = 5 * 4;
  const split = (
    n: number,
    bufferParticles: number,
    dynamics: Partial<Dynamics> = {},
    options: GpuSimulationOptions = {},
  ) =>
    createGpuSimulation(gpu(), smallProblem(40, 4), { ...base, n, ...dynamics }, shaders, {
      ...options,
      maxBufferBytes: bufferParticles * rowBytes,
    });

  for (const batch of [8, 'full'] as const) {
    it(`splits particles over buffers and runs bit for bit as one buffer (batch ${batch})`, async () => {
      // 1000 particles in buffers of 256: four shards, the last one partly filled.
      const whole = await createGpuSimulation(
        gpu(),
        smallProblem(40, 4),
        { ...base, n: 1000, batch },
        shaders,
      );
      const shards = await split(1000, 256 + 17, { batch });
      try {
        expect(await shards.particles()).toEqual(await whole.particles());
        await whole.run(25);
        await shards.run(25);
        expect(await shards.particles()).toEqual(await whole.particles());
        expect(await shards.loss('train')).toBe(await whole.loss('train'));
        expect(await shards.loss('test')).toBe(await whole.loss('test'));
        // Moments: float32 sums of x − (the buffer's first particle), so equal to rounding.
        const [m1, m2] = [await whole.moments(), await shards.moments()];
        for (let j = 0; j < 5; j++) {
          expect(Math.abs(m2.mean[j]! - m1.mean[j]!)).toBeLessThan(1e-6 * Math.sqrt(m1.var[j]!));
          expect(m2.var[j]! / m1.var[j]!).toBeCloseTo(1, 5);
        }
        // Loss and moments evaluations in between leave the trajectory as it was.
        await whole.run(5);
        await shards.run(5);
        expect(await shards.particles()).toEqual(await whole.particles());
      } finally {
        whole.destroy();
        shards.destroy();
      }
    });
  }

  it('splits buffers at whole workgroups where each walks two chunks, bit for bit as one buffer', async () => {
    // Workgroups of 512 particles: buffers that could take 785 hold 512 each, so that no
    // workgroup is cut short at a buffer's end: two buffers for n = 1000, as one buffer's workgroups.
    const options = { groupChunks: 2 };
    const dynamics = { ...base, n: 1000, batch: 8 };
    const whole = await createGpuSimulation(gpu(), smallProblem(40, 4), dynamics, shaders, options);
    const shards = await split(1000, 3 * 256 + 17, { batch: 8 }, options);
    try {
      await whole.run(25);
      await shards.run(25);
      expect(await shards.particles()).toEqual(await whole.particles());
      expect(await shards.loss('train')).toBe(await whole.loss('train'));
    } finally {
      whole.destroy();
      shards.destroy();
    }
  });

  it('writes and reads particles across buffers in particle order', async () => {
    const sim = await split(300, 64);
    try {
      const x = new Float32Array(300 * 5).map((_, e) => e / 7);
      await sim.setParticles(x, 11);
      expect(await sim.particles()).toEqual(x);
      const moments = await sim.moments();
      // Coordinate j of particle i is (5i + j)/7: mean (5·149.5 + j)/7, variance 25·(300² − 1)/12/49.
      for (let j = 0; j < 5; j++) {
        expect(moments.mean[j]).toBeCloseTo((5 * 149.5 + j) / 7, 4);
        expect(moments.var[j]! / ((25 * (300 ** 2 - 1)) / 12 / 49)).toBeCloseTo(1, 5);
      }
    } finally {
      sim.destroy();
    }
  });

  it('walks more chunks per workgroup on a software adapter only, keeping 16 workgroups', () => {
    expect(groupChunksFor(2 ** 18, 256, 1)).toBe(1);
    expect(groupChunksFor(1000, 256, 16)).toBe(1);
    expect(groupChunksFor(16384, 256, 16)).toBe(4);
    expect(groupChunksFor(2 ** 18, 256, 16)).toBe(16);
    expect(groupChunksFor(2 ** 22, 64, 16)).toBe(16);
    const layout = engineLayout(gpu(), 16);
    expect(layout.groupChunks).toBe(isSoftwareAdapter(gpu().adapter) ? 16 : 1);
    expect(engineLayout(gpu(), 16, { groupChunks: 5 }).groupChunks).toBe(5);
    for (const groupChunks of [0, 1.5, 2 ** 16 + 1, Number.NaN]) {
      expect(() => engineLayout(gpu(), 16, { groupChunks })).toThrow(
        /groupChunks must be an integer in \[1, 65536\]/,
      );
    }
  });

  it('refuses a buffer cap below one particle, naming the sizes', async () => {
    await expect(split(10, 0.5)).rejects.toThrow(DeviceLimitError);
    await expect(split(10, 0.5)).rejects.toThrow(
      'one particle of d = 5 needs 20 bytes, more than a buffer may hold here (10 bytes)',
    );
  });

  it('refuses more particles than a software adapter may keep in host memory, before allocating', async () => {
    const own = gpu();
    expect(own.hostMemoryBudget).toBe(
      isSoftwareAdapter(own.adapter) ? Math.floor(totalmem() / 2) : null,
    );
    // A budget of 1 MiB: 52428 particles of d = 5 (20 bytes each) fit, 52429 do not.
    const small = { ...own, hostMemoryBudget: 2 ** 20 };
    const problem = smallProblem(40, 4);
    const attempt = createGpuSimulation(small, problem, { ...base, n: 52429 }, shaders);
    await expect(attempt).rejects.toThrow(DeviceLimitError);
    await expect(attempt).rejects.toThrow(
      'n = 52429 particles of d = 5 need 1048580 bytes; this software adapter keeps them in host memory, of which the engine takes at most half (1048576 bytes): the largest n that fits is 52428',
    );
    (await createGpuSimulation(small, problem, { ...base, n: 52428 }, shaders)).destroy();
  });

  it('refuses a batch whose partial outputs pass one buffer, naming the largest B', async () => {
    const attempt = createGpuSimulation(
      gpu(),
      smallProblem(40, 4),
      { ...base, n: 64, batch: 5000 },
      shaders,
      {
        maxBufferBytes: 16384,
      },
    );
    await expect(attempt).rejects.toThrow(
      'the partial network outputs of a batch of B = 5000 need 20000 bytes, more than this adapter allows in one buffer (16384 bytes); the largest B that fits with n = 64 is 4096',
    );
  });

  it(`refuses particles of more than ${MAX_GPU_COORDINATES} coordinates`, async () => {
    const attempt = createGpuSimulation(gpu(), noDataProblem(MAX_GPU_COORDINATES), base, shaders);
    await expect(attempt).rejects.toThrow(/at most 256 coordinates, got d = 257/);
  });
});

describe('GPU device loss', () => {
  it('turns a lost device into a clear error instead of a hang', async () => {
    const own = await openNodeGpu();
    if (!own) throw new Error('no adapter');
    const sim = await createGpuSimulation(own, smallProblem(40, 4), base, shaders);
    own.device.destroy();
    await expect(sim.run(10).then(() => sim.loss('train'))).rejects.toThrow(GpuDeviceLostError);
    await expect(sim.moments()).rejects.toThrow(/the GPU device was lost \(destroyed\)/);
    sim.destroy();
  });

  it('stops at an uncaptured WebGPU error: the next operation says the results cannot be trusted', async () => {
    const own = await openNodeGpu();
    if (!own) throw new Error('no adapter');
    const sim = await createGpuSimulation(own, smallProblem(40, 4), base, shaders);
    try {
      await sim.run(3);
      // An invalid buffer, made outside any error scope: Dawn reports it as uncaptured.
      own.device.createBuffer({ size: 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
      await own.device.queue.onSubmittedWorkDone();
      await expect(sim.run(3)).rejects.toThrow(GpuDeviceLostError);
      await expect(sim.loss('train')).rejects.toThrow(/did not expect .*can no longer be trusted/);
    } finally {
      sim.destroy();
      own.device.destroy();
    }
  });

  it('a study whose device is lost ends with its last good state, not a hang or a crash', async () => {
    const own = await openNodeGpu();
    if (!own) throw new Error('no adapter');
    const config = { ...DEFAULT_CONFIG, n: 256, steps: 100, logEvery: 20 };
    const sim = await createGpuSimulation(
      own,
      buildProblem(config),
      dynamicsFromConfig(config),
      shaders,
    );
    try {
      const study = runStudy(
        sim,
        config,
        { onLog: (entry) => (entry.step === 40 ? own.device.destroy() : undefined) },
        { keepLastGood: true },
      );
      await expect(study).rejects.toThrow(StudyInterruptedError);
      const error = (await study.catch((e: unknown) => e)) as StudyInterruptedError;
      expect(error.cause).toBeInstanceOf(GpuDeviceLostError);
      expect(error.message).toMatch(/the GPU device was lost \(destroyed\).*at step 40/);
      // The state at step 20 passed every check; step 40's was logged as the device went.
      expect(error.lastGood?.step).toBe(20);
      expect(error.lastGood?.particles).toHaveLength(256 * sim.d);
      expect(error.lossHistory.map((entry) => entry.step)).toEqual([0, 20, 40]);
    } finally {
      sim.destroy();
    }
  });

  it('destroys a device it owns with the simulation, and only then', async () => {
    const owned = await openNodeGpu();
    const borrowed = await openNodeGpu();
    if (!owned || !borrowed) throw new Error('no adapter');
    const problem = smallProblem(40, 4);
    const a = await createGpuSimulation(owned, problem, base, shaders, { ownsDevice: true });
    const b = await createGpuSimulation(borrowed, problem, base, shaders);
    a.destroy();
    b.destroy();
    expect((await owned.device.lost).reason).toBe('destroyed');
    const stillThere = await Promise.race([
      borrowed.device.lost.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 200)),
    ]);
    expect(stillThere).toBe(true);
    borrowed.device.destroy();
  });
});
