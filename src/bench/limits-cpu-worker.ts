// A thread of the CPU limit benchmarks (limits-cpu.ts): runs the job it is sent and says
// when it is done. Started through src/cpu/worker-boot.mjs, which registers tsx first.
import { parentPort } from 'node:worker_threads';
import { FMA_ARRAY_LENGTH, FMA_ROUNDS, type CpuLimitJob } from './limits-cpu';

if (!parentPort) throw new Error('src/bench/limits-cpu-worker.ts must run in a worker thread');
const port = parentPort;

const accumulators = new Float64Array(FMA_ARRAY_LENGTH).map((_, j) => 0.5 + j * 1e-6);
let from = new Float32Array(0);
let to = new Float32Array(0);
let sink = 0;

port.on('message', (job: CpuLimitJob) => {
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
  port.postMessage({ done: true, sink });
});
port.postMessage({ loaded: true });
