// The test page of e2e/engine.spec.ts: the engine's own modules, bundled by Vite's dev server,
// behind a few async functions on window.engineCheck. Each returns plain numbers the spec
// checks, and shows them on the page. Nothing is caught here: a failure rejects the call,
// and WebGPU errors that no call sees (uncaptured errors, a lost device) go to the console,
// which the spec watches.
import type { RunConfig } from '../src/contract/config';
import { exactNoDataVariance } from '../src/contract/model';
import { gaussiansFromWords, philox4x32 } from '../src/contract/philox';
import type { Dynamics, Problem, Simulation } from '../src/contract/simulation';
import { createCpuSimulation } from '../src/cpu/reference';
import { buildProblem } from '../src/data/datasets';
import { openBrowserGpu, type EngineGpu } from '../src/gpu/device';
import { browserShaderSources } from '../src/gpu/shader-sources.browser';
import { createGpuSimulation } from '../src/gpu/simulation';
import { dynamicsFromConfig } from '../src/study/run-study';
import { philoxOnGpu } from '../test/support/philox-kernel';

export interface AdapterReport {
  readonly description: string;
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly isFallbackAdapter: boolean;
  readonly features: string[];
  readonly limits: Record<string, number>;
  readonly crossOriginIsolated: boolean;
  readonly hardwareConcurrency: number;
  readonly userAgent: string;
}

export interface PhiloxReport {
  /** GPU words of the given counters, as 8-digit hex groups joined by spaces. */
  readonly knownAnswers: string[];
  /** Pseudo-random counters compared with the CPU twin. */
  readonly cases: number;
  /** Cases whose four words differ from the CPU twin's. */
  readonly wordMismatches: number;
  /** Largest |GPU − CPU| over their Gaussians. */
  readonly worstGaussian: number;
}

export interface GpuVsCpuReport {
  readonly steps: number;
  readonly gpuDevice: string;
  readonly cpuDevice: string;
  /** Largest |gpu − cpu| / (1 + |cpu|) over x⁰, and after the steps. */
  readonly initialDifference: number;
  readonly worstDifference: number;
  /** Largest |x − x⁰| / (1 + |x⁰|) of the CPU particles: did they move? */
  readonly moved: number;
  readonly loss: {
    readonly train: { readonly gpu: number; readonly cpu: number };
    readonly test: { readonly gpu: number; readonly cpu: number } | null;
  };
  readonly seconds: { readonly gpu: number; readonly cpu: number };
}

export interface ExactLawReport {
  readonly n: number;
  readonly d: number;
  readonly k: number;
  /** Coordinates pooled over all particles: n · d samples. */
  readonly samples: number;
  readonly pooledMean: number;
  readonly pooledVariance: number;
  /** exactNoDataVariance after k steps, and initStd² (the law of x⁰). */
  readonly expectedVariance: number;
  readonly initialVariance: number;
  readonly seconds: number;
}

export interface TrainingReport {
  readonly steps: number;
  readonly history: {
    readonly step: number;
    readonly train: number;
    readonly test: number | null;
  }[];
  readonly seconds: number;
}

export interface EngineCheck {
  adapterInfo(): Promise<AdapterReport>;
  /** GPU Philox4x32-10 on `counters` (6 words each: c0..c3, k0, k1) and against the CPU twin. */
  philoxKnownAnswers(counters: number[][]): Promise<PhiloxReport>;
  /** The same seed on the GPU and on the CPU reference (Web Workers), `steps` steps each. */
  gpuVsCpu(config: RunConfig, steps: number, threads: number): Promise<GpuVsCpuReport>;
  /** Moments after k GPU steps of a run without data (F ≡ 0), against SPEC §2's law. */
  exactLaw(config: RunConfig, k: number): Promise<ExactLawReport>;
  /** `config.steps` GPU steps, the train/test loss every `config.logEvery` steps. */
  training(config: RunConfig): Promise<TrainingReport>;
}

declare global {
  interface Window {
    engineCheck?: EngineCheck;
  }
}

const logElement = document.getElementById('log')!;
const statusElement = document.getElementById('status')!;

function show(title: string, value: unknown): void {
  logElement.textContent += `${title}\n${JSON.stringify(value, null, 2)}\n\n`;
}

let gpuPromise: Promise<EngineGpu> | null = null;

/** The page's one adapter and device, opened on first use; throws without WebGPU. */
function engineGpu(): Promise<EngineGpu> {
  gpuPromise ??= openBrowserGpu().then((gpu) => {
    if (!gpu) {
      throw new Error(
        'no WebGPU adapter: navigator.gpu is missing or gave none (Chromium needs --enable-unsafe-webgpu here)',
      );
    }
    gpu.device.addEventListener('uncapturederror', (event) => {
      console.error(`WebGPU uncaptured error: ${event.error.message}`);
    });
    void gpu.device.lost.then((info) => {
      console.error(`WebGPU device lost (${info.reason}): ${info.message}`);
    });
    return gpu;
  });
  return gpuPromise;
}

/** Largest |a − b| / (1 + |b|) over two particle sets. */
function worstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) {
    throw new Error(`particle sets differ in length: ${a.length} and ${b.length}`);
  }
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  }
  return worst;
}

async function timed<T>(body: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await body();
  return [result, (performance.now() - start) / 1000];
}

/** A GPU simulation of `config` for the length of `body`, destroyed after it. */
async function withGpuSimulation<T>(
  config: RunConfig,
  body: (sim: Simulation, problem: Problem, dynamics: Dynamics) => Promise<T>,
): Promise<T> {
  const problem = buildProblem(config);
  const dynamics = dynamicsFromConfig(config);
  const sim = await createGpuSimulation(await engineGpu(), problem, dynamics, browserShaderSources);
  try {
    return await body(sim, problem, dynamics);
  } finally {
    sim.destroy();
  }
}

const hex = (words: ArrayLike<number>): string =>
  Array.from(words, (w) => w.toString(16).padStart(8, '0')).join(' ');

const engineCheck: EngineCheck = {
  async adapterInfo() {
    const { adapter, description } = await engineGpu();
    const info = adapter.info;
    const limits: Record<string, number> = {};
    for (const name of [
      'maxBufferSize',
      'maxStorageBufferBindingSize',
      'maxComputeWorkgroupStorageSize',
      'maxComputeWorkgroupsPerDimension',
      'maxComputeInvocationsPerWorkgroup',
    ] as const) {
      limits[name] = adapter.limits[name];
    }
    const report: AdapterReport = {
      description,
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      isFallbackAdapter: info.isFallbackAdapter,
      features: [...adapter.features].sort(),
      limits,
      crossOriginIsolated: globalThis.crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency,
      userAgent: navigator.userAgent,
    };
    show('adapterInfo', report);
    return report;
  },

  async philoxKnownAnswers(counters) {
    const gpu = await engineGpu();
    // Pseudo-random counters and keys (an LCG), after the given ones.
    let state = 12345;
    const next = (): number => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
    const random = Array.from({ length: 1024 }, () => Array.from({ length: 6 }, next));
    const cases = [...counters, ...random];
    const out = await philoxOnGpu(gpu.device, browserShaderSources, cases);
    const cpuWords = new Uint32Array(4);
    const cpuGauss = new Float64Array(4);
    let wordMismatches = 0;
    let worstGaussian = 0;
    cases.forEach(([c0, c1, c2, c3, k0, k1], c) => {
      philox4x32(c0!, c1!, c2!, c3!, k0!, k1!, cpuWords);
      gaussiansFromWords(cpuWords, cpuGauss);
      if (hex(cpuWords) !== hex(out.words[c]!)) wordMismatches++;
      for (let t = 0; t < 4; t++) {
        worstGaussian = Math.max(worstGaussian, Math.abs(out.gaussians[c]![t]! - cpuGauss[t]!));
      }
    });
    const report: PhiloxReport = {
      knownAnswers: counters.map((_, c) => hex(out.words[c]!)),
      cases: cases.length,
      wordMismatches,
      worstGaussian,
    };
    show('philoxKnownAnswers', report);
    return report;
  },

  gpuVsCpu(config, steps, threads) {
    return withGpuSimulation(config, async (gpu, problem, dynamics) => {
      const cpu = await createCpuSimulation(problem, dynamics, { threads });
      try {
        const x0 = await cpu.particles();
        const initialDifference = worstDifference(await gpu.particles(), x0);
        const [xGpu, gpuSeconds] = await timed(async () => {
          await gpu.run(steps);
          return gpu.particles();
        });
        const [xCpu, cpuSeconds] = await timed(async () => {
          await cpu.run(steps);
          return cpu.particles();
        });
        const lossPair = async (split: 'train' | 'test') => ({
          gpu: await gpu.loss(split),
          cpu: await cpu.loss(split),
        });
        const report: GpuVsCpuReport = {
          steps,
          gpuDevice: gpu.device,
          cpuDevice: cpu.device,
          initialDifference,
          worstDifference: worstDifference(xGpu, xCpu),
          moved: worstDifference(xCpu, x0),
          loss: {
            train: await lossPair('train'),
            test: problem.test ? await lossPair('test') : null,
          },
          seconds: { gpu: gpuSeconds, cpu: cpuSeconds },
        };
        show('gpuVsCpu', report);
        return report;
      } finally {
        cpu.destroy();
      }
    });
  },

  async exactLaw(config, k) {
    if (config.dataset.name !== 'none') {
      throw new Error(`exactLaw needs the data set none (F ≡ 0), got ${config.dataset.name}`);
    }
    return withGpuSimulation(config, async (sim, _problem, dynamics) => {
      const [moments, seconds] = await timed(async () => {
        await sim.run(k);
        return sim.moments();
      });
      const { mean, var: variance } = moments;
      const d = sim.d;
      // Coordinates of all particles are independent Gaussians of one law: pool them.
      const pooledMean = mean.reduce((s, m) => s + m, 0) / d;
      const pooledVariance =
        variance.reduce((s, v, j) => s + v + mean[j]! ** 2, 0) / d - pooledMean ** 2;
      const { sigma, tau, priorStd, initStd } = dynamics;
      const report: ExactLawReport = {
        n: sim.n,
        d,
        k: sim.step,
        samples: sim.n * d,
        pooledMean,
        pooledVariance,
        expectedVariance: exactNoDataVariance(sigma, tau, priorStd, initStd, k),
        initialVariance: initStd ** 2,
        seconds,
      };
      show(`exactLaw k = ${k}`, report);
      return report;
    });
  },

  training(config) {
    return withGpuSimulation(config, async (sim, problem) => {
      const history: TrainingReport['history'] = [];
      const log = async (): Promise<void> => {
        const train = await sim.loss('train');
        const test = problem.test ? await sim.loss('test') : null;
        history.push({ step: sim.step, train, test });
      };
      const [, seconds] = await timed(async () => {
        await log();
        while (sim.step < config.steps) {
          await sim.run(Math.min(config.logEvery, config.steps - sim.step));
          await log();
        }
      });
      const report: TrainingReport = { steps: sim.step, history, seconds };
      show('training', report);
      return report;
    });
  },
};

window.engineCheck = engineCheck;
statusElement.textContent = 'ready';
