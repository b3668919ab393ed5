// Shared by the GPU tests: one device per test file, and the engine's shader sources.
import { afterAll, beforeAll } from 'vitest';
import type { EngineGpu } from '../../src/gpu/device';
import { openNodeGpu, readShaderSources } from '../../src/node/gpu';

export const shaders = readShaderSources();

/** Opens the adapter before the file's tests and releases it after; fails loudly without one. */
export function useGpu(): () => EngineGpu {
  let gpu: EngineGpu | null = null;
  beforeAll(async () => {
    gpu = await openNodeGpu();
    if (!gpu)
      throw new Error(
        'no WebGPU adapter: install Chrome or Chromium (SwiftShader), or run on a GPU',
      );
  });
  afterAll(() => gpu?.device.destroy());
  return () => {
    if (!gpu) throw new Error('GPU not opened');
    return gpu;
  };
}
