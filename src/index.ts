// The library API in Node. The browser uses the same modules, with openBrowserGpu()
// (src/gpu/device.ts) and browserShaderSources (src/gpu/shader-sources.browser.ts).
export { DEFAULT_CONFIG, type RunConfig, type DatasetConfig } from './contract/config';
export { parseConfigObject, parseRunArgs, ConfigError } from './contract/config-parse';
export type { Dynamics, Moments, Problem, Simulation } from './contract/simulation';
export { exactNoDataVariance } from './contract/model';
export { createGpuSimulation } from './gpu/simulation';
export { DeviceLimitError } from './contract/simulation';
export { createCpuSimulation } from './cpu/reference';
export { buildProblem } from './data/datasets';
export { runStudy, dynamicsFromConfig, DivergenceError } from './study/run-study';
export { openNodeGpu, readShaderSources } from './node/gpu';
export { openSimulation } from './node/backends';
export { resolveWebGpuEnv } from './node/webgpu-env';
export { encodeNpy, decodeNpy } from './io/npy';
export {
  encodeCheckpoint,
  decodeCheckpoint,
  problemCrc32,
  CheckpointError,
  type Checkpoint,
} from './io/checkpoint';
