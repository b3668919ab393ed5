// The adapter and device the engine runs on, in the browser and in Node alike.
import { hostMemoryBytes } from '../cpu/pool';

export interface EngineGpu {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  /** Vendor, architecture and description of the adapter, for reports. */
  readonly description: string;
  /**
   * For a software adapter (SwiftShader, llvmpipe, WARP), whose buffers are host memory:
   * the bytes of particles the engine may ask for, half the host's memory, so that a huge n
   * is refused instead of filling the machine. Null on a GPU, whose driver reports running
   * out of its own memory.
   */
  readonly hostMemoryBudget: number | null;
  /**
   * Whether waiting on the queue keeps busy a host thread that the adapter computes on (Dawn
   * in Node on a software adapter): the engine then sleeps through most of each command
   * buffer first (src/gpu/paced-wait.ts).
   */
  readonly pollingWait?: boolean;
}

/** Whether the adapter renders on the CPU. */
export function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return (
    info.isFallbackAdapter === true ||
    /swiftshader|llvmpipe|lavapipe|warp|software/i.test(describeAdapter(adapter))
  );
}

/** What backend `auto` runs on with an adapter (null: none), and why, in a few words. */
export interface AutoBackend {
  readonly backend: 'webgpu' | 'cpu';
  readonly reason: string;
}

/**
 * `auto` takes a hardware adapter and leaves a software one for the CPU reference: a software
 * adapter runs the kernels on the same cores, slower than the CPU reference does (on
 * SwiftShader, see bench/RESULTS.md). A fixed rule, not a timed probe: it costs nothing at start.
 */
export function autoBackend(adapter: GPUAdapter | null): AutoBackend {
  if (!adapter) return { backend: 'cpu', reason: 'no WebGPU adapter here' };
  const description = describeAdapter(adapter);
  if (isSoftwareAdapter(adapter)) return softwareAutoBackend(description);
  return { backend: 'webgpu', reason: `${description} is a hardware adapter` };
}

/** `auto` with a software adapter described as `description`. */
export function softwareAutoBackend(description: string): AutoBackend {
  return {
    backend: 'cpu',
    reason:
      `the WebGPU adapter (${description}) renders in software on these same cores, ` +
      'where the CPU reference runs faster',
  };
}

/** `auto`'s choice in one line: `cpu: auto chose the CPU reference: …`. */
export function autoBackendLine(auto: AutoBackend): string {
  const chosen = auto.backend === 'cpu' ? 'the CPU reference' : 'WebGPU';
  return `${auto.backend}: auto chose ${chosen}: ${auto.reason}`;
}

/**
 * The EngineGpu of an opened device; `hostMemoryBytes` is the host's memory where known
 * (src/cpu/pool.ts hostMemoryBytes).
 */
export function engineGpu(
  adapter: GPUAdapter,
  device: GPUDevice,
  hostMemoryBytes: number | null,
): EngineGpu {
  const software = isSoftwareAdapter(adapter) && hostMemoryBytes !== null;
  return {
    adapter,
    device,
    description: describeAdapter(adapter),
    hostMemoryBudget: software ? Math.floor(hostMemoryBytes / 2) : null,
  };
}

/** Limits the engine sizes its buffers and dispatches by: the adapter's own, not the defaults. */
const ENGINE_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
] as const;

/**
 * Features the engine uses where the adapter has them: subgroup operations for the step's
 * reductions, timestamp queries for the benchmark's GPU times.
 */
const ENGINE_FEATURES: readonly GPUFeatureName[] = ['subgroups', 'timestamp-query'];

export async function requestEngineDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const name of ENGINE_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = ENGINE_FEATURES.filter((feature) => adapter.features.has(feature));
  return adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'mfld engine' });
}

/**
 * The smallest subgroup the step's subgroup reduction may see, or null to reduce through
 * workgroup memory alone: without the feature, or with subgroups too small to save work.
 */
export function subgroupMinSize(gpu: EngineGpu): number | null {
  const size = gpu.adapter.info.subgroupMinSize;
  if (!gpu.device.features.has('subgroups') || size === undefined || size < 4) return null;
  return size;
}

export function describeAdapter(adapter: GPUAdapter): string {
  const { vendor, architecture, description, device } = adapter.info;
  const parts = [vendor, architecture, device, description].filter(
    (part) => part && part.length > 0,
  );
  return parts.length > 0 ? [...new Set(parts)].join(' ') : 'unknown WebGPU adapter';
}

/** In the browser: the adapter of navigator.gpu, or null without WebGPU. */
export async function openBrowserGpu(): Promise<EngineGpu | null> {
  if (!('gpu' in navigator)) return null;
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const device = await requestEngineDevice(adapter);
  return engineGpu(adapter, device, await hostMemoryBytes());
}
