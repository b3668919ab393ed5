// The WebGPU engine: SPEC §2–3 in the kernels of shaders/, driven from here. Pipelines and
// buffers are made once; `run` records many steps per command buffer and reads nothing
// back; observables are read back only when asked for.
import { activationCode, lossCode } from '../contract/model';
import { keyFromSeed } from '../contract/philox';
import {
  DeviceLimitError,
  batchSize,
  noiseLevel,
  type Dynamics,
  type Moments,
  type Problem,
  type Simulation,
} from '../contract/simulation';
import { isSoftwareAdapter, subgroupMinSize, type EngineGpu } from './device';
import { isLaneParticles, particleRowCode, type LaneParticles } from './particle-rows';
import { composeShader, type ShaderSources } from './shaders';

/** Invocations per workgroup of every kernel. */
const WG = 64;
/** Batch slots whose partial outputs a workgroup sums at once without subgroups. */
const SUM_ROWS = 16;
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

/**
 * The device stopped working (driver reset, GPU removed), or reported an error the engine did
 * not expect (an uncaptured WebGPU error), after which its results cannot be trusted.
 */
export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
}

/** A run of consecutive particles in a buffer of its own, within one binding's limit. */
interface ShardLayout {
  /** Global index of the shard's first particle. */
  readonly first: number;
  readonly count: number;
  readonly numGroups: number;
  /** The shard's first workgroup row in `partials`. */
  readonly firstGroup: number;
  readonly gridX: number;
  readonly gridY: number;
}

interface Layout {
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

/**
 * Particles an invocation holds by default: as many as keep lanes · d ≤ 64, so that the
 * coordinates and drifts of them all (2 · lanes · d ≤ 128 floats) can stay in registers.
 * Each data row read from workgroup memory then serves `lanes` particles: on SwiftShader
 * the step at d = 16 ran 2.6× faster with 4 than with 1.
 */
export function defaultLaneParticles(d: number): LaneParticles {
  return d <= 16 ? 4 : d <= 32 ? 2 : 1;
}

/** vec4s a data point's z takes in workgroup memory. */
function zQuads(p: number): number {
  return Math.ceil(p / 4);
}

/**
 * Chunks each workgroup walks in turn where the caller does not say: up to `most`
 * (EngineLayout.groupChunks) while at least 16 workgroups remain for n particles in chunks of
 * `chunk`. On a GPU `most` is one: its workgroups start cheaply, and the more there are the
 * better it is filled. SwiftShader starts each workgroup as one coroutine per 4-invocation
 * subgroup (so that barriers can switch between them), each on a fresh stack, which took
 * about a third of the step at n = 2^18, d = 16, B = 64; there `most` is 16, and the 16
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
   * bits either way. Chosen on a software adapter, where arithmetic is dear and memory is
   * the host's; a GPU would rather recompute than read B floats per particle.
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
    throw new RangeError(`laneParticles must be 1, 2 or 4, got ${laneParticles}`);
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
  const shareQuads = options.shareQuads ?? software;
  return {
    workgroupSize: WG,
    laneParticles,
    groupChunks: groupChunks ?? (software ? SOFTWARE_GROUP_CHUNKS : 1),
    reduction: subgroups ? 'subgroup' : 'workgroup',
    phiCache: options.phiCache ?? software,
    quadLanes: shareQuads ? fixedSubgroup : null,
  };
}

/**
 * Particles one buffer may hold: a whole number of `span`s (the particles of one workgroup)
 * where that fits, so that the workgroups, and so the partial sums, are those of one buffer.
 */
function shardCapacity(d: number, bufferBytes: number, span: number): number {
  const particles = Math.floor(bufferBytes / (d * FLOAT_BYTES));
  if (particles < 1) {
    throw new DeviceLimitError(
      `one particle of d = ${d} needs ${d * FLOAT_BYTES} bytes, more than a buffer may hold here (${bufferBytes} bytes)`,
    );
  }
  return particles >= span ? particles - (particles % span) : particles;
}

function planLayout(
  n: number,
  p: number,
  batch: number,
  limits: GPUSupportedLimits,
  bufferBytes: number,
  subgroupMin: number | null,
  laneParticles: LaneParticles,
  groupChunks: number,
  phiCache: boolean,
  quadLanes: number | null,
): Layout {
  const chunk = WG * laneParticles;
  const partialStride = Math.max(batch, WG);
  // More chunks than asked where the partial outputs would not fit their budget; never more
  // than n needs.
  const forBudget = Math.ceil((n * partialStride) / (chunk * PARTIAL_BUDGET_FLOATS));
  const subChunks = Math.max(1, forBudget, Math.min(groupChunks, Math.ceil(n / chunk)));
  // Workgroup memory: a row of a data tile holds z, its data index and its weight, and with
  // subgroups the totals of each subgroup; without, a table of WG × SUM_ROWS comes first.
  const workgroupFloats = limits.maxComputeWorkgroupStorageSize / FLOAT_BYTES;
  const rowFloats = 4 * zQuads(p) + 2 + (subgroupMin === null ? 0 : WG / subgroupMin);
  const tileFloats = workgroupFloats - (subgroupMin === null ? WG * (SUM_ROWS + 1) : 0) - 2 * WG;
  const zTileRows = Math.max(1, Math.min(WG, Math.floor(tileFloats / rowFloats)));
  if (tileFloats < rowFloats) {
    throw new DeviceLimitError(
      `input dimension p = ${p} does not fit this adapter's workgroup memory`,
    );
  }
  const sizes = {
    subChunks,
    partialStride,
    zTileRows,
    maxPerDimension: limits.maxComputeWorkgroupsPerDimension,
    subgroupMin,
    laneParticles,
    phiCache,
    quadLanes,
  };
  const capacity = shardCapacity(p + 1, bufferBytes, chunk * subChunks);
  const shards = planShards(n, sizes, capacity);
  return { ...sizes, shards, totalGroups: groupsOf(shards) };
}

/** Particles [0, n) in runs of `capacity`, each run's workgroups after the previous run's. */
function planShards(
  n: number,
  sizes: Pick<Layout, 'subChunks' | 'maxPerDimension' | 'laneParticles'>,
  capacity: number,
): ShardLayout[] {
  const shards: ShardLayout[] = [];
  let firstGroup = 0;
  for (let first = 0; first < n; first += capacity) {
    const count = Math.min(capacity, n - first);
    const numGroups = Math.ceil(count / (WG * sizes.laneParticles * sizes.subChunks));
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

function groupsOf(shards: readonly ShardLayout[]): number {
  const last = shards[shards.length - 1]!;
  return last.firstGroup + last.numGroups;
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
  /** One per particle shard. */
  readonly bindGroups: readonly GPUBindGroup[];
}

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
   * Whether the step keeps φ(α·z) for the next step's drift (default: on a software adapter,
   * where it fits): EngineLayout.phiCache. The same bits either way.
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

interface TimestampQueries {
  readonly querySet: GPUQuerySet;
  /** QUERY_RESOLVE buffer of the two 64-bit timestamps, in nanoseconds. */
  readonly resolved: GPUBuffer;
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
  const particles = await allocateParticles(gpu.device, plan, dynamics.n);
  const simulation = new GpuSimulation(gpu, problem, dynamics, shaders, options, plan, particles);
  try {
    await simulation.ready();
  } catch (error) {
    simulation.destroy();
    throw error;
  }
  return simulation;
}

/** Sizes of everything the engine makes, checked against the device before anything is made. */
interface EnginePlan {
  readonly p: number;
  readonly d: number;
  /** B of a step (0 without data). */
  readonly batch: number;
  readonly layout: Layout;
}

function planEngine(
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
  let layout = plan(engine.phiCache && batch > 0);
  if (layout.phiCache) {
    const cacheBytes =
      Math.max(...layout.shards.map((shard) => phiCacheFloats(layout, shard, batch))) * FLOAT_BYTES;
    const budget = gpu.hostMemoryBudget ?? Infinity;
    const total =
      layout.shards.reduce((sum, shard) => sum + phiCacheFloats(layout, shard, batch), 0) *
      FLOAT_BYTES;
    if (cacheBytes > bufferBytes || particleBytes + total > budget) layout = plan(false);
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

/** Floats of a shard's φ cache: B per particle of its whole chunks (shaders/particles.wgsl cache_slot). */
function phiCacheFloats(layout: Layout, shard: ShardLayout, batch: number): number {
  return shard.numGroups * layout.subChunks * WG * layout.laneParticles * batch;
}

/** Rows of `partials`: per workgroup, a batch's outputs or the 2·d sums of the moments. */
function partialFloats(layout: Layout, d: number): number {
  return layout.totalGroups * Math.max(layout.partialStride, 2 * d);
}

interface ParticleBuffers {
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
async function allocateParticles(
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
      const half = shardCapacity(plan.d, bytes / 2, WG * layout.laneParticles * layout.subChunks);
      const shards = planShards(n, layout, half);
      layout = { ...layout, shards, totalGroups: groupsOf(shards) };
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

/**
 * The WebGPU simulation's particle buffers in particle order (float32 rows [α_1 … α_p, c]),
 * for kernels outside the engine that read them (src/gpu/histogram.ts). Throws for any other
 * simulation. Submit after awaiting the simulation's pending operations to see their result.
 */
export function particleShards(sim: Simulation): readonly ParticleShard[] {
  if (!(sim instanceof GpuSimulation)) {
    throw new TypeError(`this needs the WebGPU simulation, got the ${sim.backend} one`);
  }
  return sim['shards'];
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
  private readonly shards: readonly (ShardLayout & ParticleShard)[];
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
  private timestamps: TimestampQueries | null = null;
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
    particles: ParticleBuffers,
  ) {
    this.ownsDevice = options.ownsDevice ?? false;
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
    const { p, d } = plan;
    // The layout the particle buffers were made for (smaller buffers than planned, at times).
    const layout = particles.layout;
    this.n = dynamics.n;
    this.d = d;
    this.batch = plan.batch;
    this.batchMode =
      dynamics.batch === 'full' || problem.train.count === 0 ? BATCH_POINTS : BATCH_MINIBATCH;
    this.layout = layout;
    this.buffers.push(...particles.buffers);
    this.shards = layout.shards.map((shard, index) => ({
      ...shard,
      buffer: particles.buffers[index]!,
    }));

    // Every size was checked: from here on nothing throws until the error scopes are popped.
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const uniform = GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;
    this.gpu.pushErrorScope('out-of-memory');
    this.partialBuffer = this.createBuffer(
      'partials',
      partialFloats(layout, d) * FLOAT_BYTES,
      storage,
    );
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
    this.slotBuffer = this.createBuffer('call params', SLOTS * SLOT_BYTES, uniform);
    // The φ cache of each shard, or one placeholder for them all.
    const placeholder = layout.phiCache ? null : this.createBuffer('no φ cache', 16, storage);
    const cacheBuffers = this.shards.map(
      (shard, index) =>
        placeholder ??
        this.createBuffer(
          `φ cache ${index}`,
          phiCacheFloats(layout, shard, this.batch) * FLOAT_BYTES,
          GPUBufferUsage.STORAGE,
        ),
    );
    const simBuffers = this.shards.map((shard, index) => {
      const buffer = this.createBuffer(`sim params ${index}`, SIM_PARAMS_WORDS * 4, uniform);
      this.gpu.queue.writeBuffer(buffer, 0, this.simParams(shard));
      return buffer;
    });

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
        { binding: 8, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      ],
    });
    const makeSplit = (
      name: string,
      split: { z: Float32Array; y: Float32Array; count: number },
    ): SplitBuffers => {
      const z = this.createData(`${name} z`, split.z);
      const y = this.createData(`${name} y`, split.y);
      const bindGroups = this.shards.map((shard, index) =>
        this.gpu.createBindGroup({
          label: `${name} ${index}`,
          layout: bindGroupLayout,
          entries: [
            { binding: 0, resource: { buffer: simBuffers[index]! } },
            { binding: 1, resource: { buffer: this.slotBuffer, size: CALL_PARAMS_WORDS * 4 } },
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

    const constants = {
      D: d,
      P: p,
      WG,
      SUM_ROWS,
      SUBGROUP_MIN: this.layout.subgroupMin ?? 1,
      Z_TILE_ROWS: this.layout.zTileRows,
      Z_QUADS: zQuads(p),
      LANE_PARTICLES: this.layout.laneParticles,
      PHI_CACHE: this.layout.phiCache ? 1 : 0,
      CACHE_ROWS: Math.max(1, this.batch),
      ACTIVATION: activationCode(dynamics.activation),
      LOSS: lossCode(dynamics.loss),
    };
    const pipelineLayout = this.gpu.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
    this.gpu.pushErrorScope('validation');
    const rowShaders = {
      ...shaders,
      'particle-rows': particleRowCode(d, this.layout.laneParticles, this.layout.quadLanes),
    };
    const module = (pieces: string[], label: string, enables: string[] = []): GPUShaderModule =>
      this.gpu.createShaderModule({
        label,
        code: composeShader(rowShaders, pieces, constants, enables),
      });
    const subgroups = layout.subgroupMin !== null;
    const particleModule = module(
      [
        'philox',
        'activation',
        'bindings',
        subgroups ? 'accumulate-subgroup' : 'accumulate-workgroup',
        'particle-rows',
        'particles',
      ],
      'particles',
      subgroups ? ['subgroups'] : [],
    );
    const reduceModule = module(
      ['philox', 'loss', 'bindings', 'workgroup-sum', 'reduce'],
      'reduce',
    );
    const momentModule = module(['philox', 'bindings', 'workgroup-sum', 'moments'], 'moments');
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
      const timestamps = timed ? this.timestampQueries() : null;
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
        const [begin, end] = await this.mapTimestamps(timestamps);
        nanoseconds = nanoseconds !== null && end >= begin ? nanoseconds + (end - begin) : null;
      }
    }
    return nanoseconds === null ? null : Number(nanoseconds) / 1e9;
  }

  /** The query set of a timed command buffer (two timestamps) and where it is resolved to. */
  private timestampQueries(): TimestampQueries {
    if (!this.timestamps) {
      const querySet = this.gpu.createQuerySet({
        label: 'step timing',
        type: 'timestamp',
        count: 2,
      });
      const resolved = this.createBuffer(
        'step timing',
        16,
        GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      );
      this.timestamps = { querySet, resolved };
    }
    return this.timestamps;
  }

  private async mapTimestamps(timestamps: TimestampQueries): Promise<[bigint, bigint]> {
    const staging = this.stagingBuffer(16);
    const encoder = this.gpu.createCommandEncoder();
    encoder.copyBufferToBuffer(timestamps.resolved, 0, staging, 0, 16);
    this.gpu.queue.submit([encoder.finish()]);
    await this.orLost(staging.mapAsync(GPUMapMode.READ, 0, 16));
    try {
      const [begin, end] = new BigUint64Array(staging.getMappedRange(0, 16));
      return [begin!, end!];
    } finally {
      staging.unmap();
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
      const { totalGroups } = this.layout;
      const d = this.d;
      const groupFloats = totalGroups * 2 * d;
      // After the groups' sums: each shard's first particle, the shift of its sums.
      const floats = groupFloats + this.shards.length * d;
      const staging = this.stagingBuffer(floats * FLOAT_BYTES);
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
      const values = await this.mapFloats(staging, floats);
      const mean = new Float64Array(d);
      const variance = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        // Sums of x − x₀ with x₀ the first particle of all: a shard's sums of x − x₀ₛ move
        // by e = x₀ₛ − x₀ (Σ(y + e) = Σy + m·e, Σ(y + e)² = Σy² + 2e·Σy + m·e²).
        const origin = values[groupFloats + j]!;
        let sum = 0;
        let sumSq = 0;
        this.shards.forEach((shard, s) => {
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
        const centredMean = sum / this.n;
        mean[j] = origin + centredMean;
        variance[j] = Math.max(0, sumSq / this.n - centredMean * centredMean);
      }
      return { mean, var: variance };
    });
  }

  particles(): Promise<Float32Array> {
    return this.serial(async () => {
      const x = new Float32Array(this.n * this.d);
      // Shard by shard: the whole set may be larger than one staging buffer may be.
      for (const shard of this.shards) {
        const floats = shard.count * this.d;
        const staging = this.stagingBuffer(floats * FLOAT_BYTES);
        const encoder = this.gpu.createCommandEncoder();
        encoder.copyBufferToBuffer(shard.buffer, 0, staging, 0, floats * FLOAT_BYTES);
        this.gpu.queue.submit([encoder.finish()]);
        x.set(await this.mapFloats(staging, floats), shard.first * this.d);
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
    for (const buffer of this.buffers) buffer.destroy();
    this.readbackBuffer?.destroy();
    this.timestamps?.querySet.destroy();
    if (this.ownsDevice) this.gpu.destroy();
  }

  /** SimParams of shaders/bindings.wgsl for the passes over one shard. */
  private simParams(shard: ShardLayout): ArrayBuffer {
    const words = new ArrayBuffer(SIM_PARAMS_WORDS * 4);
    const u32 = new Uint32Array(words);
    const f32 = new Float32Array(words);
    const [key0, key1] = keyFromSeed(this.dynamics.seed);
    const { totalGroups, subChunks, partialStride } = this.layout;
    const { count, numGroups, gridX, first, firstGroup } = shard;
    u32.set([count, numGroups, gridX, subChunks, key0, key1, partialStride, first]);
    const { tau, priorStd, huberDelta, initStd } = this.dynamics;
    f32.set([tau, 1 / (priorStd * priorStd), huberDelta, initStd], 8);
    u32.set([firstGroup, this.n, totalGroups, 0], 12);
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
    this.shards.forEach((shard, index) => {
      pass.setBindGroup(0, split.bindGroups[index]!, [slot * SLOT_BYTES]);
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
    pass.setBindGroup(0, split.bindGroups[0]!, [slot * SLOT_BYTES]);
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
