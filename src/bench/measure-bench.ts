// The measuring core of `mfld bench` and of the benchmark page (bench/): throughput of the
// time step on the WebGPU engine and the CPU reference, each set against its own device's
// measured limits (limits-gpu.ts, limits-cpu.ts) and against the useful work of counts.ts.
// For each size the two backends must first agree on the same seed; a size where they do not
// is reported and not timed, since a fast wrong step means nothing. Browser-safe: the host
// (run-bench.ts in Node, bench/main.ts in the page) supplies the shaders and adds what it
// knows of the machine.
import { DEFAULT_CONFIG, type RunConfig } from '../contract/config';
import { DeviceLimitError, type Dynamics, type Simulation } from '../contract/simulation';
import { checkCpuSize } from '../cpu/layout';
import { createCpuSimulation } from '../cpu/reference';
import { hostMemoryBytes } from '../cpu/pool';
import { buildProblem } from '../data/datasets';
import { autoBackend, type AutoBackend, type EngineGpu } from '../gpu/device';
import {
  createGpuSimulation,
  engineLayout,
  runTimedOnGpu,
  type EngineLayout,
} from '../gpu/simulation';
import type { LaneParticles } from '../gpu/particle-rows';
import type { ShaderSources } from '../gpu/shaders';
import {
  bytesPerParticleStep,
  fitExponentByRound,
  flopPerParticleStep,
  medianRatio,
  summarize,
  type RoundsFit,
} from './counts';
import { openCpuLimits, type CpuLimits } from './limits-cpu';
import { openGpuLimits, type GpuLimits, type LimitProbe } from './limits-gpu';
import { dynamicsFromConfig } from '../study/run-study';

export interface BenchConfig {
  /** Particle counts n, ascending. */
  readonly sizes: readonly number[];
  /** Particle coordinates d = p + 1; p counts the bias feature, so the teacher has d − 2 raw inputs. */
  readonly d: number;
  /** Minibatch size B. */
  readonly batch: number;
  /** Steps per timed block; null: as many as make a block last about TARGET_BLOCK_SECONDS. */
  readonly steps: number | null;
  /** Timed blocks per backend and size, after one warm-up block. */
  readonly repeats: number;
  readonly cpuThreads: number;
  readonly skipCpu: boolean;
  /** Particles each GPU invocation holds; null: the engine's default for d. */
  readonly laneParticles: LaneParticles | null;
  /** Chunks of particles each GPU workgroup walks in turn; null: the engine's default. */
  readonly groupChunks: number | null;
}

/** Steps of both backends compared before timing, and the tolerance of test/gpu/engine.test.ts. */
export const AGREEMENT_STEPS = 3;
export const AGREEMENT_TOLERANCE = 2e-5;
/** With --steps unset, a timed block lasts about this long. */
const TARGET_BLOCK_SECONDS = 0.5;
const MAX_AUTO_STEPS = 1000;
/** Training points of the teacher data set the minibatches are drawn from. */
const TRAIN_POINTS = 4096;
const SEED = 20261128;

/** The run configuration the benchmark's problem and dynamics come from. */
export function benchRunConfig(config: BenchConfig, n: number): RunConfig {
  return {
    ...DEFAULT_CONFIG,
    dataset: {
      ...DEFAULT_CONFIG.dataset,
      name: 'teacher',
      dim: config.d - 2,
      samples: TRAIN_POINTS,
      testSamples: 0,
    },
    bias: true,
    n,
    batch: config.batch,
    seed: SEED,
  };
}

export interface Timing {
  /** Steps per timed block, and the blocks timed. */
  readonly steps: number;
  readonly blocks: number;
  readonly particleStepsPerSecond: number;
  readonly secondsPerStep: { readonly median: number; readonly min: number; readonly max: number };
  readonly gflops: number;
  readonly gbps: number;
  /**
   * The device's FMA limit (GFLOP/s) measured again right after each timed block: on a
   * shared machine the speed drifts by tens of percent within minutes.
   */
  readonly limitGflops: { readonly median: number; readonly min: number; readonly max: number };
  /** The FMA limit measured right after each timed block, in the order of blockSeconds. */
  readonly blockLimitGflops: number[];
  /** Median over the timed blocks of the block's GFLOP/s over the limit measured after it. */
  readonly fractionOfLimit: number;
  /** GB/s over the device's GB/s measured at the start. */
  readonly bandwidthFraction: number;
  /**
   * Seconds per step of each timed block, in the order timed: block r is round r's, unless
   * the GPU's timestamps failed for some block and they were all timed again by the host's
   * clock, one after another at the end (`clock` then says 'host').
   */
  readonly blockSeconds: number[];
  /**
   * Seconds from the start of the measurement to the start of each timed block: the sizes are
   * timed round by round, a block of each per round.
   */
  readonly blockStarts: number[];
  /**
   * What timed the blocks: the GPU's timestamp queries (its own time for the passes), or
   * the host's clock from the call to the completion of the last step.
   */
  readonly clock: Clock;
}

export type Clock = 'gpu-timestamps' | 'host';

export interface Agreement {
  /** Whether particles after AGREEMENT_STEPS steps agree within the tolerance. */
  readonly ok: boolean;
  readonly steps: number;
  /** Largest |gpu − cpu| / (1 + |cpu|) over all coordinates. */
  readonly worstDifference: number;
  readonly tolerance: number;
}

export interface SizeResult {
  readonly n: number;
  readonly gpu: Timing | null;
  readonly cpu: Timing | null;
  /** GPU particle-steps/s over the CPU's. */
  readonly ratio: number | null;
  /** Null when the CPU was skipped. */
  readonly agreement: Agreement | null;
}

/** Everything the benchmark measured, without the host's description of the machine. */
export interface BenchMeasurement {
  readonly adapter: {
    readonly description: string;
    readonly info: Record<string, string>;
    readonly timestampQuery: boolean;
  };
  /** How the WebGPU engine laid out its step on this adapter for this d. */
  readonly engine: EngineLayout;
  /** What `--backend auto` (the page's backend auto) runs on with this adapter, and why. */
  readonly autoBackend: AutoBackend;
  readonly config: BenchConfig & {
    readonly p: number;
    readonly dataset: RunConfig['dataset'];
    readonly dynamics: Omit<Dynamics, 'n'>;
    readonly counts: {
      readonly flopPerParticleStep: number;
      readonly bytesPerParticleStep: number;
    };
  };
  /** Each device's FMA limit at the start, the kernel of its sweep that set it, and bandwidth. */
  readonly limits: { readonly gpu: DeviceLimits; readonly cpu: DeviceLimits | null };
  readonly limitDetails: { readonly gpu: GpuLimits; readonly cpu: CpuLimits | null };
  readonly sizes: SizeResult[];
  /** Rounds of timed blocks: config.repeats, or fewer where the run was stopped after them. */
  readonly roundsTimed: number;
  /** Time per step against n, fitted round by round (fitExponentByRound). */
  readonly exponents: { readonly gpu: RoundsFit | null; readonly cpu: RoundsFit | null };
}

export interface DeviceLimits {
  readonly gflops: number;
  /** The FMA kernel of the sweep that set `gflops`, in words. */
  readonly fmaConfig: string;
  readonly gbps: number;
}

function deviceLimits(limits: GpuLimits | CpuLimits): DeviceLimits {
  return { gflops: limits.gflops.value, fmaConfig: limits.fmaConfig, gbps: limits.gbps.value };
}

export interface BenchEvents {
  /** What the benchmark is doing now; `done` of `total` phases are finished. */
  progress(what: string, done: number, total: number): void;
  /** Something the user should know (a disagreement, a fit that could not be made). */
  notice(message: string): void;
  /**
   * Asked between the limit measurements, before each size is opened and before each round:
   * true ends the benchmark there, with the figures of the rounds done, or a BenchStoppedError
   * before the first.
   */
  stopRequested?(): boolean;
}

/** The benchmark was asked to stop before a round was timed: there are no figures. */
export class BenchStoppedError extends Error {
  override readonly name = 'BenchStoppedError';
}

/** A requested size does not fit the adapter or the CPU reference's memory; the message names every such size. */
export class SizeRefusedError extends Error {
  override readonly name = 'SizeRefusedError';
}

function cpuRefusal(n: number, error: DeviceLimitError): string {
  return `n = ${n} is past the CPU reference's memory: ${error.message} (or time the GPU alone)`;
}

export async function measureBench(
  gpu: EngineGpu,
  shaders: ShaderSources,
  config: BenchConfig,
  events: BenchEvents,
): Promise<BenchMeasurement> {
  const origin = performance.now();
  const baseRun = benchRunConfig(config, config.sizes[0] ?? 1);
  const problem = buildProblem(baseRun);
  const flop = flopPerParticleStep(problem.p, config.batch);
  const bytes = bytesPerParticleStep(problem.p);

  // Every size is opened on the GPU alone first, so that a size past the adapter's limits is
  // refused before minutes go into measuring the others.
  const gpuOptions = {
    ...(config.laneParticles === null ? {} : { laneParticles: config.laneParticles }),
    ...(config.groupChunks === null ? {} : { groupChunks: config.groupChunks }),
  };
  const openGpu = async (n: number): Promise<Simulation> => {
    try {
      return await createGpuSimulation(
        gpu,
        problem,
        dynamicsFromConfig({ ...baseRun, n }),
        shaders,
        gpuOptions,
      );
    } catch (error) {
      if (!(error instanceof DeviceLimitError)) throw error;
      throw new SizeRefusedError(`n = ${n} is past this adapter's limits: ${error.message}`);
    }
  };
  const hostMemory = config.skipCpu ? null : await hostMemoryBytes();
  const refused: string[] = [];
  for (const n of config.sizes) {
    try {
      (await openGpu(n)).destroy();
      if (!config.skipCpu) checkCpuSize(n, config.d, hostMemory);
    } catch (error) {
      if (error instanceof SizeRefusedError) refused.push(error.message);
      else if (error instanceof DeviceLimitError) refused.push(cpuRefusal(n, error));
      else throw error;
    }
  }
  if (refused.length > 0) throw new SizeRefusedError(refused.join('\n'));
  // Phases: the two devices' limits, then per size its opening and one block per round and backend.
  const backends = config.skipCpu ? 1 : 2;
  const total = 2 + config.sizes.length * (1 + config.repeats * backends);
  let done = 0;
  // The limit benchmarks stay open: each timed block is followed by an FMA block.
  const stopRequested = (): boolean => events.stopRequested?.() ?? false;
  const stoppedEarly = (): BenchStoppedError =>
    new BenchStoppedError('stopped before a round of blocks was timed: there are no figures');
  const gpuProbe = await openGpuLimits(gpu, shaders);
  let cpuProbe: LimitProbe<CpuLimits> | null = null;
  try {
    events.progress('measuring the GPU limits', done, total);
    const gpuLimits = await gpuProbe.measure(config.repeats);
    done++;
    if (stopRequested()) throw stoppedEarly();
    events.progress('measuring the CPU limits', done, total);
    cpuProbe = config.skipCpu ? null : await openCpuLimits(config.cpuThreads);
    const cpuLimits = cpuProbe ? await cpuProbe.measure(config.repeats) : null;
    done++;

    const timingOf = (
      { seconds, steps, clock, limitGflops, starts }: TimedBlocks,
      limitGbps: number,
      n: number,
    ): Timing => {
      const perStep = summarize(seconds.map((s) => s / steps));
      const gflops = (flop * n) / perStep.median / 1e9;
      const gbps = (bytes * n) / perStep.median / 1e9;
      const blockGflops = seconds.map((s) => (flop * n * steps) / s / 1e9);
      return {
        steps,
        blocks: seconds.length,
        particleStepsPerSecond: n / perStep.median,
        secondsPerStep: perStep,
        gflops,
        gbps,
        limitGflops: summarize(limitGflops),
        blockLimitGflops: limitGflops,
        fractionOfLimit: medianRatio(blockGflops, limitGflops),
        bandwidthFraction: gbps / limitGbps,
        blockSeconds: seconds.map((s) => s / steps),
        blockStarts: starts,
        clock,
      };
    };

    /** Both backends at size n, checked to agree before anything is timed. */
    const openSize = async (n: number): Promise<OpenedSize> => {
      const gpuSim = await openGpu(n);
      let cpuSim: Simulation | null = null;
      const destroy = (): void => {
        gpuSim.destroy();
        cpuSim?.destroy();
      };
      try {
        let agreement: Agreement | null = null;
        if (cpuProbe) {
          cpuSim = await createCpuSimulation(problem, dynamicsFromConfig({ ...baseRun, n }), {
            threads: config.cpuThreads,
          }).catch((error: unknown) => {
            if (!(error instanceof DeviceLimitError)) throw error;
            throw new SizeRefusedError(cpuRefusal(n, error));
          });
          await Promise.all([gpuSim.run(AGREEMENT_STEPS), cpuSim.run(AGREEMENT_STEPS)]);
          const worst = worstDifference(await gpuSim.particles(), await cpuSim.particles());
          agreement = {
            ok: worst <= AGREEMENT_TOLERANCE,
            steps: AGREEMENT_STEPS,
            worstDifference: worst,
            tolerance: AGREEMENT_TOLERANCE,
          };
        }
        return {
          n,
          agreement,
          gpu: new BlockSeries(gpuSim, config, gpuProbe.fmaRate, origin),
          cpu: cpuSim && cpuProbe && new BlockSeries(cpuSim, config, cpuProbe.fmaRate, origin),
          destroy,
        };
      } catch (error) {
        destroy();
        throw error;
      }
    };

    // Every size is opened, checked and warmed up first, and then timed round by round: one
    // GPU block of each size, then one CPU block of each. All sizes are held at once, but the
    // machine's drift over the minutes of a run then falls on every size alike instead of on
    // whichever size was being timed, which is what the scaling exponent compares.
    const opened: OpenedSize[] = [];
    const results = new Map<number, SizeResult>();
    let roundsTimed = 0;
    try {
      for (const n of config.sizes) {
        if (stopRequested()) throw stoppedEarly();
        events.progress(
          `n = ${n}: ${cpuLimits ? 'GPU and CPU agreement, warm-up' : 'warm-up'}`,
          done,
          total,
        );
        const size = await openSize(n).catch((error: unknown) => {
          if (!(error instanceof SizeRefusedError) || opened.length === 0) throw error;
          throw new SizeRefusedError(
            `${error.message} (beside the ${opened.length} smaller sizes held for the round-by-round timing: ` +
              'fewer sizes at once need less memory)',
          );
        });
        if (size.agreement && !size.agreement.ok) {
          size.destroy();
          events.notice(
            `n = ${n}: the GPU and the CPU disagree after ${AGREEMENT_STEPS} steps ` +
              `(worst relative difference ${size.agreement.worstDifference.toExponential(2)} > ${AGREEMENT_TOLERANCE}); this size is not timed`,
          );
          results.set(n, { n, gpu: null, cpu: null, ratio: null, agreement: size.agreement });
          done += 1 + config.repeats * backends;
          continue;
        }
        opened.push(size);
        await size.gpu.warmUp();
        await size.cpu?.warmUp();
        done++;
      }
      for (let round = 0; round < config.repeats; round++) {
        if (stopRequested()) {
          if (round === 0) throw stoppedEarly();
          break;
        }
        // Ascending in even rounds, descending in odd ones, so that no size always comes
        // first or last in a round.
        const order = round % 2 === 0 ? opened : [...opened].reverse();
        for (const backend of ['gpu', 'cpu'] as const) {
          for (const size of order) {
            const series = size[backend];
            if (!series) continue;
            events.progress(
              `round ${round + 1} of ${config.repeats}: timing the ${backend.toUpperCase()} at n = ${size.n}`,
              done,
              total,
            );
            await series.timeBlock();
            done++;
          }
        }
        roundsTimed = round + 1;
      }
      for (const size of opened) {
        const gpuTiming = timingOf(await size.gpu.blocks(), gpuLimits.gbps.value, size.n);
        const cpuTiming =
          size.cpu && cpuLimits
            ? timingOf(await size.cpu.blocks(), cpuLimits.gbps.value, size.n)
            : null;
        results.set(size.n, {
          n: size.n,
          gpu: gpuTiming,
          cpu: cpuTiming,
          ratio: cpuTiming
            ? gpuTiming.particleStepsPerSecond / cpuTiming.particleStepsPerSecond
            : null,
          agreement: size.agreement,
        });
      }
    } finally {
      for (const size of opened) size.destroy();
    }
    const sizes = config.sizes.map((n) => results.get(n)!);
    events.progress('done', total, total);

    const scalingOf = (backend: 'gpu' | 'cpu'): RoundsFit | null => {
      const timed = sizes.flatMap((size) => {
        const timing = size[backend];
        return timing ? [{ n: size.n, seconds: timing.blockSeconds }] : [];
      });
      if (timed.length < 2) {
        events.notice(
          `no ${backend.toUpperCase()} scaling exponent: it needs at least 2 timed sizes, got ${timed.length}`,
        );
        return null;
      }
      return fitExponentByRound(timed);
    };
    const info = gpu.adapter.info;
    return {
      adapter: {
        description: gpu.description,
        info: {
          vendor: info.vendor,
          architecture: info.architecture,
          device: info.device,
          description: info.description,
        },
        timestampQuery: gpu.device.features.has('timestamp-query'),
      },
      engine: engineLayout(gpu, config.d, gpuOptions),
      autoBackend: autoBackend(gpu.adapter),
      config: {
        ...config,
        p: problem.p,
        dataset: baseRun.dataset,
        dynamics: dynamicsWithoutN(dynamicsFromConfig(baseRun)),
        counts: { flopPerParticleStep: flop, bytesPerParticleStep: bytes },
      },
      limits: {
        gpu: deviceLimits(gpuLimits),
        cpu: cpuLimits && deviceLimits(cpuLimits),
      },
      limitDetails: { gpu: gpuLimits, cpu: cpuLimits },
      sizes,
      roundsTimed,
      exponents: {
        gpu: scalingOf('gpu'),
        cpu: config.skipCpu ? null : scalingOf('cpu'),
      },
    };
  } finally {
    gpuProbe.close();
    cpuProbe?.close();
  }
}

function dynamicsWithoutN(dynamics: Dynamics): Omit<Dynamics, 'n'> {
  const { n: _n, ...rest } = dynamics;
  return rest;
}

interface TimedBlocks {
  readonly steps: number;
  readonly seconds: number[];
  /** The device's FMA rate measured right after each block, GFLOP/s. */
  readonly limitGflops: number[];
  /** When each block started, seconds from the measurement's origin. */
  readonly starts: number[];
  readonly clock: Clock;
}

interface OpenedSize {
  readonly n: number;
  /** Null when the CPU is skipped. */
  readonly agreement: Agreement | null;
  readonly gpu: BlockSeries;
  readonly cpu: BlockSeries | null;
  destroy(): void;
}

/**
 * The timed blocks of one backend at one size: one warm-up block (which, with --steps unset,
 * also picks the block length), then blocks one at a time, each followed by a block of
 * `limitRate` (the device's FMA limit now). The GPU's blocks are timed by its timestamp
 * queries where it has them (every block, or none: one clock per size), else like the CPU's
 * by the host's clock.
 */
class BlockSeries {
  private steps: number;
  private readonly timed: { start: number; seconds: number; clock: Clock; limit: number }[] = [];

  /** `origin`: performance.now() at the start of the measurement. */
  constructor(
    private readonly sim: Simulation,
    private readonly config: BenchConfig,
    private readonly limitRate: () => Promise<number>,
    private readonly origin: number,
  ) {
    this.steps = config.steps ?? 1;
  }

  async warmUp(): Promise<void> {
    const warmUp = await timeRun(this.sim, this.steps);
    if (this.config.steps === null) {
      this.steps = Math.max(
        1,
        Math.min(MAX_AUTO_STEPS, Math.round(TARGET_BLOCK_SECONDS / warmUp.seconds)),
      );
      if (this.steps > 1) await timeRun(this.sim, this.steps);
    }
  }

  async timeBlock(clock?: Clock): Promise<void> {
    const start = (performance.now() - this.origin) / 1000;
    const { seconds, clock: used } = await timeRun(this.sim, this.steps, clock);
    this.timed.push({ start, seconds, clock: used, limit: await this.limitRate() });
  }

  /** The blocks timed so far, all by one clock: mixed ones are timed again by the host's. */
  async blocks(): Promise<TimedBlocks> {
    const clock = this.timed.every((block) => block.clock === 'gpu-timestamps')
      ? 'gpu-timestamps'
      : 'host';
    if (clock === 'host' && this.timed.some((block) => block.clock === 'gpu-timestamps')) {
      // A block whose timestamps were unusable: time them all again by the host's clock.
      const count = this.timed.length;
      this.timed.length = 0;
      for (let r = 0; r < count; r++) await this.timeBlock('host');
    }
    return {
      steps: this.steps,
      seconds: this.timed.map((block) => block.seconds),
      limitGflops: this.timed.map((block) => block.limit),
      starts: this.timed.map((block) => block.start),
      clock,
    };
  }
}

async function timeRun(
  sim: Simulation,
  steps: number,
  clock: Clock = sim.backend === 'webgpu' ? 'gpu-timestamps' : 'host',
): Promise<{ seconds: number; clock: Clock }> {
  const start = performance.now();
  if (clock === 'gpu-timestamps') {
    const seconds = await runTimedOnGpu(sim, steps);
    if (seconds !== null && seconds > 0) return { seconds, clock };
  } else {
    await sim.run(steps);
  }
  return { seconds: (performance.now() - start) / 1000, clock: 'host' };
}

/** Largest |a − b| / (1 + |b|) over two particle sets of the same shape. */
export function worstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length)
    throw new Error(`particle sets differ in size: ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return worst;
}
