// The WebGPU engine: SPEC §2–3 in the kernels of shaders/, driven from here. Pipelines and
// buffers are made once; `run` records many steps per command buffer and reads nothing
// back; observables are read back only when asked for. The layout is planned in plan.ts, the
// kernels' WGSL composed in kernels.ts, the uniform blocks laid out in uniforms.ts, the
// buffers and pipelines made in engine-resources.ts, the calls recorded in recorder.ts, the
// state read back in readback.ts.
import type { Dynamics, Moments, Problem, Simulation } from '../contract/simulation';
import { allocateParticles, EngineBuffers, type ParticleBuffers } from './buffers';
import type { EngineGpu } from './device';
import { DeviceWatch } from './device-watch';
import { PacedWait } from './paced-wait';
import {
  createEngineResources,
  type EngineResources,
  type ParticleShard,
} from './engine-resources';
import { planEngine, type EnginePlan, type GpuSimulationOptions } from './plan';
import { readLoss, readMoments, readParticles, writeParticles, type EngineState } from './readback';
import { BATCH_MINIBATCH, BATCH_POINTS, CommandRecorder, SLOTS, SLOT_BYTES } from './recorder';
import type { ShaderSources } from './shaders';
import { CallSlots, engineUniforms, type EngineUniforms } from './uniforms';

export {
  MAX_GPU_COORDINATES,
  MAX_GROUP_CHUNKS,
  defaultLaneParticles,
  engineLayout,
  groupChunksFor,
  type EngineLayout,
  type GpuSimulationOptions,
} from './plan';
export type { ParticleShard } from './engine-resources';

/**
 * Advances the WebGPU simulation `steps` steps like run() and returns the GPU's own time for
 * them in seconds, from timestamp queries around each command buffer's passes (the time
 * between command buffers is not counted); null where the device has no 'timestamp-query'.
 */
export function runTimedOnGpu(sim: Simulation, steps: number): Promise<number | null> {
  if (!(sim instanceof GpuSimulation)) {
    throw new TypeError(`this needs the WebGPU simulation, got the ${sim.backend} one`);
  }
  return sim.runTimed(steps);
}

export async function createGpuSimulation(
  gpu: EngineGpu,
  problem: Problem,
  dynamics: Dynamics,
  shaders: ShaderSources,
  options: GpuSimulationOptions = {},
): Promise<Simulation> {
  const plan = planEngine(gpu, problem, dynamics, options);
  const uniforms = engineUniforms(shaders);
  const slots = new CallSlots(uniforms, SLOTS, SLOT_BYTES);
  const particles = await allocateParticles(gpu.device, plan, dynamics.n);
  const simulation = new GpuSimulation(gpu, problem, dynamics, shaders, options, plan, {
    particles,
    uniforms,
    slots,
  });
  try {
    await simulation.ready();
  } catch (error) {
    simulation.destroy();
    throw error;
  }
  return simulation;
}

/**
 * The WebGPU simulation's particle buffers in particle order (float32 rows [α_1 … α_p, c]),
 * for kernels outside the engine that read them (src/gpu/histogram.ts). Throws for any other
 * simulation. Submit after awaiting the simulation's pending operations to see their result.
 */
export function particleShards(sim: Simulation): readonly ParticleShard[] {
  if (!(sim instanceof GpuSimulation)) {
    throw new TypeError(`this needs the WebGPU simulation, got the ${sim.backend} one`);
  }
  return sim.particleBuffers;
}

class GpuSimulation implements Simulation {
  readonly backend = 'webgpu' as const;
  readonly device: string;
  readonly n: number;
  readonly d: number;
  private k = 0;
  /** Whether `partials` holds the outputs of the current particles for step k's batch. */
  private outputsReady = false;
  private readonly gpu: GPUDevice;
  private readonly batch: number;
  private readonly batchMode: number;
  private readonly buffers: EngineBuffers;
  private readonly engine: EngineState;
  private readonly resources: EngineResources;
  private readonly recorder: CommandRecorder;
  private queue: Promise<unknown> = Promise.resolve();
  private destroyed = false;
  private readonly ownsDevice: boolean;
  private readonly watch: DeviceWatch;
  /** How the steps' command buffers are waited for (sleeping first where Dawn polls). */
  private readonly pace: PacedWait;

  constructor(
    gpu: EngineGpu,
    problem: Problem,
    dynamics: Dynamics,
    shaders: ShaderSources,
    options: GpuSimulationOptions,
    plan: EnginePlan,
    made: { particles: ParticleBuffers; uniforms: EngineUniforms; slots: CallSlots },
  ) {
    const { particles, uniforms, slots } = made;
    this.ownsDevice = options.ownsDevice ?? false;
    this.gpu = gpu.device;
    this.device = gpu.description;
    this.watch = new DeviceWatch(gpu.device);
    this.pace = new PacedWait(gpu.pollingWait === true);
    this.buffers = new EngineBuffers(gpu.device, (work) => this.watch.orLost(work));
    // The layout the particle buffers were made for (smaller buffers than planned, at times).
    const layout = particles.layout;
    this.n = dynamics.n;
    this.d = plan.d;
    this.batch = plan.batch;
    this.batchMode =
      dynamics.batch === 'full' || problem.train.count === 0 ? BATCH_POINTS : BATCH_MINIBATCH;
    this.buffers.adopt(particles.buffers);
    const shards = layout.shards.map((shard, index) => ({
      ...shard,
      buffer: particles.buffers[index]!,
    }));
    this.resources = createEngineResources({
      device: gpu.device,
      buffers: this.buffers,
      problem,
      dynamics,
      shaders,
      plan,
      layout,
      shards,
      uniforms,
      slots,
    });
    this.recorder = this.resources.recorder;
    this.engine = {
      device: gpu.device,
      buffers: this.buffers,
      resources: this.resources,
      layout,
      shards,
      n: this.n,
      d: this.d,
    };
  }

  /** The particle buffers in particle order, for kernels outside the engine (particleShards). */
  get particleBuffers(): readonly ParticleShard[] {
    return this.engine.shards;
  }

  /** Resolves once the kernels compiled and x⁰ is in place (SPEC §3, stream 1). */
  async ready(): Promise<void> {
    await this.resources.compiled;
    this.recorder.record(1, (pass, slot) => {
      this.recorder.writeSlot(slot, 0, BATCH_POINTS, 0, 0, 0);
      this.recorder.dispatchParticles(pass, 'init', this.resources.train, slot);
    });
    await this.watch.orLost(this.gpu.queue.onSubmittedWorkDone());
  }

  get step(): number {
    return this.k;
  }

  run(steps: number): Promise<void> {
    this.checkSteps(steps);
    return this.serial(async () => {
      await this.advance(steps, false);
    });
  }

  /** run(), timed by the GPU's timestamp queries; null without the feature. */
  runTimed(steps: number): Promise<number | null> {
    this.checkSteps(steps);
    return this.serial(() => this.advance(steps, this.gpu.features.has('timestamp-query')));
  }

  private checkSteps(steps: number): void {
    if (!Number.isInteger(steps) || steps < 0)
      throw new RangeError(`steps must be an integer ≥ 0, got ${steps}`);
    if (this.k + steps >= 2 ** 32)
      throw new RangeError(`the global step must stay below 2^32, got ${this.k} + ${steps}`);
  }

  /**
   * Records the steps, SLOTS to a command buffer. Timed: each command buffer's first pass
   * writes a timestamp as it begins and its last as it ends; returns the sum of those spans
   * in seconds, or null when timing was not asked for or a span came out negative (the
   * WebGPU spec lets timestamps be reset or reordered).
   */
  private async advance(steps: number, timed: boolean): Promise<number | null> {
    const { train } = this.resources;
    const recorder = this.recorder;
    const count = train.count === 0 ? 0 : this.batch;
    let done = 0;
    let nanoseconds: bigint | null = timed ? 0n : null;
    while (done < steps) {
      const calls = Math.min(SLOTS, steps - done);
      const needsOutputs = !this.outputsReady && count > 0;
      const timestamps = timed ? this.buffers.timestampQueries() : null;
      recorder.record(
        calls,
        (pass, slot) => {
          const k = this.k + slot;
          recorder.writeSlot(slot, k, this.batchMode, 0, count, train.count);
          if (slot === 0 && needsOutputs) recorder.dispatchParticles(pass, 'forward', train, slot);
          if (count > 0) recorder.dispatchBatch(pass, train, slot, count);
          recorder.dispatchParticles(pass, 'step', train, slot);
        },
        timestamps,
      );
      this.k += calls;
      this.outputsReady = true;
      done += calls;
      await this.watch.orLost(this.pace.wait(calls, () => this.gpu.queue.onSubmittedWorkDone()));
      if (timestamps) {
        const [begin, end] = await this.buffers.mapTimestamps(timestamps);
        nanoseconds = nanoseconds !== null && end >= begin ? nanoseconds + (end - begin) : null;
      }
    }
    return nanoseconds === null ? null : Number(nanoseconds) / 1e9;
  }

  loss(splitName: 'train' | 'test'): Promise<number> {
    const split = splitName === 'train' ? this.resources.train : this.resources.test;
    if (!split) return Promise.reject(new Error('this problem has no held-out test set'));
    if (split.count === 0) return Promise.resolve(0);
    return this.serial(() => {
      // The loss's passes overwrite the step's outputs in `partials`.
      this.outputsReady = false;
      return readLoss(this.engine, split, this.k);
    });
  }

  moments(): Promise<Moments> {
    return this.serial(() => {
      this.outputsReady = false;
      return readMoments(this.engine, this.k);
    });
  }

  particles(): Promise<Float32Array> {
    return this.serial(() => readParticles(this.engine));
  }

  setParticles(x: Float32Array, step: number): Promise<void> {
    if (x.length !== this.n * this.d) {
      throw new RangeError(`particles must hold n·d = ${this.n * this.d} floats, got ${x.length}`);
    }
    if (!Number.isInteger(step) || step < 0 || step >= 2 ** 32) {
      throw new RangeError(`step must be an integer in [0, 2^32), got ${step}`);
    }
    return this.serial(async () => {
      writeParticles(this.engine, x);
      this.k = step;
      this.outputsReady = false;
      await this.watch.orLost(this.gpu.queue.onSubmittedWorkDone());
    });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.watch.stop();
    this.buffers.destroy();
    if (this.ownsDevice) this.gpu.destroy();
  }

  /** Operations share the step counter, `partials` and the staging buffer, so they run one at a time. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (this.destroyed) throw new Error('this simulation was destroyed');
      this.watch.assertTrusted();
      return work();
    });
    this.queue = result.catch(() => undefined);
    return result;
  }
}
