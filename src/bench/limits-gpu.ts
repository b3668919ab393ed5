// The GPU's own limits, measured on the spot: peak multiply-add rate and streaming bandwidth
// (shaders/bench-bandwidth.wgsl). The multiply-add limit is the best of a sweep of kernels
// (limits-gpu-fma.ts: chains, workgroup size, fma() or a * m + c), each timed in the same way,
// so that no kernel the adapter runs faster is left out. A timed block is one submission,
// timed from submit to queue.onSubmittedWorkDone(); the figure is the median of the blocks
// after a warm-up. Submission latency is in the time, which is why a block is made long
// (a calibrated loop count or dispatch count) before it is timed, and the wait sleeps
// through most of the block before it asks the queue (src/gpu/paced-wait.ts). The winning
// kernel stays ready after that (a LimitProbe), so that the benchmark can measure the FMA
// rate again between its timed blocks: on a shared machine the speed drifts by tens of
// percent within minutes.
import { isSoftwareAdapter, type EngineGpu } from '../gpu/device';
import { PacedWait } from '../gpu/paced-wait';
import { composeShader, type ShaderSources } from '../gpu/shaders';
import { summarize } from './counts';
import {
  FMA_UNROLL,
  GPU_FMA_SWEEP,
  gpuFmaFlopPerTrip,
  gpuFmaKernelSource,
  gpuFmaLabel,
  type GpuFmaConfig,
} from './limits-gpu-fma';

const WG = 64;
/**
 * Invocations of each FMA dispatch: enough to fill a large GPU (an H100 holds about 2^18 at
 * once); fewer on a software adapter, where each workgroup's start is costly and a dispatch
 * of few invocations running many loop trips keeps that cost a few percent.
 */
const FMA_INVOCATIONS = 2 ** 20;
const SOFTWARE_FMA_INVOCATIONS = 2 ** 14;
/**
 * The loop count of the FMA kernels starts at this many trips, 1024 multiply-adds per chain:
 * on SwiftShader each invocation's start costs as much as a few hundred of them (fewer per
 * chain read visibly slower; bench/RESULTS.md), so a dispatch is mostly arithmetic even
 * before it is calibrated. It grows up to the max.
 */
const MIN_FMA_TRIPS = 1024 / FMA_UNROLL;
const MAX_FMA_TRIPS = 2 ** 20;
/** Bytes of each of the two buffers of the copy, capped by the adapter's binding size. */
const STREAM_BYTES = 64 * 2 ** 20;
/** A timed block lasts at least this long, so submission latency is a small part of it. */
const TARGET_BLOCK_SECONDS = 0.2;
/**
 * A block of a swept FMA kernel lasts at least this long: start-up and submission are then
 * a few percent of it on SwiftShader (a millisecond or so), and the sweep of twelve kernels
 * stays a few seconds.
 */
export const FMA_BLOCK_SECONDS = 0.04;
/** Timed blocks of each swept FMA kernel (fewer when the benchmark asks for fewer repeats). */
const FMA_SWEEP_BLOCKS = 3;
/**
 * Timed blocks of each other limit (bandwidth), likewise: the limit that a block is set
 * against is measured again after every block, so many rounds need no more of these.
 */
const OTHER_LIMIT_BLOCKS = 5;
/** Dispatches per block are capped: past this a block is long enough on any device. */
const MAX_DISPATCHES = 4096;

export interface LimitMeasurement {
  /** Median over the timed blocks, with their spread. */
  readonly value: number;
  readonly min: number;
  readonly max: number;
  /**
   * Blocks timed after the warm-up, and the work per block: dispatches or loop trips (GPU)
   * or work units (CPU).
   */
  readonly repeats: number;
  readonly blockSize: number;
}

/** One kernel of an FMA sweep, as the reports name it, and its own measured rate. */
export interface SweptKernel {
  readonly config: string;
  readonly gflops: LimitMeasurement;
}

/**
 * A device's multiply-add limit: the best of a sweep of kernels, each measured alone in the
 * same way. `gflops` is the winner's own measurement, so no swept kernel's rate exceeds it.
 */
export interface FmaLimit {
  readonly gflops: LimitMeasurement;
  /** The winning kernel, in words. */
  readonly config: string;
  /** Every kernel of the sweep, in the order measured. */
  readonly sweep: readonly SweptKernel[];
}

export interface GpuLimits {
  readonly gflops: LimitMeasurement;
  /** The FMA kernel that set the limit, in words, and the sweep it won. */
  readonly fmaConfig: string;
  readonly fmaSweep: readonly SweptKernel[];
  readonly gbps: LimitMeasurement;
  /** Bytes of each buffer of the copy kernel. */
  readonly streamBytes: number;
}

/** A device's limit benchmarks, kept ready between measurements until closed. */
export interface LimitProbe<Limits> {
  /** Warm-up, calibration and `repeats` timed blocks of each benchmark. */
  measure(repeats: number): Promise<Limits>;
  /** One more block of the winning FMA kernel, of the length `measure` calibrated (it must have run): GFLOP/s. */
  fmaRate: () => Promise<number>;
  close(): void;
}

/** One kernel of a device's FMA sweep: a block runs `size` units of work in the seconds it returns. */
export interface FmaKernel {
  readonly config: string;
  block(size: number): Promise<number>;
  gflops(seconds: number, size: number): number;
  /** How `measure` calibrates the block: its first size, largest size and least length. */
  readonly calibration: Calibration;
}

/**
 * The probe of a device whose FMA kernels are `kernels`: `measure` times each of them
 * (at most FMA_SWEEP_BLOCKS blocks each, so `repeats` does not multiply the sweep), keeps
 * the fastest by its median for `fmaRate`, then `measureRest` measures the device's other
 * limits (at most OTHER_LIMIT_BLOCKS blocks each) and assembles them with the FMA limit.
 */
export function limitProbe<Limits>(
  kernels: readonly FmaKernel[],
  measureRest: (fma: FmaLimit, repeats: number) => Promise<Limits>,
  close: () => void,
): LimitProbe<Limits> {
  let winner: { kernel: FmaKernel; size: number } | null = null;
  return {
    async measure(repeats) {
      const blocks = Math.min(repeats, FMA_SWEEP_BLOCKS);
      const sweep: SweptKernel[] = [];
      let best: { kernel: FmaKernel; measured: LimitMeasurement } | null = null;
      for (const kernel of kernels) {
        const measured = await measure(
          (size) => kernel.block(size),
          blocks,
          (seconds, size) => kernel.gflops(seconds, size),
          kernel.calibration,
        );
        sweep.push({ config: kernel.config, gflops: measured });
        if (!best || measured.value > best.measured.value) best = { kernel, measured };
      }
      if (!best) throw new Error('limitProbe: no FMA kernels to sweep');
      winner = { kernel: best.kernel, size: best.measured.blockSize };
      return measureRest(
        { gflops: best.measured, config: best.kernel.config, sweep },
        Math.min(repeats, OTHER_LIMIT_BLOCKS),
      );
    },
    async fmaRate() {
      if (winner === null) throw new Error('fmaRate: measure the limits first');
      const { kernel, size } = winner;
      return kernel.gflops(await kernel.block(size), size);
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
    const grid = (groups: number): [number, number] => {
      const x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
      return [x, Math.ceil(groups / x)];
    };
    device.pushErrorScope('validation');
    const invocations = isSoftwareAdapter(gpu.adapter) ? SOFTWARE_FMA_INVOCATIONS : FMA_INVOCATIONS;
    const sink = buffer(invocations * 16, GPUBufferUsage.STORAGE);
    const params = buffer(48, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    device.queue.writeBuffer(
      params,
      0,
      new Float32Array([0.9999, 0.9999, 0.9999, 0.9999, 1e-4, 1e-4, 1e-4, 1e-4]),
    );
    const fmaKernels = await Promise.all(
      GPU_FMA_SWEEP.map((config) => gpuFmaKernel(device, config, invocations, params, sink, grid)),
    );

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

    const streamGrid = grid(Math.ceil(vec4s / WG));
    const streamPace = new PacedWait();
    const streamBlock = (dispatches: number) =>
      timeBlock(
        device,
        streamPipeline,
        streamGroup,
        streamGrid,
        dispatches,
        streamPace,
        dispatches,
      );
    return limitProbe(
      fmaKernels,
      async (fma, repeats) => {
        const gbps = await measure(
          streamBlock,
          repeats,
          (seconds, k) => (2 * streamBytes * k) / seconds / 1e9,
        );
        return {
          gflops: fma.gflops,
          fmaConfig: fma.config,
          fmaSweep: fma.sweep,
          gbps,
          streamBytes,
        };
      },
      close,
    );
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * One swept GPU FMA kernel: a block is one dispatch of `invocations` invocations, each
 * running the loop `size` trips (written to the shared uniform before the dispatch).
 */
async function gpuFmaKernel(
  device: GPUDevice,
  config: GpuFmaConfig,
  invocations: number,
  params: GPUBuffer,
  sink: GPUBuffer,
  grid: (groups: number) => [number, number],
): Promise<FmaKernel> {
  const module = device.createShaderModule({
    label: `bench fma (${gpuFmaLabel(config)})`,
    code: composeShader({ fma: gpuFmaKernelSource(config) }, ['fma'], {
      WG: config.workgroupSize,
    }),
  });
  const pipeline = await device.createComputePipelineAsync({
    label: 'fma_chains',
    layout: 'auto',
    compute: { module, entryPoint: 'fma_chains' },
  });
  const group = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: params } },
      { binding: 1, resource: { buffer: sink } },
    ],
  });
  const [x, y] = grid(invocations / config.workgroupSize);
  // The grid may round up past the sink: the extra invocations still compute.
  const flopPerTrip = x * y * config.workgroupSize * gpuFmaFlopPerTrip(config);
  const pace = new PacedWait();
  return {
    config: gpuFmaLabel(config),
    block: (trips) => {
      device.queue.writeBuffer(params, 32, new Uint32Array([trips]));
      return timeBlock(device, pipeline, group, [x, y], 1, pace, trips);
    },
    gflops: (seconds, trips) => (flopPerTrip * trips) / seconds / 1e9,
    calibration: { start: MIN_FMA_TRIPS, max: MAX_FMA_TRIPS, seconds: FMA_BLOCK_SECONDS },
  };
}

/**
 * Seconds from submitting `dispatches` dispatches in one pass to their completion, waited
 * for by `pace` as a block of `size` units.
 */
async function timeBlock(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  [x, y]: [number, number],
  dispatches: number,
  pace: PacedWait,
  size: number,
): Promise<number> {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  for (let k = 0; k < dispatches; k++) pass.dispatchWorkgroups(x, y);
  pass.end();
  const commands = encoder.finish();
  device.queue.submit([commands]);
  return pace.wait(size, () => device.queue.onSubmittedWorkDone());
}

/** How `measure` sizes a block: its first size, its largest, and the length to reach. */
export interface Calibration {
  readonly start: number;
  readonly max: number;
  readonly seconds: number;
}

const DISPATCH_CALIBRATION: Calibration = {
  start: 1,
  max: MAX_DISPATCHES,
  seconds: TARGET_BLOCK_SECONDS,
};

/**
 * Warm-up and calibration (a block at the first size, then as large as makes a block last
 * the calibration's seconds), then `repeats` timed blocks; `rate` turns a block's seconds
 * and size into the figure.
 */
export async function measure(
  block: (size: number) => Promise<number>,
  repeats: number,
  rate: (seconds: number, size: number) => number,
  calibration: Calibration = DISPATCH_CALIBRATION,
): Promise<LimitMeasurement> {
  let size = calibration.start;
  await block(size);
  let seconds = await block(size);
  while (seconds < calibration.seconds && size < calibration.max) {
    const factor = Math.min(
      16,
      Math.max(2, Math.ceil(calibration.seconds / Math.max(seconds, 1e-6))),
    );
    size = Math.min(calibration.max, size * factor);
    seconds = await block(size);
  }
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) rates.push(rate(await block(size), size));
  const { median, min, max } = summarize(rates);
  return { value: median, min, max, repeats, blockSize: size };
}
