// The WebGPU engine: SPEC §2–3 in the kernels of shaders/, driven from here. Pipelines and
// buffers are made once; `run` records many steps per command buffer and reads nothing
// back; observables are read back only when asked for.
import { activationCode, lossCode } from '../contract/model';
import { keyFromSeed } from '../contract/philox';
import {
  batchSize,
  noiseLevel,
  type Dynamics,
  type Moments,
  type Problem,
  type Simulation,
} from '../contract/simulation';
import type { EngineGpu } from './device';
import { composeShader, type ShaderSources } from './shaders';

/** Invocations per workgroup of every kernel. */
const WG = 64;
/** Batch slots whose partial outputs a workgroup sums at once. */
const SUM_ROWS = 16;
/** Particle coordinates d beyond which the per-invocation arrays get too large for the GPU kernels. */
export const MAX_GPU_COORDINATES = 256;
/** Floats the partial-output buffer may hold: workgroups walk more particles past this. */
const PARTIAL_BUDGET_FLOATS = 1 << 22;
/** Calls (steps, or chunks of a loss evaluation) recorded per command buffer. */
const SLOTS = 128;
/** Bytes between per-call parameter blocks: the largest minUniformBufferOffsetAlignment allowed. */
const SLOT_BYTES = 256;
/** SimParams and CallParams of shaders/bindings.wgsl, in 32-bit words. */
const SIM_PARAMS_WORDS = 16;
const CALL_PARAMS_WORDS = 8;
const BATCH_MINIBATCH = 0;
const BATCH_POINTS = 1;
const FLOAT_BYTES = 4;

/** The device stopped working (driver reset, GPU removed); the simulation's state is gone. */
export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
}

/** A size that does not fit the adapter: the message names the size and the largest that fits. */
export class DeviceLimitError extends Error {
  override name = 'DeviceLimitError';
}

interface Layout {
  readonly numGroups: number;
  readonly subChunks: number;
  readonly gridX: number;
  readonly gridY: number;
  /** Floats per workgroup in `partials`: the most batch slots one call uses. */
  readonly partialStride: number;
  readonly zTileRows: number;
}

function planLayout(n: number, p: number, batch: number, limits: GPUSupportedLimits): Layout {
  const partialStride = Math.max(batch, WG);
  const subChunks = Math.max(1, Math.ceil((n * partialStride) / (WG * PARTIAL_BUDGET_FLOATS)));
  const numGroups = Math.ceil(n / (WG * subChunks));
  const maxPerDimension = limits.maxComputeWorkgroupsPerDimension;
  const gridX = Math.min(numGroups, maxPerDimension);
  const gridY = Math.ceil(numGroups / gridX);
  // Workgroup memory: the contributions table, then as many data rows as still fit.
  const workgroupFloats = limits.maxComputeWorkgroupStorageSize / FLOAT_BYTES;
  const tileFloats = workgroupFloats - WG * (SUM_ROWS + 1) - 2 * WG;
  const zTileRows = Math.max(1, Math.min(WG, Math.floor(tileFloats / (p + 2))));
  if (tileFloats < p + 2) {
    throw new DeviceLimitError(
      `input dimension p = ${p} does not fit this adapter's workgroup memory`,
    );
  }
  if (gridY > maxPerDimension) {
    throw new DeviceLimitError(
      `n = ${n} particles need more workgroups than this adapter can dispatch`,
    );
  }
  return { numGroups, subChunks, gridX, gridY, partialStride, zTileRows };
}

function checkBufferSize(
  what: string,
  bytes: number,
  limits: GPUSupportedLimits,
  largest: string,
): void {
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  if (bytes > limit) {
    throw new DeviceLimitError(
      `${what} needs ${bytes} bytes, more than this adapter allows in one buffer (${limit} bytes); ${largest}`,
    );
  }
}

/** writeBuffer takes no views of shared memory (the CPU reference keeps its particles there). */
function unshared(values: Float32Array): Float32Array<ArrayBuffer> {
  return values.buffer instanceof ArrayBuffer
    ? (values as Float32Array<ArrayBuffer>)
    : new Float32Array(values);
}

/** Buffers for a data split; WebGPU refuses empty bindings, so empty splits get one float. */
interface SplitBuffers {
  readonly z: GPUBuffer;
  readonly y: GPUBuffer;
  readonly count: number;
  readonly bindGroup: GPUBindGroup;
}

export interface GpuSimulationOptions {
  /** destroy() also destroys the device: for a device opened for this simulation alone. */
  readonly ownsDevice?: boolean;
}

export async function createGpuSimulation(
  gpu: EngineGpu,
  problem: Problem,
  dynamics: Dynamics,
  shaders: ShaderSources,
  options: GpuSimulationOptions = {},
): Promise<Simulation> {
  const simulation = new GpuSimulation(
    gpu,
    problem,
    dynamics,
    shaders,
    options.ownsDevice ?? false,
  );
  await simulation.ready();
  return simulation;
}

/**
 * The WebGPU simulation's particle buffer (n·d float32, one row [α_1 … α_p, c] per particle),
 * for kernels outside the engine that read it (src/gpu/histogram.ts). Throws for any other
 * simulation. Submit after awaiting the simulation's pending operations to see their result.
 */
export function particleBuffer(sim: Simulation): GPUBuffer {
  if (!(sim instanceof GpuSimulation)) {
    throw new TypeError(`this needs the WebGPU simulation, got the ${sim.backend} one`);
  }
  return sim['particleBuffer'];
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
  private readonly buffers: GPUBuffer[] = [];
  private readonly particleBuffer: GPUBuffer;
  private readonly partialBuffer: GPUBuffer;
  private readonly lossTermBuffer: GPUBuffer;
  private readonly slotBuffer: GPUBuffer;
  private readonly slotWords = new Uint32Array((SLOTS * SLOT_BYTES) / 4);
  private readonly slotFloats = new Float32Array(this.slotWords.buffer);
  private readonly train: SplitBuffers;
  private readonly test: SplitBuffers | null;
  private readonly pipelines: Record<
    'init' | 'forward' | 'step' | 'reduce' | 'moments',
    GPUComputePipeline
  >;
  private readbackBuffer: GPUBuffer | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly compiled: Promise<void>;
  private destroyed = false;
  /** Rejects when the device is lost (driver reset, GPU removed, out of memory). */
  private readonly lost: Promise<never>;
  private lostMessage: string | null = null;

  constructor(
    engine: EngineGpu,
    problem: Problem,
    private readonly dynamics: Dynamics,
    shaders: ShaderSources,
    private readonly ownsDevice: boolean,
  ) {
    this.gpu = engine.device;
    this.device = engine.description;
    this.lost = engine.device.lost.then((info) => {
      this.lostMessage = `the GPU device was lost (${info.reason}): ${info.message || 'no detail given'}`;
      throw new GpuDeviceLostError(this.lostMessage);
    });
    // Nobody may be waiting on the device when it is lost; the next operation reports it.
    this.lost.catch(() => undefined);
    const limits = engine.device.limits;
    const { n } = dynamics;
    const p = problem.p;
    const d = p + 1;
    this.n = n;
    this.d = d;
    if (d > MAX_GPU_COORDINATES) {
      throw new DeviceLimitError(
        `the WebGPU engine handles particles of at most ${MAX_GPU_COORDINATES} coordinates, got d = ${d}; use the CPU backend`,
      );
    }
    this.batch = batchSize(dynamics, problem);
    this.batchMode =
      dynamics.batch === 'full' || problem.train.count === 0 ? BATCH_POINTS : BATCH_MINIBATCH;
    this.layout = planLayout(n, p, this.batch, limits);

    const particleBytes = n * d * FLOAT_BYTES;
    const largestN = Math.floor(
      Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / (d * FLOAT_BYTES),
    );
    checkBufferSize(
      `n = ${n} particles of d = ${d}`,
      particleBytes,
      limits,
      `the largest n that fits is ${largestN}`,
    );
    const partialFloats = this.layout.numGroups * Math.max(this.layout.partialStride, 2 * d);
    checkBufferSize(
      'the partial network outputs',
      partialFloats * FLOAT_BYTES,
      limits,
      'use fewer particles or a smaller batch',
    );

    for (const [name, split] of [
      ['training', problem.train],
      ['test', problem.test],
    ] as const) {
      if (split)
        checkBufferSize(`the ${name} inputs`, split.z.byteLength, limits, 'use fewer data points');
    }

    // Every size is checked: from here on nothing throws until the error scopes are popped.
    this.gpu.pushErrorScope('out-of-memory');
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.particleBuffer = this.createBuffer('particles', particleBytes, storage);
    this.partialBuffer = this.createBuffer('partials', partialFloats * FLOAT_BYTES, storage);
    const weightBuffer = this.createBuffer(
      'weights',
      this.layout.partialStride * FLOAT_BYTES,
      storage,
    );
    this.lossTermBuffer = this.createBuffer(
      'loss terms',
      this.layout.partialStride * FLOAT_BYTES,
      storage,
    );
    this.slotBuffer = this.createBuffer(
      'call params',
      SLOTS * SLOT_BYTES,
      GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    );
    const simBuffer = this.createBuffer(
      'sim params',
      SIM_PARAMS_WORDS * 4,
      GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    );
    this.gpu.queue.writeBuffer(simBuffer, 0, this.simParams());

    const bindGroupLayout = this.gpu.createBindGroupLayout({
      label: 'mfld engine',
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        {
          binding: 1,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: 'uniform', hasDynamicOffset: true },
        },
        { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
        { binding: 3, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 4, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 5, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
        { binding: 6, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
        { binding: 7, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      ],
    });
    const makeSplit = (
      name: string,
      split: { z: Float32Array; y: Float32Array; count: number },
    ): SplitBuffers => {
      const z = this.createData(`${name} z`, split.z);
      const y = this.createData(`${name} y`, split.y);
      const bindGroup = this.gpu.createBindGroup({
        label: name,
        layout: bindGroupLayout,
        entries: [
          { binding: 0, resource: { buffer: simBuffer } },
          { binding: 1, resource: { buffer: this.slotBuffer, size: CALL_PARAMS_WORDS * 4 } },
          { binding: 2, resource: { buffer: this.particleBuffer } },
          { binding: 3, resource: { buffer: z } },
          { binding: 4, resource: { buffer: y } },
          { binding: 5, resource: { buffer: this.partialBuffer } },
          { binding: 6, resource: { buffer: weightBuffer } },
          { binding: 7, resource: { buffer: this.lossTermBuffer } },
        ],
      });
      return { z, y, count: split.count, bindGroup };
    };
    this.train = makeSplit('train', problem.train);
    this.test = problem.test ? makeSplit('test', problem.test) : null;

    const constants = {
      D: d,
      P: p,
      WG,
      SUM_ROWS,
      Z_TILE_ROWS: this.layout.zTileRows,
      ACTIVATION: activationCode(dynamics.activation),
      LOSS: lossCode(dynamics.loss),
    };
    const pipelineLayout = this.gpu.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
    this.gpu.pushErrorScope('validation');
    const module = (pieces: string[], label: string): GPUShaderModule =>
      this.gpu.createShaderModule({ label, code: composeShader(shaders, pieces, constants) });
    const particleModule = module(['philox', 'model', 'bindings', 'particles'], 'particles');
    const reduceModule = module(
      ['philox', 'model', 'bindings', 'workgroup-sum', 'reduce'],
      'reduce',
    );
    const momentModule = module(
      ['philox', 'model', 'bindings', 'workgroup-sum', 'moments'],
      'moments',
    );
    const pipeline = (shaderModule: GPUShaderModule, entryPoint: string): GPUComputePipeline =>
      this.gpu.createComputePipeline({
        label: entryPoint,
        layout: pipelineLayout,
        compute: { module: shaderModule, entryPoint },
      });
    this.pipelines = {
      init: pipeline(particleModule, 'init_particles'),
      forward: pipeline(particleModule, 'forward'),
      step: pipeline(particleModule, 'step'),
      reduce: pipeline(reduceModule, 'reduce_outputs'),
      moments: pipeline(momentModule, 'moments'),
    };
    const kernelError = this.gpu.popErrorScope();
    const memoryError = this.gpu.popErrorScope();
    this.compiled = Promise.all([kernelError, memoryError]).then(([kernels, memory]) => {
      if (memory) {
        throw new DeviceLimitError(
          `not enough GPU memory for n = ${n} particles of d = ${d} (${memory.message}); use fewer particles`,
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
    if (!Number.isInteger(steps) || steps < 0)
      throw new RangeError(`steps must be an integer ≥ 0, got ${steps}`);
    if (this.k + steps >= 2 ** 32)
      throw new RangeError(`the global step must stay below 2^32, got ${this.k} + ${steps}`);
    return this.serial(() => this.advance(steps));
  }

  private async advance(steps: number): Promise<void> {
    const count = this.train.count === 0 ? 0 : this.batch;
    let done = 0;
    while (done < steps) {
      const calls = Math.min(SLOTS, steps - done);
      const needsOutputs = !this.outputsReady && count > 0;
      this.recordCalls(calls, (pass, slot) => {
        const k = this.k + slot;
        this.writeSlot(slot, k, this.batchMode, 0, count, this.train.count);
        if (slot === 0 && needsOutputs)
          this.dispatchParticles(pass, this.pipelines.forward, this.train, slot);
        if (count > 0) this.dispatchBatch(pass, this.train, slot, count);
        this.dispatchParticles(pass, this.pipelines.step, this.train, slot);
      });
      this.k += calls;
      this.outputsReady = true;
      done += calls;
      await this.orLost(this.gpu.queue.onSubmittedWorkDone());
    }
  }

  loss(splitName: 'train' | 'test'): Promise<number> {
    const split = splitName === 'train' ? this.train : this.test;
    if (!split) return Promise.reject(new Error('this problem has no held-out test set'));
    if (split.count === 0) return Promise.resolve(0);
    return this.serial(async () => {
      const chunk = this.layout.partialStride;
      const staging = this.stagingBuffer(split.count * FLOAT_BYTES);
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
      const terms = await this.mapFloats(staging, split.count);
      let sum = 0;
      for (const term of terms) sum += term;
      return sum / split.count;
    });
  }

  moments(): Promise<Moments> {
    return this.serial(async () => {
      const { numGroups } = this.layout;
      const d = this.d;
      const groupFloats = numGroups * 2 * d;
      const staging = this.stagingBuffer((groupFloats + d) * FLOAT_BYTES);
      this.recordCalls(1, (pass, slot, encoder) => {
        this.writeSlot(slot, this.k, BATCH_POINTS, 0, 0, 0);
        this.dispatchParticles(pass, this.pipelines.moments, this.train, slot);
        return () => {
          encoder.copyBufferToBuffer(this.partialBuffer, 0, staging, 0, groupFloats * FLOAT_BYTES);
          encoder.copyBufferToBuffer(
            this.particleBuffer,
            0,
            staging,
            groupFloats * FLOAT_BYTES,
            d * FLOAT_BYTES,
          );
        };
      });
      this.outputsReady = false;
      const values = await this.mapFloats(staging, groupFloats + d);
      const mean = new Float64Array(d);
      const variance = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        let sum = 0;
        let sumSq = 0;
        for (let g = 0; g < numGroups; g++) {
          sum += values[g * 2 * d + j]!;
          sumSq += values[g * 2 * d + d + j]!;
        }
        const centredMean = sum / this.n;
        mean[j] = values[groupFloats + j]! + centredMean;
        variance[j] = Math.max(0, sumSq / this.n - centredMean * centredMean);
      }
      return { mean, var: variance };
    });
  }

  particles(): Promise<Float32Array> {
    return this.serial(async () => {
      const bytes = this.n * this.d * FLOAT_BYTES;
      const staging = this.stagingBuffer(bytes);
      const encoder = this.gpu.createCommandEncoder();
      encoder.copyBufferToBuffer(this.particleBuffer, 0, staging, 0, bytes);
      this.gpu.queue.submit([encoder.finish()]);
      return this.mapFloats(staging, this.n * this.d);
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
      this.gpu.queue.writeBuffer(this.particleBuffer, 0, unshared(x));
      this.k = step;
      this.outputsReady = false;
      await this.orLost(this.gpu.queue.onSubmittedWorkDone());
    });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const buffer of this.buffers) buffer.destroy();
    this.readbackBuffer?.destroy();
    if (this.ownsDevice) this.gpu.destroy();
  }

  private simParams(): ArrayBuffer {
    const words = new ArrayBuffer(SIM_PARAMS_WORDS * 4);
    const u32 = new Uint32Array(words);
    const f32 = new Float32Array(words);
    const [key0, key1] = keyFromSeed(this.dynamics.seed);
    const { numGroups, gridX, subChunks, partialStride } = this.layout;
    u32.set([this.n, numGroups, gridX, subChunks, key0, key1, partialStride, 0]);
    const { tau, priorStd, huberDelta, initStd } = this.dynamics;
    f32.set([tau, 1 / (priorStd * priorStd), huberDelta, initStd, 0, 0, 0, 0], 8);
    return words;
  }

  private writeSlot(
    slot: number,
    k: number,
    mode: number,
    offset: number,
    count: number,
    dataCount: number,
  ): void {
    const base = (slot * SLOT_BYTES) / 4;
    this.slotWords.set([k >>> 0, mode, offset, count, dataCount, 0, 0, 0], base);
    this.slotFloats[base + 5] = noiseLevel(this.dynamics, k);
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
  ): void {
    const encoder = this.gpu.createCommandEncoder();
    for (let slot = 0; slot < calls; slot++) {
      const pass = encoder.beginComputePass();
      const copies = record(pass, slot, encoder);
      pass.end();
      if (copies) copies();
    }
    this.gpu.queue.writeBuffer(this.slotBuffer, 0, this.slotWords, 0, (calls * SLOT_BYTES) / 4);
    this.gpu.queue.submit([encoder.finish()]);
  }

  private dispatchParticles(
    pass: GPUComputePassEncoder,
    pipeline: GPUComputePipeline,
    split: SplitBuffers,
    slot: number,
  ): void {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, split.bindGroup, [slot * SLOT_BYTES]);
    pass.dispatchWorkgroups(this.layout.gridX, this.layout.gridY);
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
    pass.setBindGroup(0, split.bindGroup, [slot * SLOT_BYTES]);
    pass.dispatchWorkgroups(gridX, Math.ceil(count / gridX));
  }

  private createBuffer(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const buffer = this.gpu.createBuffer({
      label,
      size: Math.max(16, Math.ceil(size / 4) * 4),
      usage,
    });
    this.buffers.push(buffer);
    return buffer;
  }

  private createData(label: string, values: Float32Array): GPUBuffer {
    const buffer = this.createBuffer(
      label,
      values.byteLength,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    );
    if (values.length > 0) this.gpu.queue.writeBuffer(buffer, 0, unshared(values));
    return buffer;
  }

  /** The shared staging buffer, grown when a readback needs more. */
  private stagingBuffer(bytes: number): GPUBuffer {
    if (!this.readbackBuffer || this.readbackBuffer.size < bytes) {
      this.readbackBuffer?.destroy();
      this.readbackBuffer = this.gpu.createBuffer({
        label: 'readback',
        size: Math.max(256, Math.ceil(bytes / 4) * 4),
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
    }
    return this.readbackBuffer;
  }

  private async mapFloats(staging: GPUBuffer, count: number): Promise<Float32Array> {
    await this.orLost(staging.mapAsync(GPUMapMode.READ, 0, count * FLOAT_BYTES));
    try {
      return new Float32Array(staging.getMappedRange(0, count * FLOAT_BYTES).slice(0));
    } finally {
      staging.unmap();
    }
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
