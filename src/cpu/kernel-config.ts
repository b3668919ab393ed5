// What fixes the maths of a CPU simulation, as plain data that the main thread posts to every
// worker, and the chunks the particles are split into (src/cpu/layout.ts plans them).
import type { Loss } from '../contract/model';

/** Everything that fixes the maths of a simulation; plain data, posted to every worker. */
export interface KernelConfig {
  readonly n: number;
  readonly p: number;
  readonly d: number;
  /** Batch size B of every step; 0 when there is no data (F ≡ 0, no data term). */
  readonly batch: number;
  /** Full batch: slot b of every step is training point b. */
  readonly full: boolean;
  readonly trainCount: number;
  readonly testCount: number;
  /** activationCode of src/contract/model.ts. */
  readonly activation: number;
  readonly loss: Loss;
  readonly huberDelta: number;
  /** σ of step 0 and its annealing (noiseLevel in src/contract/simulation.ts). */
  readonly sigma: number;
  readonly sigmaFinal: number | null;
  readonly annealSteps: number;
  readonly tau: number;
  readonly priorStd: number;
  readonly initStd: number;
  readonly key: readonly [number, number];
  /** Particles per chunk; partial sums are kept per chunk and reduced in chunk order. */
  readonly chunkSize: number;
  readonly chunks: number;
  /** Data points per block of a loss evaluation. */
  readonly lossBlock: number;
  /** Whether threads keep φ(α_i·z_b) of the forward pass for the next step's drift. */
  readonly cachePhi: boolean;
}

/** Particles [i0, i1) of chunk `chunk`. */
export function chunkRange(cfg: KernelConfig, chunk: number): [number, number] {
  const i0 = chunk * cfg.chunkSize;
  return [i0, Math.min(cfg.n, i0 + cfg.chunkSize)];
}
