// Reading the engine's state back: a loss over a data split, the moments, the particles; and
// writing particles in. Each records what it needs, copies it to staging buffers and maps them.
import type { Moments } from '../contract/simulation';
import { unshared, type EngineBuffers } from './buffers';
import type { EngineResources, ParticleShard } from './engine-resources';
import { combineShardMoments, FLOAT_BYTES, type Layout, type ShardLayout } from './plan';
import { BATCH_POINTS, SLOTS, type SplitBuffers } from './recorder';

/** What the readbacks work on: the engine's buffers and layout, n particles of d coordinates. */
export interface EngineState {
  readonly device: GPUDevice;
  readonly buffers: EngineBuffers;
  readonly resources: EngineResources;
  readonly layout: Layout;
  readonly shards: readonly (ShardLayout & ParticleShard)[];
  readonly n: number;
  readonly d: number;
}

/** The mean loss of the particles at step k over a split's points, in chunks of `partialStride`. */
export async function readLoss(
  engine: EngineState,
  split: SplitBuffers,
  k: number,
): Promise<number> {
  const { buffers, resources } = engine;
  const { recorder } = resources;
  const chunk = engine.layout.partialStride;
  const staging = buffers.staging(split.count * FLOAT_BYTES);
  for (let offset = 0; offset < split.count; offset += chunk * SLOTS) {
    const calls = Math.min(SLOTS, Math.ceil((split.count - offset) / chunk));
    recorder.record(calls, (pass, slot, encoder) => {
      const first = offset + slot * chunk;
      const count = Math.min(chunk, split.count - first);
      recorder.writeSlot(slot, k, BATCH_POINTS, first, count, split.count);
      recorder.dispatchParticles(pass, 'forward', split, slot);
      recorder.dispatchBatch(pass, split, slot, count);
      return () =>
        encoder.copyBufferToBuffer(
          resources.lossTerms,
          0,
          staging,
          first * FLOAT_BYTES,
          count * FLOAT_BYTES,
        );
    });
  }
  const terms = await buffers.mapFloats(staging, split.count);
  let sum = 0;
  for (const term of terms) sum += term;
  return sum / split.count;
}

export async function readMoments(engine: EngineState, k: number): Promise<Moments> {
  const { buffers, resources, shards, d } = engine;
  const { recorder } = resources;
  // The groups' sums, then each shard's first particle (combineShardMoments).
  const groupFloats = engine.layout.totalGroups * 2 * d;
  const floats = groupFloats + shards.length * d;
  const staging = buffers.staging(floats * FLOAT_BYTES);
  recorder.record(1, (pass, slot, encoder) => {
    recorder.writeSlot(slot, k, BATCH_POINTS, 0, 0, 0);
    recorder.dispatchParticles(pass, 'moments', resources.train, slot);
    return () => {
      encoder.copyBufferToBuffer(resources.partials, 0, staging, 0, groupFloats * FLOAT_BYTES);
      shards.forEach((shard, s) =>
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
  const values = await buffers.mapFloats(staging, floats);
  return combineShardMoments(values, shards, d, engine.n);
}

export async function readParticles(engine: EngineState): Promise<Float32Array> {
  const { device, buffers, d } = engine;
  const x = new Float32Array(engine.n * d);
  // Shard by shard: the whole set may be larger than one staging buffer may be.
  for (const shard of engine.shards) {
    const floats = shard.count * d;
    const staging = buffers.staging(floats * FLOAT_BYTES);
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(shard.buffer, 0, staging, 0, floats * FLOAT_BYTES);
    device.queue.submit([encoder.finish()]);
    x.set(await buffers.mapFloats(staging, floats), shard.first * d);
  }
  return x;
}

/** Queues the writes of x (n·d floats, checked by the caller) into the particle buffers. */
export function writeParticles(engine: EngineState, x: Float32Array): void {
  const rows = unshared(x);
  for (const shard of engine.shards) {
    engine.device.queue.writeBuffer(
      shard.buffer,
      0,
      rows,
      shard.first * engine.d,
      shard.count * engine.d,
    );
  }
}
