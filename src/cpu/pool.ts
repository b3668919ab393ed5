// Threads for the CPU reference: Node worker_threads or browser Web Workers behind one small
// interface. Node modules are imported dynamically, under names the bundler does not follow,
// so this module still bundles for the browser.
import type { Worker as NodeWorker } from 'node:worker_threads';

/** What a worker sends to the main thread. */
export type WorkerReply =
  | { readonly type: 'loaded' }
  | { readonly type: 'ready' }
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly message: string };

/** One thread as the main thread sees it. */
export interface Thread {
  post(message: unknown): void;
  terminate(): void;
  /** Node: whether a waiting thread keeps the process alive; no-op in the browser. */
  keepAlive(on: boolean): void;
}

export interface ThreadEvents {
  message(index: number, reply: WorkerReply): void;
  /** The thread failed outside a job (load error, crash, exit). */
  failure(index: number, error: Error): void;
}

const NODE_WORKER_THREADS = 'node:worker_threads';
const NODE_OS = 'node:os';
const BOOT_SCRIPT = './worker-boot.mjs';
const WORKER_ENTRY = './worker.ts';

export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** All cores: os.availableParallelism() in Node, navigator.hardwareConcurrency in a browser. */
export async function defaultThreadCount(): Promise<number> {
  if (isNode()) {
    const os = (await import(/* @vite-ignore */ NODE_OS)) as typeof import('node:os');
    return os.availableParallelism();
  }
  return Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
}

/**
 * The host's memory in bytes: os.totalmem() in Node; in a browser navigator.deviceMemory
 * (GiB, Chromium only, coarse and capped at 8: a lower bound), else null.
 */
export async function hostMemoryBytes(): Promise<number | null> {
  if (isNode()) {
    const os = (await import(/* @vite-ignore */ NODE_OS)) as typeof import('node:os');
    return os.totalmem();
  }
  const gib = (globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined)
    ?.deviceMemory;
  return gib === undefined ? null : gib * 2 ** 30;
}

/** A short name of the platform the threads run on: the CPU architecture in Node. */
export function platformName(): string {
  return isNode() ? process.arch : 'Web Workers';
}

/** Starts `count` threads running worker.ts; resolves once each has loaded and said so. */
export async function startThreads(count: number, events: ThreadEvents): Promise<Thread[]> {
  const threads: Thread[] = [];
  const loaded: Promise<void>[] = [];
  for (let index = 0; index < count; index++) {
    let onLoaded = (): void => {};
    let onFailed = (_error: Error): void => {};
    loaded.push(
      new Promise<void>((resolve, reject) => {
        onLoaded = resolve;
        onFailed = reject;
      }),
    );
    let isLoaded = false;
    const relay: ThreadEvents = {
      message(i, reply) {
        if (!isLoaded && reply.type === 'loaded') {
          isLoaded = true;
          onLoaded();
        } else events.message(i, reply);
      },
      failure(i, error) {
        if (!isLoaded) onFailed(error);
        else events.failure(i, error);
      },
    };
    threads.push(isNode() ? await startNodeThread(index, relay) : startWebThread(index, relay));
  }
  try {
    await Promise.all(loaded);
  } catch (error) {
    for (const thread of threads) thread.terminate();
    throw error;
  }
  return threads;
}

async function startNodeThread(index: number, events: ThreadEvents): Promise<Thread> {
  const { Worker } = (await import(
    /* @vite-ignore */ NODE_WORKER_THREADS
  )) as typeof import('node:worker_threads');
  // worker-boot.mjs registers tsx for a TypeScript entry (the sources), then imports it.
  const worker: NodeWorker = new Worker(new URL(BOOT_SCRIPT, import.meta.url), {
    workerData: { entry: new URL(WORKER_ENTRY, import.meta.url).href },
  });
  let terminated = false;
  worker.on('message', (reply: WorkerReply) => events.message(index, reply));
  worker.on('error', (error: Error) => events.failure(index, error));
  worker.on('exit', (code: number) => {
    if (!terminated) events.failure(index, new Error(`CPU worker ${index} exited (code ${code})`));
  });
  return {
    post: (message) => worker.postMessage(message),
    terminate: () => {
      terminated = true;
      void worker.terminate();
    },
    keepAlive: (on) => (on ? worker.ref() : worker.unref()),
  };
}

function startWebThread(index: number, events: ThreadEvents): Thread {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<WorkerReply>) => events.message(index, event.data);
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    events.failure(index, new Error(`CPU worker ${index}: ${event.message}`));
  };
  return {
    post: (message) => worker.postMessage(message),
    terminate: () => worker.terminate(),
    keepAlive: () => {},
  };
}
