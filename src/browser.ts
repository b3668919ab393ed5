// The library API in a browser: the engine and the CPU reference (on Web Workers; it needs a
// cross-origin isolated page, see docs/publishing.md), with the shaders bundled as strings.
// The package's `browser` export; src/index.ts is the Node one.
export { DEFAULT_CONFIG, type RunConfig, type DatasetConfig } from './contract/config';
export { parseConfigObject, ConfigError } from './contract/config-parse';
export type { Dynamics, Moments, Problem, Simulation } from './contract/simulation';
export { DeviceLimitError } from './contract/simulation';
export { exactNoDataVariance } from './contract/model';
export { openBrowserGpu, type EngineGpu } from './gpu/device';
export { browserShaderSources } from './gpu/shader-sources.browser';
export { createGpuSimulation } from './gpu/simulation';
export { createCpuSimulation } from './cpu/reference';
export { buildProblem } from './data/datasets';
export { runStudy, dynamicsFromConfig, DivergenceError } from './study/run-study';
export { encodeNpy, decodeNpy } from './io/npy';
export {
  encodeCheckpoint,
  decodeCheckpoint,
  problemCrc32,
  CheckpointError,
  type Checkpoint,
} from './io/checkpoint';
