// The CPU's own limits, measured on the spot on all benchmark threads at once: multiply-add
// throughput (a tight float64 loop) and memory bandwidth (float32 copies of buffers far
// larger than the caches), both in limits-cpu-loops.ts. A timed block is one job run by every
// thread; its time is from posting the job to the last thread's reply. The figure is the
// median of the blocks after a warm-up and a calibration that makes a block last
// ≥ TARGET_BLOCK_SECONDS. The threads stay up until the probe is closed, so that the FMA rate
// can be measured again between the benchmark's timed blocks. They are Node worker_threads or
// browser Web Workers; Node's module is imported under a name the bundler does not follow, so
// this bundles for the browser.
import { FMA_ARRAY_LENGTH, FMA_ROUNDS, type CpuLimitJob } from './limits-cpu-loops';
import { limitProbe, measure, type LimitMeasurement, type LimitProbe } from './limits-gpu';

export { FMA_ARRAY_LENGTH, FMA_ROUNDS, type CpuLimitJob } from './limits-cpu-loops';

/** Floats of each of a thread's two copy buffers: 32 MiB each, past any last-level cache share. */
const COPY_FLOATS = 8 * 2 ** 20;
const FLOAT_BYTES = 4;
/** One calibration unit of work per thread. */
const FMA_PASSES_PER_UNIT = 16;
const NODE_WORKER_THREADS = 'node:worker_threads';
const BOOT_SCRIPT = '../cpu/worker-boot.mjs';
const WORKER_ENTRY = './limits-cpu-worker.ts';

export interface CpuLimits {
  readonly gflops: LimitMeasurement;
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
  const fmaBlock = (units: number) => block({ kind: 'fma', passes: units * FMA_PASSES_PER_UNIT });
  const fmaFlop = threads * FMA_PASSES_PER_UNIT * FMA_ARRAY_LENGTH * FMA_ROUNDS * 2;
  const fmaGflops = (seconds: number, units: number) => (fmaFlop * units) / seconds / 1e9;
  const copyBytes = threads * 2 * COPY_FLOATS * FLOAT_BYTES;
  return limitProbe(
    fmaBlock,
    fmaGflops,
    async (gflops, repeats) => {
      const gbps = await measure(
        (units) => block({ kind: 'copy', passes: units, floats: COPY_FLOATS }),
        repeats,
        (seconds, units) => (copyBytes * units) / seconds / 1e9,
      );
      return { gflops, gbps, threads };
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
