// The loops of the CPU limit benchmarks, one implementation for the Node worker threads and
// the browser's Web Workers (limits-cpu-worker.ts runs them in either). Pure: no I/O.

export type CpuLimitJob =
  | { readonly kind: 'fma'; readonly passes: number }
  | { readonly kind: 'copy'; readonly passes: number; readonly floats: number };

/** Accumulators of the FMA loop (a multiple of 8, its chains per group): 2 KiB, in L1. */
export const FMA_ARRAY_LENGTH = 256;
/** Multiply-adds of each accumulator per pass, in registers between a load and a store. */
export const FMA_ROUNDS = 64;

/** One thread's state: the accumulators and the copy buffers, kept between jobs. */
export interface LimitLoops {
  /** Runs the job; returns a value that depends on all the work, so none of it is dropped. */
  run(job: CpuLimitJob): number;
}

export function createLimitLoops(): LimitLoops {
  const accumulators = new Float64Array(FMA_ARRAY_LENGTH).map((_, j) => 0.5 + j * 1e-6);
  let from = new Float32Array(0);
  let to = new Float32Array(0);
  let sink = 0;
  return {
    run(job) {
      if (job.kind === 'fma') {
        // Eight independent chains held in registers for FMA_ROUNDS multiply-adds, then stored:
        // the loads and stores are a small part, and the chains hide the add latency. V8 emits
        // scalar code, so this is the rate JavaScript reaches, not the cores' SIMD peak.
        const x = accumulators;
        const m = 0.9999;
        const c = 1e-4;
        for (let pass = 0; pass < job.passes; pass++) {
          for (let j = 0; j < FMA_ARRAY_LENGTH; j += 8) {
            let a0 = x[j]!,
              a1 = x[j + 1]!,
              a2 = x[j + 2]!,
              a3 = x[j + 3]!;
            let a4 = x[j + 4]!,
              a5 = x[j + 5]!,
              a6 = x[j + 6]!,
              a7 = x[j + 7]!;
            for (let r = 0; r < FMA_ROUNDS; r++) {
              a0 = a0 * m + c;
              a1 = a1 * m + c;
              a2 = a2 * m + c;
              a3 = a3 * m + c;
              a4 = a4 * m + c;
              a5 = a5 * m + c;
              a6 = a6 * m + c;
              a7 = a7 * m + c;
            }
            x[j] = a0;
            x[j + 1] = a1;
            x[j + 2] = a2;
            x[j + 3] = a3;
            x[j + 4] = a4;
            x[j + 5] = a5;
            x[j + 6] = a6;
            x[j + 7] = a7;
          }
        }
        sink += x[0]!;
      } else {
        if (from.length !== job.floats) {
          from = new Float32Array(job.floats).fill(1);
          to = new Float32Array(job.floats);
        }
        // TypedArray.set is a memory copy: every byte read once and written once.
        for (let pass = 0; pass < job.passes; pass++) to.set(from);
        sink += to[job.floats - 1]!;
      }
      return sink;
    },
  };
}
