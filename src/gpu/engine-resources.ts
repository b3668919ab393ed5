// The engine's device-side resources, made once from the plan: the scratch buffers, the
// per-shard SimParams, the data splits' bind groups and the kernels' pipelines, and the
// recorder that dispatches them.
import { keyFromSeed } from '../contract/philox';
import { DeviceLimitError, type Dynamics, type Problem } from '../contract/simulation';
import type { EngineBuffers } from './buffers';
import { createEnginePipelines, engineBindings } from './kernels';
import {
  FLOAT_BYTES,
  partialFloats,
  phiCacheFloats,
  type EnginePlan,
  type Layout,
  type ShardLayout,
} from './plan';
import { CommandRecorder, SLOTS, SLOT_BYTES, type SplitBuffers } from './recorder';
import type { ShaderSources } from './shaders';
import { simParamsBytes, type CallSlots, type EngineUniforms } from './uniforms';

/** A particle buffer of the WebGPU simulation: particles [first, first + count), rows of d floats. */
export interface ParticleShard {
  readonly buffer: GPUBuffer;
  readonly first: number;
  readonly count: number;
}

export interface EngineResources {
  /** Per group and batch sample: the partial sums of the network outputs; the moments' sums. */
  readonly partials: GPUBuffer;
  /** Per batch sample: its loss term, read back by a loss evaluation. */
  readonly lossTerms: GPUBuffer;
  readonly train: SplitBuffers;
  readonly test: SplitBuffers | null;
  readonly recorder: CommandRecorder;
  /** Rejects when the device refused the buffers (DeviceLimitError) or the kernels. */
  readonly compiled: Promise<void>;
}

export interface EngineParts {
  readonly device: GPUDevice;
  readonly buffers: EngineBuffers;
  readonly problem: Problem;
  readonly dynamics: Dynamics;
  readonly shaders: ShaderSources;
  readonly plan: EnginePlan;
  /** The layout the particle buffers were made for (smaller buffers than planned, at times). */
  readonly layout: Layout;
  readonly shards: readonly (ShardLayout & ParticleShard)[];
  readonly uniforms: EngineUniforms;
  readonly slots: CallSlots;
}

/**
 * Makes the resources. Every size was checked by the plan, so nothing here throws: the
 * device's refusals come through `compiled`, from the error scopes around the creation.
 */
export function createEngineResources(parts: EngineParts): EngineResources {
  const { device, buffers, problem, dynamics, plan, layout, shards, uniforms } = parts;
  const { d } = plan;
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const uniform = GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;
  device.pushErrorScope('out-of-memory');
  const partials = buffers.create('partials', partialFloats(layout, d) * FLOAT_BYTES, storage);
  const weights = buffers.create('weights', layout.partialStride * FLOAT_BYTES, storage);
  const lossTerms = buffers.create('loss terms', layout.partialStride * FLOAT_BYTES, storage);
  const slotBuffer = buffers.create('call params', SLOTS * SLOT_BYTES, uniform);
  // The φ cache of each shard, or one placeholder for them all.
  const placeholder = layout.phiCache ? null : buffers.create('no φ cache', 16, storage);
  const caches = shards.map(
    (shard, index) =>
      placeholder ??
      buffers.create(
        `φ cache ${index}`,
        phiCacheFloats(layout, shard, plan.batch) * FLOAT_BYTES,
        GPUBufferUsage.STORAGE,
      ),
  );
  const simBuffers = shards.map((shard, index) => {
    const bytes = simParams(uniforms, layout, dynamics, shard);
    const buffer = buffers.create(`sim params ${index}`, bytes.byteLength, uniform);
    device.queue.writeBuffer(buffer, 0, bytes);
    return buffer;
  });

  const bindGroupLayout = device.createBindGroupLayout({
    label: 'mfld engine',
    entries: engineBindings(),
  });
  const makeSplit = (
    name: string,
    split: { z: Float32Array; y: Float32Array; count: number },
  ): SplitBuffers => {
    const z = buffers.data(`${name} z`, split.z);
    const y = buffers.data(`${name} y`, split.y);
    const bindGroups = shards.map((shard, index) =>
      device.createBindGroup({
        label: `${name} ${index}`,
        layout: bindGroupLayout,
        entries: [
          { binding: 0, resource: { buffer: simBuffers[index]! } },
          { binding: 1, resource: { buffer: slotBuffer, size: uniforms.callParams.size } },
          { binding: 2, resource: { buffer: shard.buffer } },
          { binding: 3, resource: { buffer: z } },
          { binding: 4, resource: { buffer: y } },
          { binding: 5, resource: { buffer: partials } },
          { binding: 6, resource: { buffer: weights } },
          { binding: 7, resource: { buffer: lossTerms } },
          { binding: 8, resource: { buffer: caches[index]! } },
        ],
      }),
    );
    return { z, y, count: split.count, bindGroups };
  };
  const train = makeSplit('train', problem.train);
  const test = problem.test ? makeSplit('test', problem.test) : null;

  device.pushErrorScope('validation');
  const pipelines = createEnginePipelines(device, bindGroupLayout, parts.shaders, {
    d,
    laneParticles: layout.laneParticles,
    subgroupMin: layout.subgroupMin,
    zTileRows: layout.zTileRows,
    phiCacheRows: layout.phiCache ? plan.batch : null,
    quadLanes: layout.quadLanes,
    activation: dynamics.activation,
    loss: dynamics.loss,
  });
  const kernelError = device.popErrorScope();
  const memoryError = device.popErrorScope();
  const compiled = Promise.all([kernelError, memoryError]).then(([kernels, memory]) => {
    if (memory) {
      throw new DeviceLimitError(
        `not enough GPU memory for the engine's buffers beside n = ${dynamics.n} particles of d = ${d} (${memory.message}); use fewer particles`,
      );
    }
    if (kernels) throw new Error(`WebGPU rejected the engine's kernels: ${kernels.message}`);
  });
  const recorder = new CommandRecorder(
    device,
    dynamics,
    parts.slots,
    slotBuffer,
    shards,
    pipelines,
  );
  return { partials, lossTerms, train, test, recorder, compiled };
}

/** SimParams of shaders/bindings.wgsl for the passes over one shard. */
function simParams(
  uniforms: EngineUniforms,
  layout: Layout,
  dynamics: Dynamics,
  shard: ShardLayout,
): ArrayBuffer {
  const [key0, key1] = keyFromSeed(dynamics.seed);
  const { totalGroups, subChunks, partialStride } = layout;
  const { tau, priorStd, huberDelta, initStd } = dynamics;
  return simParamsBytes(uniforms, {
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
    total_n: dynamics.n,
    total_groups: totalGroups,
  });
}
