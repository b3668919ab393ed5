// The loops of the CPU limit benchmarks, one implementation for the Node worker threads and
// the browser's Web Workers (limits-cpu-worker.ts runs them in either). Pure: no I/O.
import {
  instantiateWasmFma,
  WASM_FMA_UNROLL,
  wasmFmaLanes,
  type WasmFmaConfig,
  type WasmFmaRun,
} from './limits-cpu-wasm';

/**
 * The kernels of the CPU's multiply-add sweep: scalar float64 in JavaScript (what V8 emits
 * for plain loops) and WebAssembly SIMD, f64x2 and f32x4, with 4, 8 and 16 chains.
 */
export type CpuFmaKernel =
  { readonly kind: 'js-f64' } | ({ readonly kind: 'wasm' } & WasmFmaConfig);

export const CPU_FMA_SWEEP: readonly CpuFmaKernel[] = [
  { kind: 'js-f64' },
  ...(['f64x2', 'f32x4'] as const).flatMap((lanes) =>
    ([4, 8, 16] as const).map((chains) => ({ kind: 'wasm' as const, lanes, chains })),
  ),
];

/** Multiply-adds (of scalars) of one unit of a kernel's work on one thread. */
export const FMA_UNIT_MULTIPLY_ADDS = 2 ** 18;

/** The kernel in words, for the reports. */
export function cpuFmaLabel(kernel: CpuFmaKernel): string {
  return kernel.kind === 'js-f64'
    ? 'JavaScript float64, 8 scalar chains'
    : `WebAssembly ${kernel.lanes}, ${kernel.chains} chains`;
}

/** Loop trips of a WebAssembly kernel per unit of work. */
export function wasmTripsPerUnit(kernel: WasmFmaConfig): number {
  return FMA_UNIT_MULTIPLY_ADDS / (kernel.chains * WASM_FMA_UNROLL * wasmFmaLanes(kernel.lanes));
}

export type CpuLimitJob =
  | { readonly kind: 'fma'; readonly kernel: CpuFmaKernel; readonly units: number }
  | { readonly kind: 'copy'; readonly passes: number; readonly floats: number };

/** Accumulators of the JavaScript FMA loop (a multiple of 8, its chains per group): 2 KiB, in L1. */
const FMA_ARRAY_LENGTH = 256;
/** Multiply-adds of each accumulator per pass, in registers between a load and a store. */
const FMA_ROUNDS = 64;
const PASSES_PER_UNIT = FMA_UNIT_MULTIPLY_ADDS / (FMA_ARRAY_LENGTH * FMA_ROUNDS);

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
  const wasmKernels = new Map<string, WasmFmaRun>();
  return {
    run(job) {
      if (job.kind === 'fma' && job.kernel.kind === 'wasm') {
        const { kernel } = job;
        const key = cpuFmaLabel(kernel);
        let run = wasmKernels.get(key);
        if (!run) wasmKernels.set(key, (run = instantiateWasmFma(kernel)));
        sink += run(job.units * wasmTripsPerUnit(kernel), 0.9999, 1e-4, 0.5);
      } else if (job.kind === 'fma') {
        // Eight independent chains held in registers for FMA_ROUNDS multiply-adds, then stored:
        // the loads and stores are a small part, and the chains hide the add latency. V8 emits
        // scalar code, so this is the rate JavaScript reaches, not the cores' SIMD peak.
        const x = accumulators;
        const m = 0.9999;
        const c = 1e-4;
        for (let pass = 0; pass < job.units * PASSES_PER_UNIT; pass++) {
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
