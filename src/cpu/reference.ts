// The multi-threaded CPU reference backend (SPEC §2–3): the correctness reference for the
// GPU engine and the honest baseline of the benchmarks. Particles sit in shared memory;
// each worker owns a fixed share of particle chunks and runs a whole block of steps on it,
// meeting the others at one barrier a step. Results do not depend on the thread count.
import { ACTIVATIONS, LOSSES, activationCode } from '../contract/model';
import { keyFromSeed } from '../contract/philox';
import {
  DeviceLimitError,
  batchSize,
  type DataSplit,
  type Dynamics,
  type Moments,
  type Problem,
  type Simulation,
} from '../contract/simulation';
import type { KernelConfig } from './kernel-config';
import {
  Command,
  Control,
  Param,
  allocateShared,
  cachePhi,
  checkCpuSize,
  chunkPlan,
  lossBlockSize,
  viewsOf,
  type SharedMemory,
  type Views,
} from './layout';
import {
  defaultThreadCount,
  hostMemoryBytes,
  platformName,
  startThreads,
  type Thread,
  type WorkerReply,
} from './pool';
import type { WorkerInit } from './worker';

export interface CpuOptions {
  /** Worker threads; default all cores. Capped at the number of particle chunks. */
  readonly threads?: number;
}

/** Counter words are 32-bit (SPEC §3): particle index, step and batch slot stay below this. */
const COUNTER_LIMIT = 2 ** 32;

export async function createCpuSimulation(
  problem: Problem,
  dynamics: Dynamics,
  options: CpuOptions = {},
): Promise<Simulation> {
  validateProblem(problem);
  validateDynamics(dynamics);
  const requested = options.threads ?? (await defaultThreadCount());
  if (!Number.isInteger(requested) || requested < 1) {
    throw new Error(`CPU reference: threads must be an integer ≥ 1, got ${requested}`);
  }
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new Error(
      'CPU reference: SharedArrayBuffer is unavailable (a page must be cross-origin isolated: COOP/COEP headers)',
    );
  }
  const hostMemory = await hostMemoryBytes();
  checkCpuSize(dynamics.n, problem.p + 1, hostMemory);
  const cfg = kernelConfig(problem, dynamics, hostMemory);
  let memory: SharedMemory;
  try {
    memory = allocateShared(cfg, problem.train, problem.test);
  } catch (error) {
    // Where the host's memory is not known (a browser without navigator.deviceMemory), or the
    // JavaScript engine caps a buffer below it.
    if (!(error instanceof RangeError)) throw error;
    throw new DeviceLimitError(
      `n = ${cfg.n} particles of d = ${cfg.d}: the CPU reference could not allocate their ` +
        `shared memory (${error.message}); try a smaller n`,
    );
  }
  const threads = Math.min(requested, cfg.chunks);
  const crew = await Crew.start(threads, cfg, memory);
  const simulation = new CpuSimulation(cfg, memory, crew, problem.test !== null);
  try {
    await crew.job(Command.init);
  } catch (error) {
    simulation.destroy();
    throw error;
  }
  return simulation;
}

function kernelConfig(
  problem: Problem,
  dynamics: Dynamics,
  hostMemory: number | null,
): KernelConfig {
  const trainCount = problem.train.count;
  const testCount = problem.test?.count ?? 0;
  const batch = trainCount === 0 ? 0 : batchSize(dynamics, problem);
  const plan = chunkPlan(dynamics.n, batch);
  return {
    n: dynamics.n,
    p: problem.p,
    d: problem.p + 1,
    batch,
    full: dynamics.batch === 'full',
    trainCount,
    testCount,
    activation: activationCode(dynamics.activation),
    loss: dynamics.loss,
    huberDelta: dynamics.huberDelta,
    sigma: dynamics.sigma,
    sigmaFinal: dynamics.sigmaFinal,
    annealSteps: dynamics.annealSteps,
    tau: dynamics.tau,
    priorStd: dynamics.priorStd,
    initStd: dynamics.initStd,
    key: keyFromSeed(dynamics.seed),
    chunkSize: plan.chunkSize,
    chunks: plan.chunks,
    lossBlock: lossBlockSize(plan.chunks, Math.max(trainCount, testCount)),
    cachePhi: cachePhi(dynamics.n, batch, hostMemory),
  };
}

class CpuSimulation implements Simulation {
  readonly backend = 'cpu' as const;
  readonly device: string;
  readonly n: number;
  readonly d: number;
  private readonly v: Views;
  private k = 0;
  /** Whether the shared sums hold the forward pass of step k's batch. */
  private forwardValid = false;
  private queue: Promise<unknown> = Promise.resolve();
  private destroyed = false;

  constructor(
    private readonly cfg: KernelConfig,
    memory: SharedMemory,
    private readonly crew: Crew,
    private readonly hasTest: boolean,
  ) {
    this.v = viewsOf(cfg, memory);
    this.n = cfg.n;
    this.d = cfg.d;
    const t = crew.size;
    this.device = `CPU reference, ${t} thread${t === 1 ? '' : 's'} (${platformName()})`;
  }

  get step(): number {
    return this.k;
  }

  run(steps: number): Promise<void> {
    return this.serial(async () => {
      if (!Number.isInteger(steps) || steps < 0) {
        throw new Error(`run: steps must be an integer ≥ 0, got ${steps}`);
      }
      if (this.k + steps > COUNTER_LIMIT) {
        throw new Error(`run: the step counter would pass 2^32 (SPEC §3), at ${this.k}`);
      }
      if (steps === 0) return;
      const params = this.v.params;
      params[Param.step] = this.k;
      params[Param.steps] = steps;
      params[Param.forwardValid] = this.forwardValid ? 1 : 0;
      await this.crew.job(Command.run);
      this.k += steps;
      this.forwardValid = true;
    });
  }

  loss(split: 'train' | 'test'): Promise<number> {
    return this.serial(async () => {
      if (split !== 'train' && split !== 'test') {
        throw new Error(`loss: split must be 'train' or 'test', got ${String(split)}`);
      }
      if (split === 'test' && !this.hasTest) {
        throw new Error("loss('test'): this problem has no held-out set");
      }
      const count = split === 'train' ? this.cfg.trainCount : this.cfg.testCount;
      if (count === 0) return 0;
      this.v.params[Param.split] = split === 'train' ? 0 : 1;
      await this.crew.job(Command.loss);
      let total = 0;
      for (let m = 0; m < count; m++) total += this.v.lossTerms[m]!;
      return total / count;
    });
  }

  moments(): Promise<Moments> {
    return this.serial(async () => {
      const { n, d } = this;
      const x = this.v.particles;
      const mean = new Float64Array(d);
      const variance = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) mean[j] = mean[j]! + x[i * d + j]!;
      }
      for (let j = 0; j < d; j++) mean[j] = mean[j]! / n;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          const e = x[i * d + j]! - mean[j]!;
          variance[j] = variance[j]! + e * e;
        }
      }
      for (let j = 0; j < d; j++) variance[j] = variance[j]! / n;
      return { mean, var: variance };
    });
  }

  particles(): Promise<Float32Array> {
    return this.serial(async () => this.v.particles.slice());
  }

  setParticles(x: Float32Array, step: number): Promise<void> {
    return this.serial(async () => {
      if (!(x instanceof Float32Array) || x.length !== this.n * this.d) {
        throw new Error(
          `setParticles: expected a Float32Array of n × d = ${this.n} × ${this.d} values, got ${
            x instanceof Float32Array ? x.length : typeof x
          }`,
        );
      }
      if (!Number.isInteger(step) || step < 0 || step > COUNTER_LIMIT) {
        throw new Error(`setParticles: step must be an integer in [0, 2^32], got ${step}`);
      }
      this.v.particles.set(x);
      this.k = step;
      this.forwardValid = false;
    });
  }

  destroy(): void {
    this.destroyed = true;
    this.crew.terminate();
  }

  /** Operations run one at a time, in call order: a job owns the shared memory. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (this.destroyed) throw new Error('CPU simulation used after destroy()');
      return task();
    });
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/** The worker threads and the job protocol of the control block (layout.ts). */
class Crew {
  private pending: { resolve: () => void; reject: (error: Error) => void } | null = null;
  private failed: Error | null = null;

  private constructor(
    private readonly threads: Thread[],
    private readonly control: Int32Array,
  ) {}

  get size(): number {
    return this.threads.length;
  }

  static async start(count: number, cfg: KernelConfig, memory: SharedMemory): Promise<Crew> {
    let crew: Crew | null = null;
    let ready = 0;
    let onReady = (): void => {};
    let onFailed = (_error: Error): void => {};
    const allReady = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      onFailed = reject;
    });
    const threads = await startThreads(count, {
      message(_index, reply) {
        if (reply.type === 'ready') {
          if (++ready === count) onReady();
        } else crew?.reply(reply);
      },
      failure(index, error) {
        onFailed(error);
        crew?.fail(new Error(`CPU worker ${index} failed: ${error.message}`));
      },
    });
    crew = new Crew(threads, viewsOf(cfg, memory).control);
    threads.forEach((thread, index) => {
      const init: WorkerInit = { type: 'init', index, threads: count, cfg, memory };
      thread.post(init);
    });
    try {
      await allReady;
    } catch (error) {
      crew.terminate();
      throw error;
    }
    crew.keepAlive(false);
    return crew;
  }

  /** Runs one job on every thread; resolves when the last one has finished. */
  job(command: number): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.keepAlive(true);
      Atomics.store(this.control, Control.command, command);
      Atomics.add(this.control, Control.generation, 1);
      Atomics.notify(this.control, Control.generation);
    });
  }

  terminate(): void {
    this.failed ??= new Error('CPU simulation destroyed');
    for (const thread of this.threads) thread.terminate();
    this.settle(this.failed);
  }

  private reply(reply: WorkerReply): void {
    if (reply.type === 'done') {
      // An atomic read of what the last worker stored orders all workers' writes before ours.
      Atomics.load(this.control, Control.done);
      this.settle(null);
    } else if (reply.type === 'error') this.fail(new Error(`CPU worker: ${reply.message}`));
  }

  /** A failed job leaves threads waiting at a barrier: no later job can run. */
  private fail(error: Error): void {
    this.failed ??= error;
    this.settle(error);
  }

  private settle(error: Error | null): void {
    const pending = this.pending;
    this.pending = null;
    this.keepAlive(false);
    if (!pending) return;
    if (error) pending.reject(error);
    else pending.resolve();
  }

  /** Idle threads do not keep a Node process alive (a forgotten destroy() must not hang it). */
  private keepAlive(on: boolean): void {
    for (const thread of this.threads) thread.keepAlive(on);
  }
}

function validateSplit(name: string, split: DataSplit, p: number): void {
  const { count } = split;
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`problem.${name}.count must be an integer ≥ 0, got ${count}`);
  }
  if (!(split.z instanceof Float32Array) || split.z.length !== count * p) {
    throw new Error(
      `problem.${name}.z must be a Float32Array of count × p = ${count} × ${p} values, got ${split.z?.length}`,
    );
  }
  if (!(split.y instanceof Float32Array) || split.y.length !== count) {
    throw new Error(
      `problem.${name}.y must be a Float32Array of count = ${count} values, got ${split.y?.length}`,
    );
  }
}

function validateProblem(problem: Problem): void {
  const { p } = problem;
  if (!Number.isInteger(p) || p < 1) throw new Error(`problem.p must be an integer ≥ 1, got ${p}`);
  validateSplit('train', problem.train, p);
  if (problem.test !== null) validateSplit('test', problem.test, p);
}

function validateDynamics(dynamics: Dynamics): void {
  const { n, sigma, tau, batch, priorStd, initStd, huberDelta, seed } = dynamics;
  const check = (ok: boolean, what: string, value: unknown): void => {
    if (!ok) throw new Error(`dynamics.${what}, got ${String(value)}`);
  };
  check(
    Number.isInteger(n) && n >= 1 && n <= COUNTER_LIMIT,
    'n must be an integer in [1, 2^32]',
    n,
  );
  check(Number.isFinite(sigma) && sigma >= 0, 'sigma must be finite and ≥ 0', sigma);
  const { sigmaFinal, annealSteps } = dynamics;
  check(
    sigmaFinal === null || (Number.isFinite(sigmaFinal) && sigmaFinal >= 0),
    'sigmaFinal must be null or finite and ≥ 0',
    sigmaFinal,
  );
  check(
    Number.isInteger(annealSteps) && annealSteps >= 0,
    'annealSteps must be an integer ≥ 0',
    annealSteps,
  );
  check(Number.isFinite(tau) && tau > 0, 'tau must be finite and > 0', tau);
  check(
    batch === 'full' || (Number.isInteger(batch) && batch >= 1 && batch <= COUNTER_LIMIT),
    "batch must be 'full' or an integer in [1, 2^32]",
    batch,
  );
  check(Number.isFinite(priorStd) && priorStd > 0, 'priorStd must be finite and > 0', priorStd);
  check(Number.isFinite(initStd) && initStd >= 0, 'initStd must be finite and ≥ 0', initStd);
  check(ACTIVATIONS.includes(dynamics.activation), 'activation is unknown', dynamics.activation);
  check(LOSSES.includes(dynamics.loss), 'loss is unknown', dynamics.loss);
  check(
    dynamics.loss !== 'huber' || (Number.isFinite(huberDelta) && huberDelta > 0),
    'huberDelta must be finite and > 0',
    huberDelta,
  );
  check(Number.isSafeInteger(seed) && seed >= 0, 'seed must be an integer in [0, 2^53)', seed);
}
