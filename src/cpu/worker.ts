// A CPU reference thread. It receives the shared memory once, then serves jobs: the main
// thread bumps Control.generation and this thread, blocked in Atomics.wait, runs the job on
// its share of the chunks. Within a job threads meet at barriers on the shared control
// block; the last thread to finish a job tells the main thread with one message.
import { loss as lossOf } from '../contract/model';
import { minibatchIndex } from '../contract/philox';
import { ParticleKernel } from './kernel';
import { chunkRange, type KernelConfig } from './kernel-config';
import { Command, Control, Param, shareOf, viewsOf, type SharedMemory, type Views } from './layout';
import type { WorkerReply } from './pool';
import { lossTerms, residualWeights } from './reduce';

export interface WorkerInit {
  readonly type: 'init';
  readonly index: number;
  readonly threads: number;
  readonly cfg: KernelConfig;
  readonly memory: SharedMemory;
}

/** Loads of the barrier word before sleeping: a step of a few hundred µs or less is common. */
const BARRIER_SPINS = 20_000;

interface Endpoint {
  post: (reply: WorkerReply) => void;
  listen(handler: (message: WorkerInit) => void): void;
}

const NODE_WORKER_THREADS = 'node:worker_threads';

async function endpoint(): Promise<Endpoint> {
  if (typeof process !== 'undefined' && typeof process.versions?.node === 'string') {
    const { parentPort } = (await import(
      /* @vite-ignore */ NODE_WORKER_THREADS
    )) as typeof import('node:worker_threads');
    if (!parentPort) throw new Error('src/cpu/worker.ts must run in a worker thread');
    return {
      post: (reply) => parentPort.postMessage(reply),
      listen: (handler) => parentPort.on('message', handler),
    };
  }
  const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
  return {
    post: (reply) => scope.postMessage(reply),
    listen: (handler) => {
      scope.onmessage = (event: MessageEvent<WorkerInit>) => handler(event.data);
    },
  };
}

class CpuThread {
  private readonly v: Views;
  private readonly kernel: ParticleKernel;
  private readonly chunkStart: number;
  private readonly chunkEnd: number;
  private readonly lossFns: ReturnType<typeof lossOf>;
  /** Minibatch inputs and labels of the current and the next step (full batch: the data). */
  private batch: Float32Array;
  private batchY: Float32Array;
  private nextBatch: Float32Array;
  private nextBatchY: Float32Array;
  private readonly weights: Float64Array;
  private readonly words = new Uint32Array(4);

  constructor(
    private readonly cfg: KernelConfig,
    memory: SharedMemory,
    private readonly index: number,
    private readonly threads: number,
  ) {
    this.v = viewsOf(cfg, memory);
    [this.chunkStart, this.chunkEnd] = shareOf(index, threads, cfg.chunks);
    const first = chunkRange(cfg, this.chunkStart)[0];
    const end = chunkRange(cfg, this.chunkEnd - 1)[1];
    this.kernel = new ParticleKernel(cfg, this.v.particles, first, end);
    this.lossFns = lossOf(cfg.loss, cfg.huberDelta);
    if (cfg.full) {
      this.batch = this.nextBatch = this.v.trainZ;
      this.batchY = this.nextBatchY = this.v.trainY;
    } else {
      this.batch = new Float32Array(cfg.batch * cfg.p);
      this.nextBatch = new Float32Array(cfg.batch * cfg.p);
      this.batchY = new Float32Array(cfg.batch);
      this.nextBatchY = new Float32Array(cfg.batch);
    }
    this.weights = new Float64Array(cfg.batch);
  }

  generation(): number {
    return Atomics.load(this.v.control, Control.generation);
  }

  /**
   * Serves jobs until terminated. `seen` is the job generation read before this thread said
   * it was ready: a job started since then must not be missed.
   */
  serve(seen: number): never {
    const control = this.v.control;
    for (;;) {
      Atomics.wait(control, Control.generation, seen);
      const generation = Atomics.load(control, Control.generation);
      if (generation === seen) continue;
      seen = generation;
      try {
        this.job(Atomics.load(control, Control.command));
      } catch (error) {
        // The other threads may now wait at a barrier for ever: the simulation is lost.
        reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
        continue;
      }
      if (Atomics.add(control, Control.done, 1) === this.threads - 1) {
        Atomics.store(control, Control.done, 0);
        reply({ type: 'done' });
      }
    }
  }

  private job(command: number): void {
    const params = this.v.params;
    switch (command) {
      case Command.init:
        for (let chunk = this.chunkStart; chunk < this.chunkEnd; chunk++) {
          const [i0, i1] = chunkRange(this.cfg, chunk);
          this.kernel.init(i0, i1);
        }
        return;
      case Command.run:
        this.run(params[Param.step]!, params[Param.steps]!, params[Param.forwardValid] === 1);
        return;
      case Command.loss:
        this.loss(params[Param.split] === 0 ? 'train' : 'test');
        return;
      default:
        throw new Error(`unknown CPU job ${command}`);
    }
  }

  /** Steps k0 … k0+steps−1; sums[k mod 2] holds the forward sums of step k's batch. */
  private run(k0: number, steps: number, forwardValid: boolean): void {
    const { cfg, v, kernel } = this;
    const B = cfg.batch;
    /** Sums of chunk c for slot b of the batch of step k: (k mod 2)·half + c·B + b. */
    const half = cfg.chunks * B;
    this.gatherBatch(k0, this.batch, this.batchY);
    if (!forwardValid && B > 0) {
      for (let chunk = this.chunkStart; chunk < this.chunkEnd; chunk++) {
        const [i0, i1] = chunkRange(cfg, chunk);
        kernel.forward(i0, i1, this.batch, 0, B, v.sums, (k0 % 2) * half + chunk * B, true);
      }
      this.barrier();
    }
    for (let s = 0; s < steps; s++) {
      const k = k0 + s;
      const next = ((k + 1) % 2) * half;
      this.gatherBatch(k + 1, this.nextBatch, this.nextBatchY);
      if (B > 0) {
        const sums = (k % 2) * half;
        residualWeights(cfg, this.lossFns.slope, v.sums, sums, B, this.batchY, this.weights);
      }
      for (let chunk = this.chunkStart; chunk < this.chunkEnd; chunk++) {
        const [i0, i1] = chunkRange(cfg, chunk);
        kernel.step(i0, i1, k, this.batch, this.weights, this.nextBatch, v.sums, next + chunk * B);
      }
      if (!cfg.full) this.swapBatches();
      // The last step's sums are read by the next job only, after the main thread's go.
      if (s + 1 < steps) this.barrier();
    }
  }

  private swapBatches(): void {
    const { batch, batchY } = this;
    this.batch = this.nextBatch;
    this.batchY = this.nextBatchY;
    this.nextBatch = batch;
    this.nextBatchY = batchY;
  }

  /** Minibatch S_k: rows I_{k,b} of the training data (SPEC §3). */
  private gatherBatch(k: number, z: Float32Array, y: Float32Array): void {
    const { cfg, v } = this;
    if (cfg.full || cfg.batch === 0) return;
    const p = cfg.p;
    for (let b = 0; b < cfg.batch; b++) {
      const m = minibatchIndex(b, k, cfg.trainCount, cfg.key, this.words);
      for (let j = 0; j < p; j++) z[b * p + j] = v.trainZ[m * p + j]!;
      y[b] = v.trainY[m]!;
    }
  }

  /** Φ(y_m − f(z_m)) of every point of a split into lossTerms, a block of points at a time. */
  private loss(split: 'train' | 'test'): void {
    const { cfg, v, kernel } = this;
    const z = split === 'train' ? v.trainZ : v.testZ;
    const y = split === 'train' ? v.trainY : v.testY;
    const count = split === 'train' ? cfg.trainCount : cfg.testCount;
    const block = cfg.lossBlock;
    for (let m0 = 0; m0 < count; m0 += block) {
      const points = Math.min(block, count - m0);
      for (let chunk = this.chunkStart; chunk < this.chunkEnd; chunk++) {
        const [i0, i1] = chunkRange(cfg, chunk);
        kernel.forward(i0, i1, z, m0, points, v.lossSums, chunk * block, false);
      }
      this.barrier();
      const [first, end] = shareOf(this.index, this.threads, points);
      lossTerms(cfg, this.lossFns.value, v.lossSums, block, y, m0, first, end, v.lossTerms);
      if (m0 + block < count) this.barrier();
    }
  }

  /** All threads of the job meet here; sense by generation, spin briefly, then sleep. */
  private barrier(): void {
    const control = this.v.control;
    const generation = Atomics.load(control, Control.barrierGeneration);
    if (Atomics.add(control, Control.barrierCount, 1) === this.threads - 1) {
      Atomics.store(control, Control.barrierCount, 0);
      Atomics.add(control, Control.barrierGeneration, 1);
      Atomics.notify(control, Control.barrierGeneration);
      return;
    }
    for (let spin = 0; spin < BARRIER_SPINS; spin++) {
      if (Atomics.load(control, Control.barrierGeneration) !== generation) return;
    }
    while (Atomics.load(control, Control.barrierGeneration) === generation) {
      Atomics.wait(control, Control.barrierGeneration, generation);
    }
  }
}

let reply: (message: WorkerReply) => void = () => {};

const port = await endpoint();
reply = port.post;
port.listen((message) => {
  if (message.type !== 'init') return;
  const thread = new CpuThread(message.cfg, message.memory, message.index, message.threads);
  const generation = thread.generation();
  reply({ type: 'ready' });
  thread.serve(generation);
});
reply({ type: 'loaded' });
