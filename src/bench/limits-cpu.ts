// The CPU's own limits, measured on the spot on all benchmark threads at once: multiply-add
// throughput (the best of a sweep of kernels: scalar float64 JavaScript, WebAssembly SIMD
// f64x2 and f32x4) and memory bandwidth (float32 copies of buffers far larger than the
// caches), all in limits-cpu-loops.ts. A timed block is one job run by every
// thread; its time is from posting the job to the last thread's reply. The figure is the
// median of the blocks after a warm-up and a calibration that makes a block last long enough
// (limits-gpu.ts measure: FMA_BLOCK_SECONDS for an FMA kernel). The threads stay up until the probe is closed, so that the FMA rate
// can be measured again between the benchmark's timed blocks. They are Node worker_threads or
// browser Web Workers; Node's module is imported under a name the bundler does not follow, so
// this bundles for the browser.
import {
  CPU_FMA_SWEEP,
  cpuFmaLabel,
  FMA_UNIT_MULTIPLY_ADDS,
  type CpuLimitJob,
} from './limits-cpu-loops';
import {
  FMA_BLOCK_SECONDS,
  limitProbe,
  measure,
  type FmaKernel,
  type LimitMeasurement,
  type LimitProbe,
  type SweptKernel,
} from './limits-gpu';

/** Floats of each of a thread's two copy buffers: 32 MiB each, past any last-level cache share. */
const COPY_FLOATS = 8 * 2 ** 20;
const FLOAT_BYTES = 4;
/** Units of FMA work per thread a block may grow to (about 10^9 multiply-adds). */
const MAX_FMA_UNITS = 4096;
const NODE_WORKER_THREADS = 'node:worker_threads';
const BOOT_SCRIPT = '../cpu/worker-boot.mjs';
const WORKER_ENTRY = './limits-cpu-worker.ts';

export interface CpuLimits {
  readonly gflops: LimitMeasurement;
  /** The FMA kernel that set the limit, in words, and the sweep it won. */
  readonly fmaConfig: string;
  readonly fmaSweep: readonly SweptKernel[];
  readonly gbps: LimitMeasurement;
  readonly threads: number;
}

/** A limit thread as the main thread sees it. */
interface LimitThread {
  run(job: CpuLimitJob): Promise<void>;
  terminate(): void;
}

export async function openCpuLimits(threads: number): Promise<LimitProbe<CpuLimits>> {
  const started = await Promise.allSettled(Array.from({ length: threads }, startThread));
  const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const close = (): void => {
    for (const worker of workers) worker.terminate();
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    close();
    throw failed.reason;
  }
  const block = async (job: CpuLimitJob): Promise<number> => {
    const start = performance.now();
    await Promise.all(workers.map((worker) => worker.run(job)));
    return (performance.now() - start) / 1000;
  };
  const unitFlop = threads * FMA_UNIT_MULTIPLY_ADDS * 2;
  const kernels = CPU_FMA_SWEEP.map((kernel): FmaKernel => ({
    config: cpuFmaLabel(kernel),
    block: (units) => block({ kind: 'fma', kernel, units }),
    gflops: (seconds, units) => (unitFlop * units) / seconds / 1e9,
    calibration: { start: 8, max: MAX_FMA_UNITS, seconds: FMA_BLOCK_SECONDS },
  }));
  const copyBytes = threads * 2 * COPY_FLOATS * FLOAT_BYTES;
  return limitProbe(
    kernels,
    async (fma, repeats) => {
      const gbps = await measure(
        (units) => block({ kind: 'copy', passes: units, floats: COPY_FLOATS }),
        repeats,
        (seconds, units) => (copyBytes * units) / seconds / 1e9,
      );
      return { gflops: fma.gflops, fmaConfig: fma.config, fmaSweep: fma.sweep, gbps, threads };
    },
    close,
  );
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** Starts one limit thread; resolves once it has loaded and said so (its first reply). */
async function startThread(): Promise<LimitThread> {
  let onReply = (): void => {};
  let onFailure = (_error: Error): void => {};
  let terminate: () => void;
  let send: (job: CpuLimitJob) => void;
  if (isNode()) {
    const { Worker } = (await import(
      /* @vite-ignore */ NODE_WORKER_THREADS
    )) as typeof import('node:worker_threads');
    const worker = new Worker(new URL(BOOT_SCRIPT, import.meta.url), {
      workerData: { entry: new URL(WORKER_ENTRY, import.meta.url).href },
    });
    worker.on('message', () => onReply());
    worker.on('error', (error: Error) => onFailure(error));
    send = (job) => worker.postMessage(job);
    terminate = () => void worker.terminate();
  } else {
    const worker = new Worker(new URL('./limits-cpu-worker.ts', import.meta.url), {
      type: 'module',
    });
    worker.onmessage = () => onReply();
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      onFailure(new Error(`CPU limit worker: ${event.message}`));
    };
    send = (job) => worker.postMessage(job);
    terminate = () => worker.terminate();
  }
  const next = (): Promise<void> =>
    new Promise((resolve, reject) => {
      onReply = resolve;
      onFailure = reject;
    });
  try {
    await next();
  } catch (error) {
    terminate();
    throw error;
  }
  return {
    run: (job) => {
      const done = next();
      send(job);
      return done;
    },
    terminate,
  };
}
