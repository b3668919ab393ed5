// How the WebGPU engine lays a run out on a device: workgroup sizes, the chunks each
// workgroup walks, the particle buffers ("shards") and the checks that every size fits the
// adapter's limits. Pure arithmetic on the limits and sizes, so it is tested without a device.
import { DeviceLimitError, batchSize, type Dynamics, type Problem } from '../contract/simulation';
import { isSoftwareAdapter, subgroupMinSize, type EngineGpu } from './device';
import { isLaneParticles, type LaneParticles } from './particle-rows';

/** Invocations per workgroup of every kernel. */
export const WG = 64;
/** Batch slots whose partial outputs a workgroup sums at once without subgroups. */
export const SUM_ROWS = 16;
/** Particle coordinates d beyond which the per-invocation arrays get too large for the GPU kernels. */
export const MAX_GPU_COORDINATES = 256;
/** Floats the partial-output buffer may hold: workgroups walk more particles past this. */
const PARTIAL_BUDGET_FLOATS = 1 << 22;
/**
 * On a software adapter, the most chunks a workgroup walks by default, and the fewest
 * workgroups a dispatch keeps (SwiftShader runs a dispatch as 16 tasks): see groupChunksFor.
 */
const SOFTWARE_GROUP_CHUNKS = 16;
const SOFTWARE_MIN_GROUPS = 16;
/** Most chunks a workgroup may be asked to walk. */
export const MAX_GROUP_CHUNKS = 1 << 16;
export const FLOAT_BYTES = 4;

/** A run of consecutive particles in a buffer of its own, within one binding's limit. */
export interface ShardLayout {
  /** Global index of the shard's first particle. */
  readonly first: number;
  readonly count: number;
  readonly numGroups: number;
  /** The shard's first workgroup row in `partials`. */
  readonly firstGroup: number;
  readonly gridX: number;
  readonly gridY: number;
}

export interface Layout {
  readonly shards: readonly ShardLayout[];
  /** Workgroups of a particle pass over all shards: the rows of `partials`. */
  readonly totalGroups: number;
  /** Chunks of WG · laneParticles particles each workgroup walks in turn. */
  readonly subChunks: number;
  /** Floats per workgroup in `partials`: the most batch slots one call uses. */
  readonly partialStride: number;
  readonly zTileRows: number;
  readonly maxPerDimension: number;
  /** The smallest subgroup the step's reduction adds over, or null for workgroup memory alone. */
  readonly subgroupMin: number | null;
  /** Particles each invocation holds: a workgroup's chunk is WG · laneParticles particles. */
  readonly laneParticles: LaneParticles;
  /** Whether the step keeps φ(α·z) for the next step's drift (EngineLayout.phiCache). */
  readonly phiCache: boolean;
  /** EngineLayout.quadLanes. */
  readonly quadLanes: number | null;
}

/** The adapter limits a layout is planned against. */
export type LayoutLimits = Pick<
  GPUSupportedLimits,
  'maxComputeWorkgroupStorageSize' | 'maxComputeWorkgroupsPerDimension'
>;

export interface GpuSimulationOptions {
  /** destroy() also destroys the device: for a device opened for this simulation alone. */
  readonly ownsDevice?: boolean;
  /**
   * The most bytes one particle buffer may hold, below the device's own binding and buffer
   * limits: the particles are split over as many buffers as needed. WebGPU never gives a
   * device limits below its defaults (128 MiB bindings), so tests split small runs with this.
   */
  readonly maxBufferBytes?: number;
  /**
   * How the step sums the particles' outputs within a workgroup: with subgroup operations
   * where the adapter has them (the default), or through workgroup memory alone.
   */
  readonly reduction?: 'subgroup' | 'workgroup';
  /**
   * Whether the lanes of a subgroup share a data row's quads by broadcasts (default: on a
   * software adapter whose subgroups have one size): EngineLayout.quadLanes. Same bits.
   */
  readonly shareQuads?: boolean;
  /**
   * Whether the step keeps φ(α·z) for the next step's drift, where it fits (default: on a
   * software adapter): EngineLayout.phiCache. The same bits either way.
   */
  readonly phiCache?: boolean;
  /** Particles each invocation holds (default: defaultLaneParticles(d)); results agree to rounding. */
  readonly laneParticles?: LaneParticles;
  /**
   * Chunks of particles each workgroup walks in turn (default: groupChunksFor, up to 16 on a
   * software adapter, else 1); results agree to rounding, the partial sums being grouped by
   * workgroup.
   */
  readonly groupChunks?: number;
}

/**
 * Particles an invocation holds by default: as many as keep lanes · d ≤ 64, so that the
 * coordinates and drifts of them all (2 · lanes · d ≤ 128 floats) can stay in registers.
 * Each data row read from workgroup memory then serves `lanes` particles, which on
 * SwiftShader made the step at d = 16 much faster with 4 than with 1 (bench/RESULTS.md).
 */
export function defaultLaneParticles(d: number): LaneParticles {
  return d <= 16 ? 4 : d <= 32 ? 2 : 1;
}

/** vec4s a data point's z takes in workgroup memory. */
export function zQuads(p: number): number {
  return Math.ceil(p / 4);
}

/**
 * Chunks each workgroup walks in turn where the caller does not say: up to `most`
 * (EngineLayout.groupChunks) while at least 16 workgroups remain for n particles in chunks of
 * `chunk`. On a GPU `most` is one: its workgroups start cheaply, and the more there are the
 * better it is filled. SwiftShader starts each workgroup as one coroutine per 4-invocation
 * subgroup (so that barriers can switch between them), each on a fresh stack, which took
 * a large part of the step (bench/RESULTS.md); there `most` is 16, and the 16
 * workgroups are one for each task SwiftShader splits a dispatch into.
 */
export function groupChunksFor(n: number, chunk: number, most: number): number {
  const chunks = Math.ceil(n / chunk);
  return Math.max(1, Math.min(most, Math.floor(chunks / SOFTWARE_MIN_GROUPS)));
}

/** How the step is laid out on a device: what `mfld bench` reports next to its figures. */
export interface EngineLayout {
  /** Invocations per workgroup. */
  readonly workgroupSize: number;
  /** Particles each invocation holds. */
  readonly laneParticles: LaneParticles;
  /**
   * The most chunks (workgroupSize · laneParticles particles) a workgroup walks in turn; by
   * default fewer where n leaves fewer than 16 workgroups (groupChunksFor).
   */
  readonly groupChunks: number;
  /** How a workgroup sums its particles' outputs. */
  readonly reduction: 'subgroup' | 'workgroup';
  /**
   * Whether the step keeps each particle's φ(α·z_b) for the next step's batch, computed with
   * the network outputs, so that the next step's drift skips α·z and φ (where the cache of
   * n · B floats fits one buffer and, on a software adapter, the host-memory budget). Same
   * bits either way. On by default on a software adapter, where it made the step faster
   * beside shared quads (bench/RESULTS.md); off on a GPU, which has not been measured with it
   * and would rather recompute than read B floats per particle.
   */
  readonly phiCache: boolean;
  /**
   * Lanes of a subgroup that read a data row's quads one each and share them by subgroup
   * broadcasts (src/gpu/particle-rows.ts), or null where every lane reads them all. The
   * subgroup size on a software adapter whose subgroups have one size: SwiftShader reads
   * workgroup memory lane by lane. A GPU reads one address for a whole subgroup at once.
   */
  readonly quadLanes: number | null;
}

/** The layout createGpuSimulation uses for particles of d coordinates, given `options`. */
export function engineLayout(
  gpu: EngineGpu,
  d: number,
  options: Pick<
    GpuSimulationOptions,
    'laneParticles' | 'reduction' | 'groupChunks' | 'phiCache' | 'shareQuads'
  > = {},
): EngineLayout {
  const subgroups = options.reduction !== 'workgroup' && subgroupMinSize(gpu) !== null;
  if (options.reduction === 'subgroup' && !subgroups) {
    throw new DeviceLimitError(
      'this adapter has no subgroup operations (WebGPU feature "subgroups")',
    );
  }
  const laneParticles = options.laneParticles ?? defaultLaneParticles(d);
  if (!isLaneParticles(laneParticles)) {
    throw new RangeError(`laneParticles must be 1, 2 or 4, got ${String(laneParticles)}`);
  }
  const { groupChunks } = options;
  if (
    groupChunks !== undefined &&
    !(Number.isInteger(groupChunks) && groupChunks >= 1 && groupChunks <= MAX_GROUP_CHUNKS)
  ) {
    throw new RangeError(
      `groupChunks must be an integer in [1, ${MAX_GROUP_CHUNKS}], got ${groupChunks}`,
    );
  }
  const software = isSoftwareAdapter(gpu.adapter);
  const { subgroupMinSize: least, subgroupMaxSize: most } = gpu.adapter.info;
  const fixedSubgroup = subgroups && least !== undefined && least === most ? least : null;
  if (options.shareQuads && fixedSubgroup === null) {
    throw new DeviceLimitError(
      'sharing data rows by subgroup broadcasts needs subgroups of one size, which this adapter does not promise',
    );
  }
  return {
    workgroupSize: WG,
    laneParticles,
    groupChunks: groupChunks ?? (software ? SOFTWARE_GROUP_CHUNKS : 1),
    reduction: subgroups ? 'subgroup' : 'workgroup',
    phiCache: options.phiCache ?? software,
    quadLanes: (options.shareQuads ?? software) ? fixedSubgroup : null,
  };
}

/**
 * Particles one buffer may hold: a whole number of `span`s (the particles of one workgroup)
 * where that fits, so that the workgroups, and so the partial sums, are those of one buffer.
 */
export function shardCapacity(d: number, bufferBytes: number, span: number): number {
  const particles = Math.floor(bufferBytes / (d * FLOAT_BYTES));
  if (particles < 1) {
    throw new DeviceLimitError(
      `one particle of d = ${d} needs ${d * FLOAT_BYTES} bytes, more than a buffer may hold here (${bufferBytes} bytes)`,
    );
  }
  return particles >= span ? particles - (particles % span) : particles;
}

/** Particles a workgroup walks: its chunks of WG · laneParticles. */
export function workgroupSpan(layout: Pick<Layout, 'laneParticles' | 'subChunks'>): number {
  return WG * layout.laneParticles * layout.subChunks;
}

/** Data points a workgroup's tile holds in workgroup memory. */
export function zTileRowsFor(
  p: number,
  limits: Pick<LayoutLimits, 'maxComputeWorkgroupStorageSize'>,
  subgroupMin: number | null,
): number {
  // Workgroup memory: a row of a data tile holds z, its data index and its weight, and with
  // subgroups the totals of each subgroup; without, a table of WG × SUM_ROWS comes first.
  const workgroupFloats = limits.maxComputeWorkgroupStorageSize / FLOAT_BYTES;
  const rowFloats = 4 * zQuads(p) + 2 + (subgroupMin === null ? 0 : WG / subgroupMin);
  const tileFloats = workgroupFloats - (subgroupMin === null ? WG * (SUM_ROWS + 1) : 0) - 2 * WG;
  if (tileFloats < rowFloats) {
    throw new DeviceLimitError(
      `input dimension p = ${p} does not fit this adapter's workgroup memory`,
    );
  }
  return Math.max(1, Math.min(WG, Math.floor(tileFloats / rowFloats)));
}

export function planLayout(
  n: number,
  p: number,
  batch: number,
  limits: LayoutLimits,
  bufferBytes: number,
  subgroupMin: number | null,
  laneParticles: LaneParticles,
  groupChunks: number,
  phiCache = false,
  quadLanes: number | null = null,
): Layout {
  const chunk = WG * laneParticles;
  const partialStride = Math.max(batch, WG);
  // More chunks than asked where the partial outputs would not fit their budget; never more
  // than n needs.
  const forBudget = Math.ceil((n * partialStride) / (chunk * PARTIAL_BUDGET_FLOATS));
  const subChunks = Math.max(1, forBudget, Math.min(groupChunks, Math.ceil(n / chunk)));
  const zTileRows = zTileRowsFor(p, limits, subgroupMin);
  const sizes = {
    subChunks,
    partialStride,
    zTileRows,
    maxPerDimension: limits.maxComputeWorkgroupsPerDimension,
    subgroupMin,
    laneParticles,
    phiCache: phiCache && batch > 0,
    quadLanes,
  };
  const capacity = shardCapacity(p + 1, bufferBytes, workgroupSpan(sizes));
  return withShards(sizes, planShards(n, sizes, capacity));
}

/** `sizes` with its particles split as `shards`. */
export function withShards(
  sizes: Omit<Layout, 'shards' | 'totalGroups'>,
  shards: readonly ShardLayout[],
): Layout {
  const last = shards[shards.length - 1]!;
  return { ...sizes, shards, totalGroups: last.firstGroup + last.numGroups };
}

/** Particles [0, n) in runs of `capacity`, each run's workgroups after the previous run's. */
export function planShards(
  n: number,
  sizes: Pick<Layout, 'subChunks' | 'maxPerDimension' | 'laneParticles'>,
  capacity: number,
): ShardLayout[] {
  const shards: ShardLayout[] = [];
  let firstGroup = 0;
  for (let first = 0; first < n; first += capacity) {
    const count = Math.min(capacity, n - first);
    const numGroups = Math.ceil(count / workgroupSpan(sizes));
    const gridX = Math.min(numGroups, sizes.maxPerDimension);
    const gridY = Math.ceil(numGroups / gridX);
    if (gridY > sizes.maxPerDimension) {
      throw new DeviceLimitError(
        `${count} particles in one buffer need more workgroups than this adapter can dispatch`,
      );
    }
    shards.push({ first, count, numGroups, firstGroup, gridX, gridY });
    firstGroup += numGroups;
  }
  return shards;
}

/** Floats of a shard's φ cache: B per particle of its whole chunks (shaders/particles.wgsl cache_slot). */
export function phiCacheFloats(layout: Layout, shard: ShardLayout, batch: number): number {
  return shard.numGroups * workgroupSpan(layout) * batch;
}

/** Rows of `partials`: per workgroup, a batch's outputs or the 2·d sums of the moments. */
export function partialFloats(layout: Layout, d: number): number {
  return layout.totalGroups * Math.max(layout.partialStride, 2 * d);
}

/**
 * Mean and variance of each coordinate from what the moments kernel leaves: per workgroup
 * row g of all shards, the sums Σ(x − x₀ₛ) at [g·2d, g·2d + d) and Σ(x − x₀ₛ)² after them,
 * with x₀ₛ the first particle of the shard; then, from row totalGroups on, each shard's x₀ₛ.
 * Sums are taken about x₀ₛ so that float32 keeps their digits.
 */
export function combineShardMoments(
  values: Float32Array,
  shards: readonly ShardLayout[],
  d: number,
  n: number,
): { mean: Float64Array; var: Float64Array } {
  const last = shards[shards.length - 1]!;
  const groupFloats = (last.firstGroup + last.numGroups) * 2 * d;
  const mean = new Float64Array(d);
  const variance = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    // Sums of x − x₀ with x₀ the first particle of all: a shard's sums of x − x₀ₛ move
    // by e = x₀ₛ − x₀ (Σ(y + e) = Σy + m·e, Σ(y + e)² = Σy² + 2e·Σy + m·e²).
    const origin = values[groupFloats + j]!;
    let sum = 0;
    let sumSq = 0;
    shards.forEach((shard, s) => {
      let shardSum = 0;
      let shardSumSq = 0;
      for (let g = shard.firstGroup; g < shard.firstGroup + shard.numGroups; g++) {
        shardSum += values[g * 2 * d + j]!;
        shardSumSq += values[g * 2 * d + d + j]!;
      }
      const e = values[groupFloats + s * d + j]! - origin;
      sum += shardSum + shard.count * e;
      sumSq += shardSumSq + 2 * e * shardSum + shard.count * e * e;
    });
    const centredMean = sum / n;
    mean[j] = origin + centredMean;
    variance[j] = Math.max(0, sumSq / n - centredMean * centredMean);
  }
  return { mean, var: variance };
}

/** Sizes of everything the engine makes, checked against the device before anything is made. */
export interface EnginePlan {
  readonly p: number;
  readonly d: number;
  /** B of a step (0 without data). */
  readonly batch: number;
  readonly layout: Layout;
}

export function planEngine(
  gpu: EngineGpu,
  problem: Problem,
  dynamics: Dynamics,
  options: GpuSimulationOptions,
): EnginePlan {
  const limits = gpu.device.limits;
  const p = problem.p;
  const d = p + 1;
  const particleBytes = dynamics.n * d * FLOAT_BYTES;
  if (gpu.hostMemoryBudget !== null && particleBytes > gpu.hostMemoryBudget) {
    throw new DeviceLimitError(
      `n = ${dynamics.n} particles of d = ${d} need ${particleBytes} bytes; this software adapter keeps them in host memory, of which the engine takes at most half (${gpu.hostMemoryBudget} bytes): the largest n that fits is ${Math.floor(gpu.hostMemoryBudget / (d * FLOAT_BYTES))}`,
    );
  }
  if (d > MAX_GPU_COORDINATES) {
    throw new DeviceLimitError(
      `the WebGPU engine handles particles of at most ${MAX_GPU_COORDINATES} coordinates, got d = ${d}; use the CPU backend`,
    );
  }
  const batch = batchSize(dynamics, problem);
  const bufferBytes = Math.min(
    limits.maxStorageBufferBindingSize,
    limits.maxBufferSize,
    options.maxBufferBytes ?? Infinity,
  );
  if (!(bufferBytes >= 4 && Number.isFinite(bufferBytes))) {
    throw new RangeError(`maxBufferBytes must be at least 4, got ${options.maxBufferBytes}`);
  }
  const engine = engineLayout(gpu, d, options);
  const { laneParticles, reduction } = engine;
  const subgroupMin = reduction === 'subgroup' ? subgroupMinSize(gpu) : null;
  const groupChunks =
    options.groupChunks ?? groupChunksFor(dynamics.n, WG * laneParticles, engine.groupChunks);
  const plan = (phiCache: boolean): Layout =>
    planLayout(
      dynamics.n,
      p,
      batch,
      limits,
      bufferBytes,
      subgroupMin,
      laneParticles,
      groupChunks,
      phiCache,
      engine.quadLanes,
    );
  let layout = plan(engine.phiCache);
  if (layout.phiCache) {
    // The cache only where it fits one buffer per shard and the host-memory budget.
    const floats = layout.shards.map((shard) => phiCacheFloats(layout, shard, batch));
    const budget = gpu.hostMemoryBudget ?? Infinity;
    const total = floats.reduce((sum, count) => sum + count, 0) * FLOAT_BYTES;
    if (Math.max(...floats) * FLOAT_BYTES > bufferBytes || particleBytes + total > budget) {
      layout = plan(false);
    }
  }
  const partialBytes = partialFloats(layout, d) * FLOAT_BYTES;
  if (partialBytes > bufferBytes) {
    const largestBatch = Math.floor(bufferBytes / FLOAT_BYTES / layout.totalGroups);
    throw new DeviceLimitError(
      `the partial network outputs of a batch of B = ${batch} need ${partialBytes} bytes, more than this adapter allows in one buffer (${bufferBytes} bytes); the largest B that fits with n = ${dynamics.n} is ${largestBatch}`,
    );
  }
  for (const [name, split] of [
    ['training', problem.train],
    ['test', problem.test],
  ] as const) {
    if (split && split.z.byteLength > bufferBytes) {
      throw new DeviceLimitError(
        `the ${name} inputs need ${split.z.byteLength} bytes, more than this adapter allows in one buffer (${bufferBytes} bytes); use fewer data points`,
      );
    }
  }
  return { p, d, batch, layout };
}
