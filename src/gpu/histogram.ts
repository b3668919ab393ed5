// A 2-D histogram of the particle density computed on the GPU over all n particles, for a
// pair of projections (a coordinate, or α·e for a direction e), with its marginals. The
// pipeline and buffers are made once; each `compute` clears the counters, dispatches one
// invocation per particle and reads back only the bins² counts and the outside count.
import type { Moments, Simulation } from '../contract/simulation';
import type { EngineGpu } from './device';
import { composeShader, type ShaderSources } from './shaders';
import { particleShards } from './simulation';
import { structView } from './uniforms';

/** Invocations per workgroup of the histogram kernel. */
const WG = 64;
const WORD_BYTES = 4;

/** A coordinate index j < d (c is j = d − 1), or a direction e of length p for α·e. */
export type Projection = number | ArrayLike<number>;

export interface HistogramRange {
  readonly x: readonly [number, number];
  readonly y: readonly [number, number];
}

export interface Histogram2d {
  /** bins × bins counts, row-major: counts[yBin · bins + xBin]. */
  readonly counts: Uint32Array;
  /** Column sums of `counts` (particles inside both ranges, by x bin). */
  readonly marginalX: Uint32Array;
  /** Row sums of `counts` (particles inside both ranges, by y bin). */
  readonly marginalY: Uint32Array;
  /** Particles outside the range on either axis (or with a NaN projection). */
  readonly outside: number;
}

export interface ParticleHistogram {
  readonly bins: number;
  compute(xAxis: Projection, yAxis: Projection, range: HistogramRange): Promise<Histogram2d>;
  destroy(): void;
}

/** The weights over the d coordinates that give a projection: a unit vector, or (e, 0). */
export function projectionWeights(axis: Projection, d: number): Float32Array {
  const weights = new Float32Array(d);
  if (typeof axis === 'number') {
    if (!Number.isInteger(axis) || axis < 0 || axis >= d) {
      throw new RangeError(`a coordinate index must be an integer in [0, ${d}), got ${axis}`);
    }
    weights[axis] = 1;
    return weights;
  }
  if (axis.length !== d - 1) {
    throw new RangeError(`a direction must have p = ${d - 1} components, got ${axis.length}`);
  }
  for (let j = 0; j < d - 1; j++) {
    const value = axis[j]!;
    if (!Number.isFinite(value)) throw new RangeError(`direction component ${j} is ${value}`);
    weights[j] = value;
  }
  return weights;
}

/** The float32 `(min, bins / (max − min))` the kernel bins by; the CPU twin uses the same. */
export function binScale(range: readonly [number, number], bins: number): [number, number] {
  const [lo, hi] = range;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
    throw new RangeError(`a histogram range must be finite with min < max, got [${lo}, ${hi}]`);
  }
  const scale = Math.fround(bins / (hi - lo));
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new RangeError(`the range [${lo}, ${hi}] is too narrow or too wide for float32 bins`);
  }
  return [Math.fround(lo), scale];
}

/**
 * A range of mean ± spread·std on each axis, from the particles' moments. For a direction e
 * the standard deviation of α·e is bounded by Σ|e_k|·std_k (Cauchy–Schwarz), since the
 * moments hold no covariances; the range is then wider than ± spread·std, never narrower.
 */
export function rangeFromMoments(
  moments: Moments,
  xAxis: Projection,
  yAxis: Projection,
  spread = 4,
): HistogramRange {
  const d = moments.mean.length;
  const axisRange = (axis: Projection): [number, number] => {
    const weights = projectionWeights(axis, d);
    let mean = 0;
    let std = 0;
    for (let j = 0; j < d; j++) {
      mean += weights[j]! * moments.mean[j]!;
      std += Math.abs(weights[j]!) * Math.sqrt(moments.var[j]!);
    }
    // A collapsed axis (all particles equal) still needs a range of positive width.
    const half = Math.max(spread * std, 1e-6 * (1 + Math.abs(mean)));
    return [mean - half, mean + half];
  };
  return { x: axisRange(xAxis), y: axisRange(yAxis) };
}

/** Row and column sums of bins × bins row-major counts. */
export function marginals(counts: Uint32Array, bins: number): [Uint32Array, Uint32Array] {
  const marginalX = new Uint32Array(bins);
  const marginalY = new Uint32Array(bins);
  for (let by = 0; by < bins; by++) {
    for (let bx = 0; bx < bins; bx++) {
      const count = counts[by * bins + bx]!;
      marginalX[bx]! += count;
      marginalY[by]! += count;
    }
  }
  return [marginalX, marginalY];
}

/** `sim` must be the WebGPU simulation made on `gpu`'s device. */
export function createHistogram(
  gpu: EngineGpu,
  sim: Simulation,
  options: { bins: number; shaders: ShaderSources },
): ParticleHistogram {
  const { bins, shaders } = options;
  if (!Number.isInteger(bins) || bins < 1 || bins > 4096) {
    throw new RangeError(`bins must be an integer in [1, 4096], got ${bins}`);
  }
  const device = gpu.device;
  const { d } = sim;
  const counterWords = bins * bins + 1;
  const maxPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
  // One dispatch per particle buffer of the simulation, with its own parameters.
  const shards = particleShards(sim).map((shard) => {
    const groups = Math.ceil(shard.count / WG);
    const gridX = Math.min(groups, maxPerDimension);
    const gridY = Math.ceil(groups / gridX);
    if (gridY > maxPerDimension) {
      throw new RangeError(
        `${shard.count} particles in one buffer need more workgroups than this adapter dispatches`,
      );
    }
    return { ...shard, gridX, gridY };
  });

  const buffer = (label: string, words: number, usage: GPUBufferUsageFlags): GPUBuffer =>
    device.createBuffer({ label: `histogram ${label}`, size: words * WORD_BYTES, usage });
  const copyDst = GPUBufferUsage.COPY_DST;
  const params = structView(shaders, 'histogram', 'HistogramParams');
  const paramsBuffers = shards.map((_, index) =>
    buffer(
      `params ${index}`,
      params.arrayBuffer.byteLength / WORD_BYTES,
      GPUBufferUsage.UNIFORM | copyDst,
    ),
  );
  const weightBuffer = buffer('weights', 2 * d, GPUBufferUsage.STORAGE | copyDst);
  const countBuffer = buffer(
    'counts',
    counterWords,
    GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | copyDst,
  );
  const readback = buffer('readback', counterWords, GPUBufferUsage.MAP_READ | copyDst);
  const module = device.createShaderModule({
    label: 'histogram',
    code: composeShader(shaders, ['histogram'], { D: d, WG }),
  });
  const pipeline = device.createComputePipeline({
    label: 'histogram',
    layout: 'auto',
    compute: { module, entryPoint: 'histogram' },
  });
  const bindGroups = shards.map((shard, index) =>
    device.createBindGroup({
      label: `histogram ${index}`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: paramsBuffers[index]! } },
        { binding: 1, resource: { buffer: shard.buffer } },
        { binding: 2, resource: { buffer: weightBuffer } },
        { binding: 3, resource: { buffer: countBuffer } },
      ],
    }),
  );
  const weights = new Float32Array(2 * d);
  let destroyed = false;
  // One compute at a time: they share the counters and the readback buffer.
  let queue: Promise<unknown> = Promise.resolve();

  const run = async (
    xAxis: Projection,
    yAxis: Projection,
    range: HistogramRange,
  ): Promise<Histogram2d> => {
    if (destroyed) throw new Error('this histogram was destroyed');
    weights.set(projectionWeights(xAxis, d), 0);
    weights.set(projectionWeights(yAxis, d), d);
    const [xMin, xScale] = binScale(range.x, bins);
    const [yMin, yScale] = binScale(range.y, bins);
    params.set({ x_min: xMin, x_scale: xScale, y_min: yMin, y_scale: yScale });
    shards.forEach((shard, index) => {
      params.set({ n: shard.count, bins });
      device.queue.writeBuffer(paramsBuffers[index]!, 0, params.arrayBuffer);
    });
    device.queue.writeBuffer(weightBuffer, 0, weights);
    const encoder = device.createCommandEncoder({ label: 'histogram' });
    encoder.clearBuffer(countBuffer);
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    shards.forEach((shard, index) => {
      pass.setBindGroup(0, bindGroups[index]);
      pass.dispatchWorkgroups(shard.gridX, shard.gridY);
    });
    pass.end();
    encoder.copyBufferToBuffer(countBuffer, 0, readback, 0, counterWords * WORD_BYTES);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    let all: Uint32Array;
    try {
      all = new Uint32Array(readback.getMappedRange().slice(0));
    } finally {
      readback.unmap();
    }
    const counts = all.slice(0, bins * bins);
    const [marginalX, marginalY] = marginals(counts, bins);
    return { counts, marginalX, marginalY, outside: all[bins * bins]! };
  };

  return {
    bins,
    compute(xAxis, yAxis, range) {
      const result = queue.then(() => run(xAxis, yAxis, range));
      queue = result.catch(() => undefined);
      return result;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const buffer of [...paramsBuffers, weightBuffer, countBuffer, readback])
        buffer.destroy();
    },
  };
}
