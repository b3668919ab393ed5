// The engine's GPU buffers: the particle shards (made one at a time, so that running out of
// memory says how many particles fitted), the buffers it owns until destroy(), the shared
// readback buffer and the timestamp queries of a timed run.
import { DeviceLimitError } from '../contract/simulation';
import {
  FLOAT_BYTES,
  planShards,
  shardCapacity,
  withShards,
  workgroupSpan,
  type EnginePlan,
  type Layout,
} from './plan';

/** writeBuffer takes no views of shared memory (the CPU reference keeps its particles there). */
export function unshared(values: Float32Array): Float32Array<ArrayBuffer> {
  return values.buffer instanceof ArrayBuffer
    ? (values as Float32Array<ArrayBuffer>)
    : new Float32Array(values);
}

export interface ParticleBuffers {
  /** The layout the buffers were made for: smaller shards than planned, at times. */
  readonly layout: Layout;
  readonly buffers: readonly GPUBuffer[];
}

/** Particle buffers below this size are not worth halving further when one fails. */
const SMALLEST_RETRY_BYTES = 1 << 20;

/**
 * Makes the particle buffers one at a time, each in its own out-of-memory scope, so that
 * running out says how many particles fitted. A first buffer that fails is halved and tried
 * again: some drivers take less in one allocation than the buffer limit they report
 * (SwiftShader refuses exactly 1 GiB).
 */
export async function allocateParticles(
  device: GPUDevice,
  plan: EnginePlan,
  n: number,
): Promise<ParticleBuffers> {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  let layout = plan.layout;
  for (;;) {
    const buffers: GPUBuffer[] = [];
    let failure: GPUError | null = null;
    for (const [index, shard] of layout.shards.entries()) {
      device.pushErrorScope('out-of-memory');
      const buffer = device.createBuffer({
        label: `particles ${index}`,
        size: Math.max(16, shard.count * plan.d * FLOAT_BYTES),
        usage,
      });
      failure = await device.popErrorScope();
      if (failure) {
        buffer.destroy();
        break;
      }
      buffers.push(buffer);
    }
    if (!failure) return { layout, buffers };
    for (const buffer of buffers) buffer.destroy();
    const capacity = layout.shards[0]!.count;
    const bytes = capacity * plan.d * FLOAT_BYTES;
    if (buffers.length === 0 && bytes > SMALLEST_RETRY_BYTES) {
      const half = shardCapacity(plan.d, bytes / 2, workgroupSpan(layout));
      layout = withShards(layout, planShards(n, layout, half));
      continue;
    }
    const fitted = buffers.length * capacity;
    throw new DeviceLimitError(
      `not enough GPU memory for n = ${n} particles of d = ${plan.d} (${failure.message.split('\n')[0]}); ` +
        (fitted > 0
          ? `the largest n that fits is below ${fitted}`
          : `not even ${capacity} particles (${bytes} bytes) fit`),
    );
  }
}

export interface TimestampQueries {
  readonly querySet: GPUQuerySet;
  /** QUERY_RESOLVE buffer of the two 64-bit timestamps, in nanoseconds. */
  readonly resolved: GPUBuffer;
}

/** Buffers the engine owns, destroyed together; `settle` races a wait against device loss. */
export class EngineBuffers {
  private readonly owned: GPUBuffer[] = [];
  private readback: GPUBuffer | null = null;
  private timestamps: TimestampQueries | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly settle: <T>(work: Promise<T>) => Promise<T>,
  ) {}

  /** Takes ownership of buffers made elsewhere (the particle shards). */
  adopt(buffers: readonly GPUBuffer[]): void {
    this.owned.push(...buffers);
  }

  create(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const buffer = this.device.createBuffer({
      label,
      size: Math.max(16, Math.ceil(size / 4) * 4),
      usage,
    });
    this.owned.push(buffer);
    return buffer;
  }

  /** A read-only storage buffer holding `values`. */
  data(label: string, values: Float32Array): GPUBuffer {
    const buffer = this.create(
      label,
      values.byteLength,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    );
    if (values.length > 0) this.device.queue.writeBuffer(buffer, 0, unshared(values));
    return buffer;
  }

  /** The shared staging buffer, grown when a readback needs more. */
  staging(bytes: number): GPUBuffer {
    if (!this.readback || this.readback.size < bytes) {
      this.readback?.destroy();
      this.readback = this.device.createBuffer({
        label: 'readback',
        size: Math.max(256, Math.ceil(bytes / 4) * 4),
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
    }
    return this.readback;
  }

  async mapFloats(staging: GPUBuffer, count: number): Promise<Float32Array> {
    await this.settle(staging.mapAsync(GPUMapMode.READ, 0, count * FLOAT_BYTES));
    try {
      return new Float32Array(staging.getMappedRange(0, count * FLOAT_BYTES).slice(0));
    } finally {
      staging.unmap();
    }
  }

  /** The query set of a timed command buffer (two timestamps) and where it is resolved to. */
  timestampQueries(): TimestampQueries {
    if (!this.timestamps) {
      const querySet = this.device.createQuerySet({
        label: 'step timing',
        type: 'timestamp',
        count: 2,
      });
      const resolved = this.create(
        'step timing',
        16,
        GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      );
      this.timestamps = { querySet, resolved };
    }
    return this.timestamps;
  }

  async mapTimestamps(timestamps: TimestampQueries): Promise<[bigint, bigint]> {
    const staging = this.staging(16);
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(timestamps.resolved, 0, staging, 0, 16);
    this.device.queue.submit([encoder.finish()]);
    await this.settle(staging.mapAsync(GPUMapMode.READ, 0, 16));
    try {
      const [begin, end] = new BigUint64Array(staging.getMappedRange(0, 16));
      return [begin!, end!];
    } finally {
      staging.unmap();
    }
  }

  destroy(): void {
    for (const buffer of this.owned) buffer.destroy();
    this.readback?.destroy();
    this.timestamps?.querySet.destroy();
  }
}
