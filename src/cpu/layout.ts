// The shared memory of the CPU reference and the work plan over it. The plan depends on n
// and the batch size only, never on the thread count: per-chunk partial sums reduced in
// chunk order make every thread count produce the same bits.
import { DeviceLimitError } from '../contract/simulation';
import type { KernelConfig } from './kernel';

/** Fewest particles in a chunk, so that per-chunk overheads stay small. */
const MIN_CHUNK = 64;
/** Most chunks: enough to share the particles among many cores. */
const MAX_CHUNKS = 1024;
/** Fewest chunks where there are particles enough, whatever the memory budget below. */
const MIN_CHUNKS = 16;
/** Doubles of per-chunk partial sums one buffer may hold (32 MiB). */
const SUM_BUDGET = 1 << 22;

/** Bytes of φ(α_i·z_b) the threads may keep between steps where the host's memory is unknown. */
const PHI_CACHE_FLOOR_BYTES = 2 ** 28;
/** Otherwise up to this share of the host's memory. */
const PHI_CACHE_MEMORY_SHARE = 1 / 8;

/**
 * Whether the threads keep φ(α_i·z_b) for n particles and B slots between steps (n·B doubles)
 * instead of computing it again in the next step's drift: results are the same, the step
 * faster (bench/RESULTS.md). Allowed up to an eighth of the host's memory (`hostMemoryBytes`,
 * null where unknown), and at least 256 MiB.
 */
export function cachePhi(n: number, batch: number, hostMemoryBytes: number | null): boolean {
  const budget = Math.max(PHI_CACHE_FLOOR_BYTES, (hostMemoryBytes ?? 0) * PHI_CACHE_MEMORY_SHARE);
  return n * batch * 8 <= budget;
}

/** The share of the host's memory the CPU reference's particles may take, as the GPU engine's on a software adapter. */
const PARTICLE_MEMORY_SHARE = 0.5;

/**
 * Refuses n particles of d coordinates whose float32 rows would take more than half the
 * host's memory (`hostMemory`, null where unknown: then only a failed allocation refuses).
 */
export function checkCpuSize(n: number, d: number, hostMemory: number | null): void {
  if (hostMemory === null) return;
  const budget = Math.floor(hostMemory * PARTICLE_MEMORY_SHARE);
  const bytes = n * d * Float32Array.BYTES_PER_ELEMENT;
  if (bytes > budget) {
    throw new DeviceLimitError(
      `n = ${n} particles of d = ${d} need ${bytes} bytes; the CPU reference keeps them in ` +
        `shared memory and takes at most half the host's (${budget} bytes): the largest n ` +
        `that fits is ${Math.floor(budget / (d * Float32Array.BYTES_PER_ELEMENT))}`,
    );
  }
}

/** Chunk size and count for n particles with `rows` partial sums per chunk. */
export function chunkPlan(n: number, rows: number): { chunkSize: number; chunks: number } {
  const byMemory = Math.floor(SUM_BUDGET / Math.max(1, rows));
  const wanted = Math.min(Math.ceil(n / MIN_CHUNK), MAX_CHUNKS);
  const chunks0 = Math.max(1, Math.min(wanted, Math.max(byMemory, MIN_CHUNKS)));
  const chunkSize = Math.ceil(n / chunks0);
  return { chunkSize, chunks: Math.ceil(n / chunkSize) };
}

/** Data points per block of a loss evaluation with `chunks` partial sums each. */
export function lossBlockSize(chunks: number, points: number): number {
  return Math.max(1, Math.min(points, Math.floor(SUM_BUDGET / chunks)));
}

/** Int32 slots of the control block. */
export const Control = {
  /** Bumped by the main thread to start a job; workers wait on it. */
  generation: 0,
  command: 1,
  /** Workers that finished the job; the last one resets it and tells the main thread. */
  done: 2,
  barrierCount: 3,
  /** Bumped by the last worker to reach a barrier; the others wait on it. */
  barrierGeneration: 4,
} as const;
const CONTROL_INTS = 8;

/** Float64 slots of the job parameters, after the control block. */
export const Param = {
  /** Global step k of the first step of a run, or of the batch of a forward pass. */
  step: 0,
  steps: 1,
  /** 1 when sums[k mod 2] already holds the forward sums of step k's batch. */
  forwardValid: 2,
  /** 0 train, 1 test. */
  split: 3,
} as const;
const PARAM_DOUBLES = 4;

export const Command = { init: 1, run: 2, loss: 3 } as const;

/** The buffers the main thread and every worker share. */
export interface SharedMemory {
  /** Control block (Int32) then job parameters (Float64). */
  readonly control: SharedArrayBuffer;
  /** n × d float32, rows [α_1 … α_p, c]. */
  readonly particles: SharedArrayBuffer;
  /** Two buffers (step parity) of chunks × B per-chunk forward sums, float64. */
  readonly sums: SharedArrayBuffer;
  /** chunks × lossBlock per-chunk forward sums of a loss evaluation, float64. */
  readonly lossSums: SharedArrayBuffer;
  /** Φ(y_m − f(z_m)) per point of the split being evaluated, float64. */
  readonly lossTerms: SharedArrayBuffer;
  readonly trainZ: SharedArrayBuffer;
  readonly trainY: SharedArrayBuffer;
  readonly testZ: SharedArrayBuffer;
  readonly testY: SharedArrayBuffer;
}

/** Typed views of the shared memory. */
export interface Views {
  readonly control: Int32Array;
  readonly params: Float64Array;
  readonly particles: Float32Array;
  readonly sums: Float64Array;
  readonly lossSums: Float64Array;
  readonly lossTerms: Float64Array;
  readonly trainZ: Float32Array;
  readonly trainY: Float32Array;
  readonly testZ: Float32Array;
  readonly testY: Float32Array;
}

function shared(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(bytes, 8));
}

function sharedCopy(data: Float32Array): SharedArrayBuffer {
  const buffer = shared(data.byteLength);
  new Float32Array(buffer).set(data);
  return buffer;
}

export interface SplitData {
  readonly z: Float32Array;
  readonly y: Float32Array;
}

export function allocateShared(
  cfg: KernelConfig,
  train: SplitData,
  test: SplitData | null,
): SharedMemory {
  const empty = new Float32Array(0);
  return {
    control: shared(4 * CONTROL_INTS + 8 * PARAM_DOUBLES),
    particles: shared(4 * cfg.n * cfg.d),
    sums: shared(8 * 2 * cfg.chunks * cfg.batch),
    lossSums: shared(8 * cfg.chunks * cfg.lossBlock),
    lossTerms: shared(8 * Math.max(cfg.trainCount, cfg.testCount)),
    trainZ: sharedCopy(train.z),
    trainY: sharedCopy(train.y),
    testZ: sharedCopy(test?.z ?? empty),
    testY: sharedCopy(test?.y ?? empty),
  };
}

export function viewsOf(cfg: KernelConfig, memory: SharedMemory): Views {
  return {
    control: new Int32Array(memory.control, 0, CONTROL_INTS),
    params: new Float64Array(memory.control, 4 * CONTROL_INTS, PARAM_DOUBLES),
    particles: new Float32Array(memory.particles, 0, cfg.n * cfg.d),
    sums: new Float64Array(memory.sums, 0, 2 * cfg.chunks * cfg.batch),
    lossSums: new Float64Array(memory.lossSums, 0, cfg.chunks * cfg.lossBlock),
    lossTerms: new Float64Array(memory.lossTerms, 0, Math.max(cfg.trainCount, cfg.testCount)),
    trainZ: new Float32Array(memory.trainZ, 0, cfg.trainCount * cfg.p),
    trainY: new Float32Array(memory.trainY, 0, cfg.trainCount),
    testZ: new Float32Array(memory.testZ, 0, cfg.testCount * cfg.p),
    testY: new Float32Array(memory.testY, 0, cfg.testCount),
  };
}

/** The share [start, end) of `count` items that worker `index` of `threads` takes. */
export function shareOf(index: number, threads: number, count: number): [number, number] {
  return [Math.floor((index * count) / threads), Math.floor(((index + 1) * count) / threads)];
}
