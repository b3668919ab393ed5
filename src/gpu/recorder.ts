// Command recording: many calls (steps, or chunks of a loss evaluation) go into one command
// buffer, each with its own block of CallParams in a slot of the call-parameter buffer, so
// that a run of many steps is one submit and one parameter upload.
import { noiseLevel, type Dynamics } from '../contract/simulation';
import type { TimestampQueries } from './buffers';
import type { EngineKernel } from './kernels';
import type { ShardLayout } from './plan';
import type { CallSlots } from './uniforms';

/** Calls (steps, or chunks of a loss evaluation) recorded per command buffer. */
export const SLOTS = 128;
/** Bytes between per-call parameter blocks: the largest minUniformBufferOffsetAlignment allowed. */
export const SLOT_BYTES = 256;
/** CallParams.mode: the batch is drawn (SPEC §3), or is the data points in order. */
export const BATCH_MINIBATCH = 0;
export const BATCH_POINTS = 1;

/** Buffers for a data split; WebGPU refuses empty bindings, so empty splits get one float. */
export interface SplitBuffers {
  readonly z: GPUBuffer;
  readonly y: GPUBuffer;
  readonly count: number;
  /** One per particle shard. */
  readonly bindGroups: readonly GPUBindGroup[];
}

/**
 * Records one call's dispatches into `pass`; it may return copies to make after the pass
 * (with `encoder`, outside any pass).
 */
export type RecordCall = (
  pass: GPUComputePassEncoder,
  slot: number,
  encoder: GPUCommandEncoder,
) => void | (() => void);

export class CommandRecorder {
  constructor(
    private readonly gpu: GPUDevice,
    private readonly dynamics: Dynamics,
    private readonly slots: CallSlots,
    private readonly slotBuffer: GPUBuffer,
    private readonly shards: readonly ShardLayout[],
    private readonly pipelines: Record<EngineKernel, GPUComputePipeline>,
  ) {}

  /** Fills slot `slot`'s CallParams: step k, batch mode, the points [offset, offset + count). */
  writeSlot(
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
   * `slot`'s parameters and its dispatches. Timed: the first pass writes timestamp 0 as it
   * begins and the last writes timestamp 1 as it ends, resolved into `timestamps`.
   */
  record(calls: number, record: RecordCall, timestamps: TimestampQueries | null = null): void {
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

  /** A kernel over every particle, shard by shard. */
  dispatchParticles(
    pass: GPUComputePassEncoder,
    kernel: Exclude<EngineKernel, 'reduce'>,
    split: SplitBuffers,
    slot: number,
  ): void {
    pass.setPipeline(this.pipelines[kernel]);
    this.shards.forEach((shard, index) => {
      pass.setBindGroup(0, split.bindGroups[index]!, [slot * SLOT_BYTES]);
      pass.dispatchWorkgroups(shard.gridX, shard.gridY);
    });
  }

  /** The reduction over particles of each of `count` batch samples' partial outputs. */
  dispatchBatch(
    pass: GPUComputePassEncoder,
    split: SplitBuffers,
    slot: number,
    count: number,
  ): void {
    const maxPerDimension = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    const gridX = Math.min(count, maxPerDimension);
    pass.setPipeline(this.pipelines.reduce);
    // Any shard's parameters do: the reduction reads all shards' rows of `partials`.
    pass.setBindGroup(0, split.bindGroups[0]!, [slot * SLOT_BYTES]);
    pass.dispatchWorkgroups(gridX, Math.ceil(count / gridX));
  }
}
