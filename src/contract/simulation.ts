// What every backend (WebGPU engine, CPU reference) takes and offers. Data flows one way:
// config → Problem + Dynamics → Simulation → observables.
import type { Activation, Loss } from './model';

/** Inputs row-major, `count × p` (the bias feature already appended), labels `count`. */
export interface DataSplit {
  readonly z: Float32Array;
  readonly y: Float32Array;
  readonly count: number;
}

/** The data a run trains on. `train.count = 0` means F ≡ 0 (data set `none`). */
export interface Problem {
  /** Input dimension p, bias included; a particle has d = p + 1 coordinates. */
  readonly p: number;
  readonly train: DataSplit;
  readonly test: DataSplit | null;
}

/**
 * A size that does not fit the device: the adapter's limits for the WebGPU engine, the share
 * of the host's memory for the CPU reference. The message names the size and the largest that fits.
 */
export class DeviceLimitError extends Error {
  override name = 'DeviceLimitError';
}

/**
 * The device stopped working (driver reset, GPU removed), or reported an error the engine did
 * not expect (an uncaptured WebGPU error), after which its results cannot be trusted.
 */
export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
}

/** The loss at a log point of a run. */
export interface LossEntry {
  /** Global step k. */
  readonly step: number;
  /** Time of the continuous dynamics, k·τ. */
  readonly time: number;
  readonly train: number;
  /** Null when the run has no held-out set. */
  readonly test: number | null;
}

/** The parameters of SPEC §2–3 that fix a trajectory. */
export interface Dynamics {
  readonly n: number;
  /** σ at step 0. */
  readonly sigma: number;
  /** σ from step `annealSteps` on when annealed (linearly in k before), else null. */
  readonly sigmaFinal: number | null;
  readonly annealSteps: number;
  readonly tau: number;
  /** `full`, or the minibatch size B drawn with replacement. */
  readonly batch: 'full' | number;
  readonly activation: Activation;
  readonly loss: Loss;
  /** Huber's δ; ignored by the other losses. */
  readonly huberDelta: number;
  readonly priorStd: number;
  readonly initStd: number;
  /** Integer, 0 ≤ seed < 2^53. */
  readonly seed: number;
}

export interface Moments {
  /** Per coordinate over the n particles, length d, rows as in SPEC §1: α_1 … α_p, c. */
  readonly mean: Float64Array;
  readonly var: Float64Array;
}

export interface Simulation {
  readonly backend: 'webgpu' | 'cpu';
  /** A one-line description of where it runs (GPU adapter, or CPU threads). */
  readonly device: string;
  readonly n: number;
  readonly d: number;
  /** Global step counter k: the number of steps taken since x⁰ (SPEC §3). */
  readonly step: number;
  /** Advances `steps` time steps. */
  run(steps: number): Promise<void>;
  /** F on the training set (or the held-out set), using all its points. */
  loss(split: 'train' | 'test'): Promise<number>;
  moments(): Promise<Moments>;
  /** Particles as rows `[α_1 … α_p, c]`, `n × d`. */
  particles(): Promise<Float32Array>;
  /** Replaces the particles and sets the global step (checkpoints, tests). */
  setParticles(x: Float32Array, step: number): Promise<void>;
  destroy(): void;
}

/**
 * σ_k, the noise level of step k: constant, or linear in k from σ to σ_final over the
 * first `annealSteps` steps (σ_final after). Both backends take σ of step k from here.
 */
export function noiseLevel(
  dynamics: Pick<Dynamics, 'sigma' | 'sigmaFinal' | 'annealSteps'>,
  k: number,
): number {
  const { sigma, sigmaFinal, annealSteps } = dynamics;
  if (sigmaFinal === null || annealSteps <= 0) return sigma;
  return sigma + ((sigmaFinal - sigma) * Math.min(k, annealSteps)) / annealSteps;
}

/** Batch size B of a step: N in full mode, else the minibatch size. */
export function batchSize(dynamics: Dynamics, problem: Problem): number {
  return dynamics.batch === 'full' ? problem.train.count : dynamics.batch;
}
