// The resolved configuration of a run: every field has a value. Parsing and validation of
// user input (CLI flags, JSON, URL parameters) live in config-parse.ts and produce this.
import type { Activation, Loss } from './model';

export const DATASETS = ['none', 'teacher', 'gaussians', 'sine', 'csv'] as const;
export type DatasetName = (typeof DATASETS)[number];

export const BACKENDS = ['auto', 'webgpu', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface DatasetConfig {
  readonly name: DatasetName;
  /** Raw input dimension before the bias feature (ignored for `sine`, read from the file for `csv`). */
  readonly dim: number;
  /** Training points N (ignored for `none` and `csv`). */
  readonly samples: number;
  /** Held-out points (0: no test set; ignored for `none`, `csv`). */
  readonly testSamples: number;
  /** Standard deviation of the label noise (`teacher`, `sine`). */
  readonly noise: number;
  /** Δ of `gaussians`: inputs N(0, (1 ± Δ)² I) for labels ±1; from 0 to below 1. */
  readonly separation: number;
  /** CSV file for `csv`. */
  readonly path: string | null;
}

export interface RunConfig {
  readonly dataset: DatasetConfig;
  readonly n: number;
  readonly steps: number;
  readonly sigma: number;
  /** σ at step `steps` of a linearly annealed σ, or null for a constant σ. */
  readonly sigmaFinal: number | null;
  readonly tau: number;
  readonly batch: 'full' | number;
  readonly activation: Activation;
  readonly loss: Loss;
  readonly huberDelta: number;
  readonly priorStd: number;
  readonly initStd: number;
  readonly seed: number;
  readonly bias: boolean;
  readonly backend: BackendChoice;
  /** Log the loss every this many steps (and once at the end). */
  readonly logEvery: number;
}

/**
 * The default study: a teacher network learnt by a thousand noisy neurons. Sized to finish
 * within a minute on SwiftShader (a CPU WebGPU driver) on two cores.
 */
export const DEFAULT_CONFIG: RunConfig = {
  dataset: {
    name: 'teacher',
    dim: 4,
    samples: 512,
    testSamples: 256,
    noise: 0.05,
    separation: 0.2,
    path: null,
  },
  n: 1024,
  steps: 600,
  sigma: 0.05,
  sigmaFinal: null,
  tau: 0.1,
  batch: 32,
  activation: 'tanh',
  loss: 'square',
  huberDelta: 1,
  priorStd: 1,
  initStd: 1,
  seed: 1,
  bias: true,
  backend: 'auto',
  logEvery: 50,
};
