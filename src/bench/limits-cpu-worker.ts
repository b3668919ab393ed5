// A thread of the CPU limit benchmarks (limits-cpu.ts): runs the job it is sent and says
// when it is done. Started through src/cpu/worker-boot.mjs, which registers tsx first.
import { parentPort } from 'node:worker_threads';
import { FMA_ARRAY_LENGTH, type CpuLimitJob } from './limits-cpu';

if (!parentPort) throw new Error('src/bench/limits-cpu-worker.ts must run in a worker thread');
const port = parentPort;

const accumulators = new Float64Array(FMA_ARRAY_LENGTH).map((_, j) => 0.5 + j * 1e-6);
let from = new Float32Array(0);
let to = new Float32Array(0);
let sink = 0;

port.on('message', (job: CpuLimitJob) => {
  if (job.kind === 'fma') {
    // Independent multiply-adds across j, so they pipeline; values stay near 1.
    const x = accumulators;
    const m = 0.9999;
    const c = 1e-4;
    for (let pass = 0; pass < job.passes; pass++) {
      for (let j = 0; j < FMA_ARRAY_LENGTH; j++) x[j] = x[j]! * m + c;
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
