// A thread of the CPU limit benchmarks (limits-cpu.ts): runs the job it is sent with the loops
// of limits-cpu-loops.ts and says when it is done. A Node worker thread (started through
// src/cpu/worker-boot.mjs, which registers tsx first) or a browser Web Worker; Node's module is
// imported under a name the bundler does not follow, so this file bundles for the browser.
import { createLimitLoops, type CpuLimitJob } from './limits-cpu-loops';

const NODE_WORKER_THREADS = 'node:worker_threads';

interface Endpoint {
  post(message: unknown): void;
  listen(handler: (job: CpuLimitJob) => void): void;
}

async function endpoint(): Promise<Endpoint> {
  if (typeof process !== 'undefined' && typeof process.versions?.node === 'string') {
    const { parentPort } = (await import(
      /* @vite-ignore */ NODE_WORKER_THREADS
    )) as typeof import('node:worker_threads');
    if (!parentPort) throw new Error('src/bench/limits-cpu-worker.ts must run in a worker thread');
    return {
      post: (message) => parentPort.postMessage(message),
      listen: (handler) => parentPort.on('message', handler),
    };
  }
  const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
  return {
    post: (message) => scope.postMessage(message),
    listen: (handler) => {
      scope.onmessage = (event: MessageEvent<CpuLimitJob>) => handler(event.data);
    },
  };
}

const port = await endpoint();
const loops = createLimitLoops();
port.listen((job) => port.post({ done: true, sink: loops.run(job) }));
port.post({ loaded: true });
