// A WebGPU device in Node through Dawn (package `webgpu`). The process must already have
// the environment resolveWebGpuEnv() chose (see webgpu-env.ts).
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ShaderSources } from '../gpu/shaders';
import { hostMemoryBytes } from '../cpu/pool';
import { engineGpu, isSoftwareAdapter, requestEngineDevice, type EngineGpu } from '../gpu/device';

/**
 * Dawn's instance must outlive every adapter and device made from it, but nothing in the
 * WebGPU API keeps it alive: once garbage-collected, its event processing uses freed memory
 * and the process crashes. One instance per process, held here, avoids that.
 */
let dawnInstance: GPU | null = null;

/** Opens the adapter and a device with its real limits, or returns null when there is no adapter. */
export async function openNodeGpu(): Promise<EngineGpu | null> {
  const { create, globals } = await import('webgpu');
  // Dawn's classes (GPUBufferUsage and friends) as the browser has them.
  Object.assign(globalThis, globals);
  dawnInstance ??= create([]);
  const adapter = await dawnInstance.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const device = await requestEngineDevice(adapter);
  // Dawn's Node binding polls from setImmediate while the engine awaits the queue: on a
  // software adapter that takes a core the adapter computes on (a GPU loses nothing to it).
  const gpu = engineGpu(adapter, device, await hostMemoryBytes());
  return { ...gpu, pollingWait: isSoftwareAdapter(adapter) };
}

const SHADER_DIR = fileURLToPath(new URL('../../shaders/', import.meta.url));

/** Every `.wgsl` file of shaders/, by file name without the extension. */
export function readShaderSources(): ShaderSources {
  const sources: Record<string, string> = {};
  for (const file of readdirSync(SHADER_DIR)) {
    if (file.endsWith('.wgsl'))
      sources[file.slice(0, -5)] = readFileSync(SHADER_DIR + file, 'utf8');
  }
  return sources;
}
