// The measuring core of `mfld bench` and of the benchmark page (bench/): throughput of the
// time step on the WebGPU engine and the CPU reference, each set against its own device's
// measured limits (limits-gpu.ts, limits-cpu.ts) and against the useful work of counts.ts.
// For each size the two backends must first agree on the same seed; a size where they do not
// is reported and not timed, since a fast wrong step means nothing. Browser-safe: the host
// (run-bench.ts in Node, bench/main.ts in the page) supplies the shaders and adds what it
// knows of the machine. The blocks are timed in block-series.ts; the result's shape is in
// measurement.ts.
import { DEFAULT_CONFIG, type RunConfig } from '../contract/config';
import { DeviceLimitError, type Dynamics, type Simulation } from '../contract/simulation';
import { checkCpuSize } from '../cpu/layout';
import { createCpuSimulation } from '../cpu/reference';
import { hostMemoryBytes } from '../cpu/pool';
import { buildProblem } from '../data/datasets';
import { autoBackend, type EngineGpu } from '../gpu/device';
import { createGpuSimulation, engineLayout } from '../gpu/simulation';
import type { ShaderSources } from '../gpu/shaders';
import { dynamicsFromConfig } from '../study/run-study';
import { BlockSeries, timingOf } from './block-series';
import {
  bytesPerParticleStep,
  fitExponentByRound,
  flopPerParticleStep,
  type RoundsFit,
} from './counts';
import { openCpuLimits, type CpuLimits } from './limits-cpu';
import { openGpuLimits, type LimitProbe } from './limits-gpu';
import {
  BenchStoppedError,
  deviceLimits,
  SizeRefusedError,
  type Agreement,
  type BenchConfig,
  type BenchEvents,
  type BenchMeasurement,
  type SizeResult,
} from './measurement';

export {
  BenchStoppedError,
  SizeRefusedError,
  type Agreement,
  type BenchConfig,
  type BenchEvents,
  type BenchMeasurement,
  type Clock,
  type DeviceLimits,
  type SizeResult,
  type Timing,
} from './measurement';

/** Steps of both backends compared before timing, and the tolerance of test/gpu-engine.test.ts. */
export const AGREEMENT_STEPS = 3;
export const AGREEMENT_TOLERANCE = 2e-5;
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
  const counts = { flop, bytes };

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
        const gpuTiming = timingOf(await size.gpu.blocks(), counts, gpuLimits.gbps.value, size.n);
        const cpuTiming =
          size.cpu && cpuLimits
            ? timingOf(await size.cpu.blocks(), counts, cpuLimits.gbps.value, size.n)
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

/** Largest |a − b| / (1 + |b|) over two particle sets of the same shape. */
export function worstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length)
    throw new Error(`particle sets differ in size: ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return worst;
}

function dynamicsWithoutN(dynamics: Dynamics): Omit<Dynamics, 'n'> {
  const { n: _n, ...rest } = dynamics;
  return rest;
}

interface OpenedSize {
  readonly n: number;
  /** Null when the CPU is skipped. */
  readonly agreement: Agreement | null;
  readonly gpu: BlockSeries;
  readonly cpu: BlockSeries | null;
  destroy(): void;
}
