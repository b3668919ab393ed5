// The adapter and device the engine runs on, in the browser and in Node alike.

export interface EngineGpu {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  /** Vendor, architecture and description of the adapter, for reports. */
  readonly description: string;
}

/** Limits the engine sizes its buffers and dispatches by: the adapter's own, not the defaults. */
const ENGINE_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
] as const;

export async function requestEngineDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const name of ENGINE_LIMITS) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ requiredLimits, label: 'mfld engine' });
  return device;
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
  return { adapter, device, description: describeAdapter(adapter) };
}
