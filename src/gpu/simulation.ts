// The WebGPU engine: SPEC §2–3 in the kernels of shaders/, driven from here. Pipelines and
// buffers are made once; `run` records many steps per command buffer and reads nothing
// back; observables are read back only when asked for. The layout is planned in plan.ts, the
// kernels' WGSL composed in kernels.ts, the uniform blocks laid out in uniforms.ts.
import { keyFromSeed } from '../contract/philox';
import {
  DeviceLimitError,
  GpuDeviceLostError,
  noiseLevel,
  type Dynamics,
  type Moments,
  type Problem,
  type Simulation,
} from '../contract/simulation';
import type { EngineGpu } from './device';
import { createEnginePipelines, engineBindings, type EngineKernel } from './kernels';
import {
  FLOAT_BYTES,
  combineShardMoments,
  partialFloats,
  phiCacheFloats,
  planEngine,
  type EnginePlan,
  type GpuSimulationOptions,
  type Layout,
  type ShardLayout,
} from './plan';
import type { ShaderSources } from './shaders';
import {
  allocateParticles,
  EngineBuffers,
  unshared,
  type ParticleBuffers,
  type TimestampQueries,
} from './buffers';
import { CallSlots, engineUniforms, simParamsBytes, type EngineUniforms } from './uniforms';

/** Also in contract/, where the study and the front ends take it from. */
export { GpuDeviceLostError };
export {
  MAX_GPU_COORDINATES,
  MAX_GROUP_CHUNKS,
  defaultLaneParticles,
  engineLayout,
  groupChunksFor,
  type EngineLayout,
  type GpuSimulationOptions,
} from './plan';

/** Calls (steps, or chunks of a loss evaluation) recorded per command buffer. */
const SLOTS = 128;
/** Bytes between per-call parameter blocks: the largest minUniformBufferOffsetAlignment allowed. */
const SLOT_BYTES = 256;
/** CallParams.mode: the batch is drawn (SPEC §3), or is the data points in order. */
const BATCH_MINIBATCH = 0;
const BATCH_POINTS = 1;

/** Buffers for a data split; WebGPU refuses empty bindings, so empty splits get one float. */
interface SplitBuffers {
  readonly z: GPUBuffer;
  readonly y: GPUBuffer;
  readonly count: number;
  /** One per particle shard. */
  readonly bindGroups: readonly GPUBindGroup[];
}

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

/** A particle buffer of the WebGPU simulation: particles [first, first + count), rows of d floats. */
export interface ParticleShard {
  readonly buffer: GPUBuffer;
  readonly first: number;
  readonly count: number;
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
  private readonly layout: Layout;
  private readonly batch: number;
  private readonly batchMode: number;
  private readonly buffers: EngineBuffers;
  private readonly shards: readonly (ShardLayout & ParticleShard)[];
  /** The particle buffers in particle order, for kernels outside the engine (particleShards). */
  get particleBuffers(): readonly ParticleShard[] {
    return this.shards;
  }
  private readonly partialBuffer: GPUBuffer;
  private readonly lossTermBuffer: GPUBuffer;
  private readonly slotBuffer: GPUBuffer;
  private readonly uniforms: EngineUniforms;
  private readonly slots: CallSlots;
  private readonly train: SplitBuffers;
  private readonly test: SplitBuffers | null;
  private readonly pipelines: Record<EngineKernel, GPUComputePipeline>;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly compiled: Promise<void>;
  private destroyed = false;
  private readonly ownsDevice: boolean;
  /** Rejects when the device is lost (driver reset, GPU removed, out of memory). */
  private readonly lost: Promise<never>;
  private lostMessage: string | null = null;
  private readonly onUncapturedError: (event: GPUUncapturedErrorEvent) => void;

  constructor(
    engine: EngineGpu,
    problem: Problem,
    private readonly dynamics: Dynamics,
    shaders: ShaderSources,
    options: GpuSimulationOptions,
    plan: EnginePlan,
    made: { particles: ParticleBuffers; uniforms: EngineUniforms; slots: CallSlots },
  ) {
    const { particles, uniforms, slots } = made;
    this.ownsDevice = options.ownsDevice ?? false;
    this.buffers = new EngineBuffers(engine.device, (work) => this.orLost(work));
    this.gpu = engine.device;
    this.device = engine.description;
    this.lost = engine.device.lost.then((info) => {
      this.lostMessage = `the GPU device was lost (${info.reason}): ${info.message || 'no detail given'}`;
      throw new GpuDeviceLostError(this.lostMessage);
    });
    // Nobody may be waiting on the device when it is lost; the next operation reports it.
    this.lost.catch(() => undefined);
    // Errors outside the engine's error scopes: a device that made one is not trusted again.
    this.onUncapturedError = (event: GPUUncapturedErrorEvent) => {
      this.lostMessage ??= `WebGPU reported an error the engine did not expect (${event.error.message.split('\n')[0]}); the results can no longer be trusted`;
    };
    engine.device.addEventListener('uncapturederror', this.onUncapturedError);
    const { d } = plan;
    // The layout the particle buffers were made for (smaller buffers than planned, at times).
    const layout = particles.layout;
    this.n = dynamics.n;
    this.d = d;
    this.batch = plan.batch;
    this.batchMode =
      dynamics.batch === 'full' || problem.train.count === 0 ? BATCH_POINTS : BATCH_MINIBATCH;
    this.layout = layout;
    this.uniforms = uniforms;
    this.slots = slots;
    this.buffers.adopt(particles.buffers);
    this.shards = layout.shards.map((shard, index) => ({
      ...shard,
      buffer: particles.buffers[index]!,
    }));

    // Every size was checked: from here on nothing throws until the error scopes are popped.
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const uniform = GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;
    this.gpu.pushErrorScope('out-of-memory');
    this.partialBuffer = this.buffers.create(
      'partials',
      partialFloats(layout, d) * FLOAT_BYTES,
      storage,
    );
    const weightBuffer = this.buffers.create(
      'weights',
      this.layout.partialStride * FLOAT_BYTES,
      storage,
    );
    this.lossTermBuffer = this.buffers.create(
      'loss terms',
      this.layout.partialStride * FLOAT_BYTES,
      storage,
    );
    this.slotBuffer = this.buffers.create('call params', SLOTS * SLOT_BYTES, uniform);
    // The φ cache of each shard, or one placeholder for them all.
    const placeholder = layout.phiCache ? null : this.buffers.create('no φ cache', 16, storage);
    const cacheBuffers = this.shards.map(
      (shard, index) =>
        placeholder ??
        this.buffers.create(
          `φ cache ${index}`,
          phiCacheFloats(layout, shard, this.batch) * FLOAT_BYTES,
          GPUBufferUsage.STORAGE,
        ),
    );
    const simBuffers = this.shards.map((shard, index) => {
      const bytes = this.simParams(shard);
      const buffer = this.buffers.create(`sim params ${index}`, bytes.byteLength, uniform);
      this.gpu.queue.writeBuffer(buffer, 0, bytes);
      return buffer;
    });

    const bindGroupLayout = this.gpu.createBindGroupLayout({
      label: 'mfld engine',
      entries: engineBindings(),
    });
    const makeSplit = (
      name: string,
      split: { z: Float32Array; y: Float32Array; count: number },
    ): SplitBuffers => {
      const z = this.buffers.data(`${name} z`, split.z);
      const y = this.buffers.data(`${name} y`, split.y);
      const bindGroups = this.shards.map((shard, index) =>
        this.gpu.createBindGroup({
          label: `${name} ${index}`,
          layout: bindGroupLayout,
          entries: [
            { binding: 0, resource: { buffer: simBuffers[index]! } },
            {
              binding: 1,
              resource: { buffer: this.slotBuffer, size: this.uniforms.callParams.size },
            },
            { binding: 2, resource: { buffer: shard.buffer } },
            { binding: 3, resource: { buffer: z } },
            { binding: 4, resource: { buffer: y } },
            { binding: 5, resource: { buffer: this.partialBuffer } },
            { binding: 6, resource: { buffer: weightBuffer } },
            { binding: 7, resource: { buffer: this.lossTermBuffer } },
            { binding: 8, resource: { buffer: cacheBuffers[index]! } },
          ],
        }),
      );
      return { z, y, count: split.count, bindGroups };
    };
    this.train = makeSplit('train', problem.train);
    this.test = problem.test ? makeSplit('test', problem.test) : null;

    this.gpu.pushErrorScope('validation');
    this.pipelines = createEnginePipelines(this.gpu, bindGroupLayout, shaders, {
      d,
      laneParticles: layout.laneParticles,
      subgroupMin: layout.subgroupMin,
      zTileRows: layout.zTileRows,
      phiCacheRows: layout.phiCache ? plan.batch : null,
      quadLanes: layout.quadLanes,
      activation: dynamics.activation,
      loss: dynamics.loss,
    });
    const kernelError = this.gpu.popErrorScope();
    const memoryError = this.gpu.popErrorScope();
    this.compiled = Promise.all([kernelError, memoryError]).then(([kernels, memory]) => {
      if (memory) {
        throw new DeviceLimitError(
          `not enough GPU memory for the engine's buffers beside n = ${this.n} particles of d = ${d} (${memory.message}); use fewer particles`,
        );
      }
      if (kernels) throw new Error(`WebGPU rejected the engine's kernels: ${kernels.message}`);
    });
  }

  /** Resolves once the kernels compiled and x⁰ is in place (SPEC §3, stream 1). */
  async ready(): Promise<void> {
    await this.compiled;
    this.recordCalls(1, (pass, slot) => {
      this.writeSlot(slot, 0, BATCH_POINTS, 0, 0, 0);
      this.dispatchParticles(pass, this.pipelines.init, this.train, slot);
    });
    await this.orLost(this.gpu.queue.onSubmittedWorkDone());
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
    const count = this.train.count === 0 ? 0 : this.batch;
    let done = 0;
    let nanoseconds: bigint | null = timed ? 0n : null;
    while (done < steps) {
      const calls = Math.min(SLOTS, steps - done);
      const needsOutputs = !this.outputsReady && count > 0;
      const timestamps = timed ? this.buffers.timestampQueries() : null;
      this.recordCalls(
        calls,
        (pass, slot) => {
          const k = this.k + slot;
          this.writeSlot(slot, k, this.batchMode, 0, count, this.train.count);
          if (slot === 0 && needsOutputs)
            this.dispatchParticles(pass, this.pipelines.forward, this.train, slot);
          if (count > 0) this.dispatchBatch(pass, this.train, slot, count);
          this.dispatchParticles(pass, this.pipelines.step, this.train, slot);
        },
        timestamps,
      );
      this.k += calls;
      this.outputsReady = true;
      done += calls;
      await this.orLost(this.gpu.queue.onSubmittedWorkDone());
      if (timestamps) {
        const [begin, end] = await this.buffers.mapTimestamps(timestamps);
        nanoseconds = nanoseconds !== null && end >= begin ? nanoseconds + (end - begin) : null;
      }
    }
    return nanoseconds === null ? null : Number(nanoseconds) / 1e9;
  }

  loss(splitName: 'train' | 'test'): Promise<number> {
    const split = splitName === 'train' ? this.train : this.test;
    if (!split) return Promise.reject(new Error('this problem has no held-out test set'));
    if (split.count === 0) return Promise.resolve(0);
    return this.serial(async () => {
      const chunk = this.layout.partialStride;
      const staging = this.buffers.staging(split.count * FLOAT_BYTES);
      for (let offset = 0; offset < split.count; offset += chunk * SLOTS) {
        const calls = Math.min(SLOTS, Math.ceil((split.count - offset) / chunk));
        this.recordCalls(calls, (pass, slot, encoder) => {
          const first = offset + slot * chunk;
          const count = Math.min(chunk, split.count - first);
          this.writeSlot(slot, this.k, BATCH_POINTS, first, count, split.count);
          this.dispatchParticles(pass, this.pipelines.forward, split, slot);
          this.dispatchBatch(pass, split, slot, count);
          return () =>
            encoder.copyBufferToBuffer(
              this.lossTermBuffer,
              0,
              staging,
              first * FLOAT_BYTES,
              count * FLOAT_BYTES,
            );
        });
      }
      this.outputsReady = false;
      const terms = await this.buffers.mapFloats(staging, split.count);
      let sum = 0;
      for (const term of terms) sum += term;
      return sum / split.count;
    });
  }

  moments(): Promise<Moments> {
    return this.serial(async () => {
      const { totalGroups } = this.layout;
      const d = this.d;
      // The groups' sums, then each shard's first particle (combineShardMoments).
      const groupFloats = totalGroups * 2 * d;
      const floats = groupFloats + this.shards.length * d;
      const staging = this.buffers.staging(floats * FLOAT_BYTES);
      this.recordCalls(1, (pass, slot, encoder) => {
        this.writeSlot(slot, this.k, BATCH_POINTS, 0, 0, 0);
        this.dispatchParticles(pass, this.pipelines.moments, this.train, slot);
        return () => {
          encoder.copyBufferToBuffer(this.partialBuffer, 0, staging, 0, groupFloats * FLOAT_BYTES);
          this.shards.forEach((shard, s) =>
            encoder.copyBufferToBuffer(
              shard.buffer,
              0,
              staging,
              (groupFloats + s * d) * FLOAT_BYTES,
              d * FLOAT_BYTES,
            ),
          );
        };
      });
      this.outputsReady = false;
      const values = await this.buffers.mapFloats(staging, floats);
      return combineShardMoments(values, this.shards, d, this.n);
    });
  }

  particles(): Promise<Float32Array> {
    return this.serial(async () => {
      const x = new Float32Array(this.n * this.d);
      // Shard by shard: the whole set may be larger than one staging buffer may be.
      for (const shard of this.shards) {
        const floats = shard.count * this.d;
        const staging = this.buffers.staging(floats * FLOAT_BYTES);
        const encoder = this.gpu.createCommandEncoder();
        encoder.copyBufferToBuffer(shard.buffer, 0, staging, 0, floats * FLOAT_BYTES);
        this.gpu.queue.submit([encoder.finish()]);
        x.set(await this.buffers.mapFloats(staging, floats), shard.first * this.d);
      }
      return x;
    });
  }

  setParticles(x: Float32Array, step: number): Promise<void> {
    if (x.length !== this.n * this.d) {
      throw new RangeError(`particles must hold n·d = ${this.n * this.d} floats, got ${x.length}`);
    }
    if (!Number.isInteger(step) || step < 0 || step >= 2 ** 32) {
      throw new RangeError(`step must be an integer in [0, 2^32), got ${step}`);
    }
    return this.serial(async () => {
      const rows = unshared(x);
      for (const shard of this.shards) {
        this.gpu.queue.writeBuffer(
          shard.buffer,
          0,
          rows,
          shard.first * this.d,
          shard.count * this.d,
        );
      }
      this.k = step;
      this.outputsReady = false;
      await this.orLost(this.gpu.queue.onSubmittedWorkDone());
    });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.gpu.removeEventListener('uncapturederror', this.onUncapturedError);
    this.buffers.destroy();
    if (this.ownsDevice) this.gpu.destroy();
  }

  /** SimParams of shaders/bindings.wgsl for the passes over one shard. */
  private simParams(shard: ShardLayout): ArrayBuffer {
    const [key0, key1] = keyFromSeed(this.dynamics.seed);
    const { totalGroups, subChunks, partialStride } = this.layout;
    const { tau, priorStd, huberDelta, initStd } = this.dynamics;
    return simParamsBytes(this.uniforms, {
      n: shard.count,
      num_groups: shard.numGroups,
      groups_x: shard.gridX,
      sub_chunks: subChunks,
      key0,
      key1,
      partial_stride: partialStride,
      first_particle: shard.first,
      tau,
      inv_prior_var: 1 / (priorStd * priorStd),
      huber_delta: huberDelta,
      init_std: initStd,
      first_group: shard.firstGroup,
      total_n: this.n,
      total_groups: totalGroups,
    });
  }

  private writeSlot(
    slot: number,
    k: number,
    mode: number,
    offset: number,
    count: number,
    dataCount: number,
  ): void {
    this.slots.set(slot, {
      k,
      mode,
      point_offset: offset,
      point_count: count,
      data_count: dataCount,
      sigma: noiseLevel(this.dynamics, k),
    });
  }

  /**
   * Records `calls` calls into one command buffer and submits it. `record` fills slot
   * `slot`'s parameters and its dispatches; it may return copies to make after the pass.
   */
  private recordCalls(
    calls: number,
    record: (
      pass: GPUComputePassEncoder,
      slot: number,
      encoder: GPUCommandEncoder,
    ) => void | (() => void),
    timestamps: TimestampQueries | null = null,
  ): void {
    const encoder = this.gpu.createCommandEncoder();
    for (let slot = 0; slot < calls; slot++) {
      const first = slot === 0;
      const last = slot === calls - 1;
      const pass = encoder.beginComputePass(
        timestamps && (first || last)
          ? {
              timestampWrites: {
                querySet: timestamps.querySet,
                ...(first ? { beginningOfPassWriteIndex: 0 } : {}),
                ...(last ? { endOfPassWriteIndex: 1 } : {}),
              },
            }
          : {},
      );
      const copies = record(pass, slot, encoder);
      pass.end();
      if (copies) copies();
    }
    if (timestamps) encoder.resolveQuerySet(timestamps.querySet, 0, 2, timestamps.resolved, 0);
    this.gpu.queue.writeBuffer(this.slotBuffer, 0, this.slots.words, 0, (calls * SLOT_BYTES) / 4);
    this.gpu.queue.submit([encoder.finish()]);
  }

  private dispatchParticles(
    pass: GPUComputePassEncoder,
    pipeline: GPUComputePipeline,
    split: SplitBuffers,
    slot: number,
  ): void {
    pass.setPipeline(pipeline);
    this.shards.forEach((shard, index) => {
      pass.setBindGroup(0, split.bindGroups[index], [slot * SLOT_BYTES]);
      pass.dispatchWorkgroups(shard.gridX, shard.gridY);
    });
  }

  private dispatchBatch(
    pass: GPUComputePassEncoder,
    split: SplitBuffers,
    slot: number,
    count: number,
  ): void {
    const maxPerDimension = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    const gridX = Math.min(count, maxPerDimension);
    pass.setPipeline(this.pipelines.reduce);
    // Any shard's parameters do: the reduction reads all shards' rows of `partials`.
    pass.setBindGroup(0, split.bindGroups[0], [slot * SLOT_BYTES]);
    pass.dispatchWorkgroups(gridX, Math.ceil(count / gridX));
  }

  /** Operations share the step counter, `partials` and the staging buffer, so they run one at a time. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      this.assertLive();
      return work();
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private assertLive(): void {
    if (this.destroyed) throw new Error('this simulation was destroyed');
    if (this.lostMessage !== null) throw new GpuDeviceLostError(this.lostMessage);
  }

  /** `work`, unless the device is lost first: then a GpuDeviceLostError instead of a hang. */
  private orLost<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.lost]);
  }
}
