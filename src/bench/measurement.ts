// What the benchmark takes and gives: its configuration, the figures it measured per size and
// backend, the events it reports on the way, and the errors that end it without figures.
import type { RunConfig } from '../contract/config';
import type { Dynamics } from '../contract/simulation';
import type { AutoBackend } from '../gpu/device';
import type { LaneParticles } from '../gpu/particle-rows';
import type { EngineLayout } from '../gpu/plan';
import type { RoundsFit } from './counts';
import type { CpuLimits } from './limits-cpu';
import type { GpuLimits } from './limits-gpu';

export interface BenchConfig {
  /** Particle counts n, ascending. */
  readonly sizes: readonly number[];
  /** Particle coordinates d = p + 1; p counts the bias feature, so the teacher has d − 2 raw inputs. */
  readonly d: number;
  /** Minibatch size B. */
  readonly batch: number;
  /** Steps per timed block; null: as many as make a block last about TARGET_BLOCK_SECONDS. */
  readonly steps: number | null;
  /** Timed blocks per backend and size, after one warm-up block. */
  readonly repeats: number;
  readonly cpuThreads: number;
  readonly skipCpu: boolean;
  /** Particles each GPU invocation holds; null: the engine's default for d. */
  readonly laneParticles: LaneParticles | null;
  /** Chunks of particles each GPU workgroup walks in turn; null: the engine's default. */
  readonly groupChunks: number | null;
}

export interface Timing {
  /** Steps per timed block, and the blocks timed. */
  readonly steps: number;
  readonly blocks: number;
  readonly particleStepsPerSecond: number;
  readonly secondsPerStep: { readonly median: number; readonly min: number; readonly max: number };
  readonly gflops: number;
  readonly gbps: number;
  /**
   * The device's FMA limit (GFLOP/s) measured again right after each timed block: on a
   * shared machine the speed drifts by tens of percent within minutes.
   */
  readonly limitGflops: { readonly median: number; readonly min: number; readonly max: number };
  /** The FMA limit measured right after each timed block, in the order of blockSeconds. */
  readonly blockLimitGflops: number[];
  /** Median over the timed blocks of the block's GFLOP/s over the limit measured after it. */
  readonly fractionOfLimit: number;
  /** GB/s over the device's GB/s measured at the start. */
  readonly bandwidthFraction: number;
  /**
   * Seconds per step of each timed block, in the order timed: block r is round r's, unless
   * the GPU's timestamps failed for some block and they were all timed again by the host's
   * clock, one after another at the end (`clock` then says 'host').
   */
  readonly blockSeconds: number[];
  /**
   * Seconds from the start of the measurement to the start of each timed block: the sizes are
   * timed round by round, a block of each per round.
   */
  readonly blockStarts: number[];
  /**
   * What timed the blocks: the GPU's timestamp queries (its own time for the passes), or
   * the host's clock from the call to the completion of the last step.
   */
  readonly clock: Clock;
}

export type Clock = 'gpu-timestamps' | 'host';

export interface Agreement {
  /** Whether particles after AGREEMENT_STEPS steps agree within the tolerance. */
  readonly ok: boolean;
  readonly steps: number;
  /** Largest |gpu − cpu| / (1 + |cpu|) over all coordinates. */
  readonly worstDifference: number;
  readonly tolerance: number;
}

export interface SizeResult {
  readonly n: number;
  readonly gpu: Timing | null;
  readonly cpu: Timing | null;
  /** GPU particle-steps/s over the CPU's. */
  readonly ratio: number | null;
  /** Null when the CPU was skipped. */
  readonly agreement: Agreement | null;
}

/** Everything the benchmark measured, without the host's description of the machine. */
export interface BenchMeasurement {
  readonly adapter: {
    readonly description: string;
    readonly info: Record<string, string>;
    readonly timestampQuery: boolean;
  };
  /** How the WebGPU engine laid out its step on this adapter for this d. */
  readonly engine: EngineLayout;
  /** What `--backend auto` (the page's backend auto) runs on with this adapter, and why. */
  readonly autoBackend: AutoBackend;
  readonly config: BenchConfig & {
    readonly p: number;
    readonly dataset: RunConfig['dataset'];
    readonly dynamics: Omit<Dynamics, 'n'>;
    readonly counts: {
      readonly flopPerParticleStep: number;
      readonly bytesPerParticleStep: number;
    };
  };
  /** Each device's FMA limit at the start, the kernel of its sweep that set it, and bandwidth. */
  readonly limits: { readonly gpu: DeviceLimits; readonly cpu: DeviceLimits | null };
  readonly limitDetails: { readonly gpu: GpuLimits; readonly cpu: CpuLimits | null };
  readonly sizes: SizeResult[];
  /** Rounds of timed blocks: config.repeats, or fewer where the run was stopped after them. */
  readonly roundsTimed: number;
  /** Time per step against n, fitted round by round (fitExponentByRound). */
  readonly exponents: { readonly gpu: RoundsFit | null; readonly cpu: RoundsFit | null };
}

export interface DeviceLimits {
  readonly gflops: number;
  /** The FMA kernel of the sweep that set `gflops`, in words. */
  readonly fmaConfig: string;
  readonly gbps: number;
}

export function deviceLimits(limits: GpuLimits | CpuLimits): DeviceLimits {
  return { gflops: limits.gflops.value, fmaConfig: limits.fmaConfig, gbps: limits.gbps.value };
}

export interface BenchEvents {
  /** What the benchmark is doing now; `done` of `total` phases are finished. */
  progress(what: string, done: number, total: number): void;
  /** Something the user should know (a disagreement, a fit that could not be made). */
  notice(message: string): void;
  /**
   * Asked between the limit measurements, before each size is opened and before each round:
   * true ends the benchmark there, with the figures of the rounds done, or a BenchStoppedError
   * before the first.
   */
  stopRequested?(): boolean;
}

/** The benchmark was asked to stop before a round was timed: there are no figures. */
export class BenchStoppedError extends Error {
  override readonly name = 'BenchStoppedError';
}

/** A requested size does not fit the adapter or the CPU reference's memory; the message names every such size. */
export class SizeRefusedError extends Error {
  override readonly name = 'SizeRefusedError';
}
