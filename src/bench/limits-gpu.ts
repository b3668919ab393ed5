// The GPU's own limits, measured on the spot: peak multiply-add rate (shaders/bench-fma.wgsl)
// and streaming bandwidth (shaders/bench-bandwidth.wgsl). A timed block is many dispatches in
// one submission, timed from submit to queue.onSubmittedWorkDone(); the figure is the median
// of the blocks after a warm-up. Submission latency is in the time, which is why a block is
// made long (≥ TARGET_BLOCK_SECONDS) before it is timed. The kernels stay ready after that
// (a LimitProbe), so that the benchmark can measure the FMA rate again between its timed
// blocks: on a shared machine the speed drifts by tens of percent within minutes.
import type { EngineGpu } from '../gpu/device';
import { composeShader, type ShaderSources } from '../gpu/shaders';
import { summarize } from './counts';

const WG = 64;
/** Multiply-adds per chain per invocation; 8 chains of vec4 in the kernel. */
const FMA_ITERATIONS = 128;
const FMA_CHAINS = 8;
const VEC4_LANES = 4;
/** Invocations of the FMA kernel: enough workgroups to fill any current GPU many times over. */
const FMA_WORKGROUPS = 4096;
/** Bytes of each of the two buffers of the copy, capped by the adapter's binding size. */
const STREAM_BYTES = 64 * 2 ** 20;
/** A timed block lasts at least this long, so submission latency is a small part of it. */
const TARGET_BLOCK_SECONDS = 0.2;
/** Dispatches per block are capped: past this a block is long enough on any device. */
const MAX_DISPATCHES = 4096;

export interface LimitMeasurement {
  /** Median over the timed blocks, with their spread. */
  readonly value: number;
  readonly min: number;
  readonly max: number;
  /** Blocks timed after the warm-up, and the work per block: dispatches (GPU) or work units (CPU). */
  readonly repeats: number;
  readonly blockSize: number;
}

export interface GpuLimits {
  readonly gflops: LimitMeasurement;
  readonly gbps: LimitMeasurement;
  /** Bytes of each buffer of the copy kernel. */
  readonly streamBytes: number;
}

/** A device's limit benchmarks, kept ready between measurements until closed. */
export interface LimitProbe<Limits> {
  /** Warm-up, calibration and `repeats` timed blocks of each benchmark. */
  measure(repeats: number): Promise<Limits>;
  /** One more FMA block of the length `measure` calibrated (it must have run): GFLOP/s. */
  fmaRate(): Promise<number>;
  close(): void;
}

/**
 * The probe of a device whose FMA block runs `size` units of work in the seconds it returns:
 * `measure` calibrates it and keeps the block size for `fmaRate`, then `measureRest` measures
 * the device's other limits and assembles them with the FMA figure.
 */
export function limitProbe<Limits>(
  fmaBlock: (size: number) => Promise<number>,
  fmaGflops: (seconds: number, size: number) => number,
  measureRest: (gflops: LimitMeasurement, repeats: number) => Promise<Limits>,
  close: () => void,
): LimitProbe<Limits> {
  let fmaSize: number | null = null;
  return {
    async measure(repeats) {
      const gflops = await measure(fmaBlock, repeats, fmaGflops);
      fmaSize = gflops.blockSize;
      return measureRest(gflops, repeats);
    },
    async fmaRate() {
      if (fmaSize === null) throw new Error('fmaRate: measure the limits first');
      return fmaGflops(await fmaBlock(fmaSize), fmaSize);
    },
    close,
  };
}

export async function openGpuLimits(
  gpu: EngineGpu,
  shaders: ShaderSources,
): Promise<LimitProbe<GpuLimits>> {
  const { device } = gpu;
  const buffers: GPUBuffer[] = [];
  const buffer = (size: number, usage: number): GPUBuffer => {
    const made = device.createBuffer({ size, usage });
    buffers.push(made);
    return made;
  };
  const close = (): void => {
    for (const made of buffers) made.destroy();
  };
  try {
    device.pushErrorScope('validation');
    const fmaModule = device.createShaderModule({
      label: 'bench fma',
      code: composeShader(shaders, ['bench-fma'], { WG, ITERATIONS: FMA_ITERATIONS }),
    });
    const fmaPipeline = device.createComputePipeline({
      label: 'fma_chains',
      layout: 'auto',
      compute: { module: fmaModule, entryPoint: 'fma_chains' },
    });
    const invocations = FMA_WORKGROUPS * WG;
    const params = buffer(32, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    device.queue.writeBuffer(
      params,
      0,
      new Float32Array([0.9999, 0.9999, 0.9999, 0.9999, 1e-4, 1e-4, 1e-4, 1e-4]),
    );
    const sink = buffer(invocations * 16, GPUBufferUsage.STORAGE);
    const fmaGroup = device.createBindGroup({
      layout: fmaPipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: params } },
        { binding: 1, resource: { buffer: sink } },
      ],
    });

    const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    const vec4s = Math.floor(Math.min(STREAM_BYTES, limit) / 16);
    const streamBytes = vec4s * 16;
    const streamModule = device.createShaderModule({
      label: 'bench bandwidth',
      code: composeShader(shaders, ['bench-bandwidth'], { WG }),
    });
    const streamPipeline = device.createComputePipeline({
      label: 'stream_copy',
      layout: 'auto',
      compute: { module: streamModule, entryPoint: 'stream_copy' },
    });
    const from = buffer(streamBytes, GPUBufferUsage.STORAGE);
    const to = buffer(streamBytes, GPUBufferUsage.STORAGE);
    const streamGroup = device.createBindGroup({
      layout: streamPipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: from } },
        { binding: 1, resource: { buffer: to } },
      ],
    });
    const error = await device.popErrorScope();
    if (error) throw new Error(`WebGPU rejected the benchmark kernels: ${error.message}`);

    const grid = (groups: number): [number, number] => {
      const x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
      return [x, Math.ceil(groups / x)];
    };
    const fmaGrid = grid(FMA_WORKGROUPS);
    const streamGrid = grid(Math.ceil(vec4s / WG));
    const fmaBlock = (dispatches: number) =>
      timeBlock(device, fmaPipeline, fmaGroup, fmaGrid, dispatches);
    const streamBlock = (dispatches: number) =>
      timeBlock(device, streamPipeline, streamGroup, streamGrid, dispatches);

    // The grid may round up past the data: the FMA kernel's extra invocations still compute.
    const fmaFlop = fmaGrid[0] * fmaGrid[1] * WG * FMA_ITERATIONS * FMA_CHAINS * VEC4_LANES * 2;
    const fmaGflops = (seconds: number, k: number) => (fmaFlop * k) / seconds / 1e9;
    return limitProbe(
      fmaBlock,
      fmaGflops,
      async (gflops, repeats) => {
        const gbps = await measure(
          streamBlock,
          repeats,
          (seconds, k) => (2 * streamBytes * k) / seconds / 1e9,
        );
        return { gflops, gbps, streamBytes };
      },
      close,
    );
  } catch (error) {
    close();
    throw error;
  }
}

/** Seconds from submitting `dispatches` dispatches in one pass to their completion. */
async function timeBlock(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  [x, y]: [number, number],
  dispatches: number,
): Promise<number> {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  for (let k = 0; k < dispatches; k++) pass.dispatchWorkgroups(x, y);
  pass.end();
  const commands = encoder.finish();
  const start = performance.now();
  device.queue.submit([commands]);
  await device.queue.onSubmittedWorkDone();
  return (performance.now() - start) / 1000;
}

/**
 * Warm-up and calibration (one dispatch, then as many as make a block last
 * TARGET_BLOCK_SECONDS), then `repeats` timed blocks; `rate` turns a block's seconds and
 * dispatch count into the figure.
 */
export async function measure(
  block: (dispatches: number) => Promise<number>,
  repeats: number,
  rate: (seconds: number, dispatches: number) => number,
): Promise<LimitMeasurement> {
  let dispatches = 1;
  let seconds = await block(dispatches);
  seconds = await block(dispatches);
  while (seconds < TARGET_BLOCK_SECONDS && dispatches < MAX_DISPATCHES) {
    const factor = Math.min(
      16,
      Math.max(2, Math.ceil(TARGET_BLOCK_SECONDS / Math.max(seconds, 1e-6))),
    );
    dispatches = Math.min(MAX_DISPATCHES, dispatches * factor);
    seconds = await block(dispatches);
  }
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) rates.push(rate(await block(dispatches), dispatches));
  const { median, min, max } = summarize(rates);
  return { value: median, min, max, repeats, blockSize: dispatches };
}
