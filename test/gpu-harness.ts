// Shared by the GPU tests: one device per test file, and a way to run a small WGSL kernel
// over the engine's own shader pieces.
import { afterAll, beforeAll } from 'vitest';
import type { EngineGpu } from '../src/gpu/device';
import { composeShader } from '../src/gpu/shaders';
import { openNodeGpu, readShaderSources } from '../src/node/gpu';

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

/**
 * Runs `main` of `body` (appended to the given shader pieces) over `invocations` threads with
 * `input` at binding 0 (read) and returns binding 1 (`outputWords` u32 words).
 */
export async function runTestKernel(
  gpu: EngineGpu,
  pieces: string[],
  body: string,
  input: Uint32Array<ArrayBuffer>,
  outputWords: number,
  invocations: number,
): Promise<Uint32Array> {
  const { device } = gpu;
  const code = composeShader(shaders, pieces, {}) + '\n' + body;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module, entryPoint: 'main' },
  });
  const inputBuffer = device.createBuffer({
    size: Math.max(16, input.byteLength),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  const outputBuffer = device.createBuffer({
    size: outputWords * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const staging = device.createBuffer({
    size: outputWords * 4,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    device.queue.writeBuffer(inputBuffer, 0, input);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: inputBuffer } },
        { binding: 1, resource: { buffer: outputBuffer } },
      ],
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(invocations / 64));
    pass.end();
    encoder.copyBufferToBuffer(outputBuffer, 0, staging, 0, outputWords * 4);
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error) throw new Error(error.message);
    await staging.mapAsync(GPUMapMode.READ);
    return new Uint32Array(staging.getMappedRange().slice(0));
  } finally {
    inputBuffer.destroy();
    outputBuffer.destroy();
    staging.destroy();
  }
}
