// The CPU's own limits, measured on the spot on all benchmark threads at once: multiply-add
// throughput (a tight float64 loop) and memory bandwidth (float32 copies of buffers far
// larger than the caches). A timed block is one job run by every thread; its time is from
// posting the job to the last thread's reply. The figure is the median of the blocks after a
// warm-up and a calibration that makes a block last ≥ TARGET_BLOCK_SECONDS.
import { Worker } from 'node:worker_threads';
import { measure, type LimitMeasurement } from './limits-gpu';

export type CpuLimitJob =
  | { readonly kind: 'fma'; readonly passes: number }
  | { readonly kind: 'copy'; readonly passes: number; readonly floats: number };

/** Accumulators of the FMA loop (a multiple of 8, its chains per group): 2 KiB, in L1. */
export const FMA_ARRAY_LENGTH = 256;
/** Multiply-adds of each accumulator per pass, in registers between a load and a store. */
export const FMA_ROUNDS = 64;

/** Floats of each of a thread's two copy buffers: 32 MiB each, past any last-level cache share. */
const COPY_FLOATS = 8 * 2 ** 20;
const FLOAT_BYTES = 4;
/** One calibration unit of work per thread. */
const FMA_PASSES_PER_UNIT = 16;

export interface CpuLimits {
  readonly gflops: LimitMeasurement;
  readonly gbps: LimitMeasurement;
  readonly threads: number;
}

export async function measureCpuLimits(threads: number, repeats: number): Promise<CpuLimits> {
  const workers = await Promise.all(Array.from({ length: threads }, startWorker));
  try {
    const block = async (job: CpuLimitJob): Promise<number> => {
      const start = performance.now();
      await Promise.all(workers.map((worker) => run(worker, job)));
      return (performance.now() - start) / 1000;
    };
    const fmaFlop = threads * FMA_PASSES_PER_UNIT * FMA_ARRAY_LENGTH * FMA_ROUNDS * 2;
    const gflops = await measure(
      (units) => block({ kind: 'fma', passes: units * FMA_PASSES_PER_UNIT }),
      repeats,
      (seconds, units) => (fmaFlop * units) / seconds / 1e9,
    );
    const copyBytes = threads * 2 * COPY_FLOATS * FLOAT_BYTES;
    const gbps = await measure(
      (units) => block({ kind: 'copy', passes: units, floats: COPY_FLOATS }),
      repeats,
      (seconds, units) => (copyBytes * units) / seconds / 1e9,
    );
    return { gflops, gbps, threads };
  } finally {
    for (const worker of workers) void worker.terminate();
  }
}

async function startWorker(): Promise<Worker> {
  const worker = new Worker(new URL('../cpu/worker-boot.mjs', import.meta.url), {
    workerData: { entry: new URL('./limits-cpu-worker.ts', import.meta.url).href },
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return worker;
}

function run(worker: Worker, job: CpuLimitJob): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    worker.once('error', onError);
    worker.once('message', () => {
      worker.off('error', onError);
      resolve();
    });
    worker.postMessage(job);
  });
}
