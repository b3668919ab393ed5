// The gallery of docs/experiments.md: each entry reproduces one claim of the theory on the
// CPU reference, at a full size for the docs (`npm run experiments`) and a small one for the
// unit test (test/experiments/gallery.test.ts), and returns its figure and a table of measured
// numbers beside the theory's, each with the tolerance it is held to.
import type { RunConfig } from '../src/contract/config';
import { parseConfigObject } from '../src/contract/config-parse';
import { noiseLevel, type Simulation } from '../src/contract/simulation';
import { createCpuSimulation } from '../src/cpu/reference';
import { buildProblem } from '../src/data/datasets';
import { linePlotSvg, type PlotSeries } from '../src/plot/svg';
import { dynamicsFromConfig, runStudy, type LossEntry } from '../src/study/run-study';
import { chaosEntry } from './chaos-entry';
import { stationaryEntry } from './stationary-entry';

export type GallerySize = 'full' | 'small';

/** One line of an entry's table. `theory` is a number, or a bound the measured one must keep. */
export interface GalleryRow {
  readonly quantity: string;
  readonly measured: number;
  readonly theory: number;
  /** How the two must compare: within `tolerance` of each other, or on one side. */
  readonly check: 'within' | 'below' | 'above';
  readonly tolerance: number;
}

export interface GalleryResult {
  readonly figures: readonly { readonly name: string; readonly svg: string }[];
  readonly rows: readonly GalleryRow[];
}

export interface GalleryEntry {
  readonly id: string;
  readonly title: string;
  /** The claim in one sentence. */
  readonly claim: string;
  /** How the table's theory column and tolerances are obtained. */
  readonly method: string;
  run(size: GallerySize, threads: number): Promise<GalleryResult>;
}

/** Whether a row's measured number agrees with the theory as its check says. */
export function rowHolds(row: GalleryRow): boolean {
  switch (row.check) {
    case 'within':
      return Math.abs(row.measured - row.theory) <= row.tolerance;
    case 'below':
      return row.measured <= row.theory + row.tolerance;
    case 'above':
      return row.measured >= row.theory - row.tolerance;
  }
}

const COLORS = ['#1f5fa8', '#d0452b', '#2a8a3e', '#7a3fa0', '#b8860b'] as const;
const color = (i: number): string => COLORS[i % COLORS.length]!;

function config(fields: Record<string, string | number | boolean>): RunConfig {
  return parseConfigObject({ backend: 'cpu', ...fields });
}

async function withSimulation<T>(
  run: RunConfig,
  threads: number,
  use: (sim: Simulation) => Promise<T>,
): Promise<T> {
  const sim = await createCpuSimulation(buildProblem(run), dynamicsFromConfig(run), { threads });
  try {
    return await use(sim);
  } finally {
    sim.destroy();
  }
}

/** E[x²] over particles and coordinates: the variance of the F ≡ 0 chain, whose mean is 0. */
async function secondMoment(sim: Simulation): Promise<number> {
  const { mean, var: variance } = await sim.moments();
  let sum = 0;
  for (let t = 0; t < mean.length; t++) sum += variance[t]! + mean[t]! ** 2;
  return sum / mean.length;
}

/** The exact variance after each step of x' = (1 − a_k) x + σ_k √τ ξ from N(0, s0²) (SPEC §2). */
export function ar1Variance(run: RunConfig, steps: number): number[] {
  const dynamics = dynamicsFromConfig(run);
  const out = [run.initStd ** 2];
  for (let k = 0; k < steps; k++) {
    const sigma = noiseLevel(dynamics, k);
    const a = (run.tau * sigma * sigma) / (2 * run.priorStd ** 2);
    out.push((1 - a) ** 2 * out[k]! + sigma * sigma * run.tau);
  }
  return out;
}

/** E[x²] of the particles at steps 0, every, 2·every, … up to `steps`. */
async function varianceTrace(
  run: RunConfig,
  every: number,
  threads: number,
): Promise<[number, number][]> {
  return withSimulation(run, threads, async (sim) => {
    const trace: [number, number][] = [[0, await secondMoment(sim)]];
    while (sim.step < run.steps) {
      await sim.run(Math.min(every, run.steps - sim.step));
      trace.push([sim.step, await secondMoment(sim)]);
    }
    return trace;
  });
}

/** Rows of measured E[x²] against the exact variance, each held to 5 standard errors. */
function varianceRows(
  label: string,
  trace: readonly [number, number][],
  exact: readonly number[],
  samples: number,
  at: readonly number[],
): GalleryRow[] {
  return at.map((k) => {
    const theory = exact[k]!;
    const measured = trace.find(([step]) => step === k)![1];
    // The sample second moment of Gaussians has relative standard error √(2/samples).
    return {
      quantity: `${label} variance at k = ${k}`,
      measured,
      theory,
      check: 'within',
      tolerance: 5 * theory * Math.sqrt(2 / samples),
    };
  });
}

const ar1: GalleryEntry = {
  id: 'ar1',
  title: 'F ≡ 0: the exact AR(1) variance',
  claim:
    'Without data every coordinate is the AR(1) chain of SPEC §2, so the particles’ variance ' +
    'follows v + (1 − a)^{2k} (s0² − v) exactly, from s0² to v = 2s²/(2 − a).',
  method:
    'Theory: the closed form of SPEC §2. Tolerance: 5 standard errors of a sample second ' +
    'moment, 5 · v_k · √(2/(n d)).',
  async run(size, threads) {
    const n = size === 'full' ? 65536 : 4096;
    const steps = size === 'full' ? 200 : 60;
    const run = config({
      dataset: 'none',
      dim: 1,
      bias: false,
      n,
      steps,
      sigma: 1,
      tau: 0.1,
      initStd: 0.2,
      seed: 11,
    });
    const d = 2;
    const trace = await varianceTrace(run, steps / 20, threads);
    const exact = ar1Variance(run, steps);
    const a = run.tau / 2;
    const stationary = 2 / (2 - a);
    const figure = linePlotSvg({
      title: 'F ≡ 0: particle variance against step k',
      xLabel: 'step k',
      yLabel: 'variance E[x²]',
      xLog: false,
      yLog: false,
      series: [
        {
          label: `theory (SPEC §2)`,
          style: 'line',
          color: color(0),
          dash: 'solid',
          points: exact.map((v, k) => [k, v] as const),
        },
        {
          label: `particles, n = ${n}`,
          style: 'points',
          color: color(1),
          marker: 'circle',
          points: trace,
        },
        {
          label: 'stationary v = 2s²/(2 − a)',
          style: 'line',
          color: '#555',
          dash: 'dotted',
          points: [
            [0, stationary],
            [steps, stationary],
          ],
        },
      ],
    });
    return {
      figures: [{ name: 'ar1', svg: figure }],
      rows: varianceRows('F ≡ 0', trace, exact, n * d, [steps / 10, steps / 4, steps]),
    };
  },
};

/** The training loss history of a run on the CPU reference. */
async function lossHistory(run: RunConfig, threads: number): Promise<LossEntry[]> {
  return withSimulation(run, threads, async (sim) => {
    const summary = await runStudy(sim, run, { onLog: () => {} });
    return summary.lossHistory;
  });
}

const anneal: GalleryEntry = {
  id: 'anneal',
  title: 'Annealing σ_k → 0 against a fixed σ',
  claim:
    'Lowering σ_k linearly to 0 removes the entropic term that a fixed σ keeps, so on data ' +
    'the annealed run ends with a lower training loss; without data its variance follows the ' +
    'exact annealed AR(1) recursion, in which the prior’s pull σ²/2 ∇U fades with σ and the ' +
    'particles freeze where a fixed σ relaxes them to v.',
  method:
    'Theory without data: the recursion v_{k+1} = (1 − a_k)² v_k + τσ_k², a_k = τσ_k²/(2s²), ' +
    'held to 5 standard errors. With data (sine, full batch) the theory gives an order: the ' +
    'annealed final loss must be below the fixed-σ one (tolerance 0).',
  async run(size, threads) {
    const full = size === 'full';
    const noData = {
      dataset: 'none',
      dim: 1,
      bias: false,
      n: full ? 65536 : 8192,
      // Short enough that the fading pull leaves the annealed chain visibly unrelaxed.
      steps: 40,
      sigma: 1,
      tau: 0.1,
      // Far from v, so that the fixed σ's relaxation and the annealed freeze differ.
      initStd: 2,
      seed: 12,
    };
    const fixedNoData = config(noData);
    const annealedNoData = config({ ...noData, sigmaFinal: 0 });
    const every = 2;
    const fixedTrace = await varianceTrace(fixedNoData, every, threads);
    const annealedTrace = await varianceTrace(annealedNoData, every, threads);
    const fixedExact = ar1Variance(fixedNoData, noData.steps);
    const annealedExact = ar1Variance(annealedNoData, noData.steps);
    const samples = noData.n * 2;

    const withData = {
      dataset: 'sine',
      samples: full ? 256 : 64,
      testSamples: 0,
      noise: 0.1,
      n: full ? 512 : 128,
      steps: full ? 1500 : 300,
      logEvery: full ? 100 : 30,
      batch: 'full',
      sigma: 0.3,
      tau: 0.1,
      seed: 13,
    };
    const fixedLoss = await lossHistory(config(withData), threads);
    const annealedLoss = await lossHistory(config({ ...withData, sigmaFinal: 0 }), threads);
    const lossPoints = (history: LossEntry[]): [number, number][] =>
      history.map((e) => [e.step, e.train]);

    const varianceFigure = linePlotSvg({
      title: 'F ≡ 0: variance from s0 = 2, σ fixed at 1 or annealed 1 → 0',
      xLabel: 'step k',
      yLabel: 'variance E[x²]',
      xLog: false,
      yLog: false,
      series: [
        {
          label: 'theory, fixed σ',
          style: 'line',
          color: color(0),
          dash: 'solid',
          points: fixedExact.map((v, k) => [k, v] as const),
        },
        {
          label: 'particles, fixed σ',
          style: 'points',
          color: color(0),
          marker: 'circle',
          points: fixedTrace,
        },
        {
          label: 'theory, annealed',
          style: 'line',
          color: color(1),
          dash: 'dashed',
          points: annealedExact.map((v, k) => [k, v] as const),
        },
        {
          label: 'particles, annealed',
          style: 'points',
          color: color(1),
          marker: 'square',
          points: annealedTrace,
        },
      ],
    });
    const lossFigure = linePlotSvg({
      title: `sine data: train loss, σ fixed at ${withData.sigma} or annealed to 0`,
      xLabel: 'step k',
      yLabel: 'train loss F',
      xLog: false,
      yLog: true,
      series: [
        {
          label: `fixed σ = ${withData.sigma}`,
          style: 'linepoints',
          color: color(0),
          marker: 'circle',
          dash: 'solid',
          points: lossPoints(fixedLoss),
        },
        {
          label: 'annealed σ → 0',
          style: 'linepoints',
          color: color(1),
          marker: 'square',
          dash: 'dashed',
          points: lossPoints(annealedLoss),
        },
      ],
    });
    const k = noData.steps;
    return {
      figures: [
        { name: 'anneal-variance', svg: varianceFigure },
        { name: 'anneal-loss', svg: lossFigure },
      ],
      rows: [
        ...varianceRows('F ≡ 0, fixed σ:', fixedTrace, fixedExact, samples, [k]),
        ...varianceRows('F ≡ 0, annealed:', annealedTrace, annealedExact, samples, [k / 2, k]),
        {
          quantity: 'sine: final train loss, annealed (theory: below fixed σ’s)',
          measured: annealedLoss.at(-1)!.train,
          theory: fixedLoss.at(-1)!.train,
          check: 'below',
          tolerance: 0,
        },
      ],
    };
  },
};

/**
 * The Bayes square risk E[(y − E[y|z])²] of the two Gaussians N(0, (1 ± Δ)² I_dim), labels
 * ±1 with equal weight: E[y|z] depends on r = |z| alone, so it is a 1-D integral over the
 * chi densities of r, done by the trapezoid rule on a fine grid (normalised numerically, so no
 * Γ function is needed).
 */
export function gaussiansBayesRisk(separation: number, dim: number, points = 20000): number {
  const plus = 1 + separation;
  const minus = 1 - separation;
  const rMax = plus * (Math.sqrt(dim) + 12);
  let mass = 0;
  let explained = 0;
  for (let i = 1; i <= points; i++) {
    const r = (rMax * i) / points;
    const logDensity = (s: number): number =>
      (dim - 1) * Math.log(r) - (r * r) / (2 * s * s) - dim * Math.log(s);
    const p = Math.exp(logDensity(plus));
    const m = Math.exp(logDensity(minus));
    const posterior = (p - m) / (p + m);
    mass += 0.5 * (p + m);
    explained += 0.5 * (p + m) * posterior * posterior;
  }
  return 1 - explained / mass;
}

const gaussians: GalleryEntry = {
  id: 'gaussians',
  title: 'Two Gaussians (Mei, Montanari and Nguyen 2018)',
  claim:
    'On labels ±1 with inputs N(0, (1 ± Δ)² I_d) the test risk of the network falls with ' +
    'time towards the Bayes risk along nearly the same curve for every n, as the ' +
    'mean-field limit predicts.',
  method:
    'Theory: the Bayes square risk 1 − E[E[y|z]²] (a 1-D integral over |z|), a floor no ' +
    'predictor beats, and the risk 1 of f ≡ 0, which learning must beat. Tolerance: the ' +
    'standard error of a test risk over its held-out points.',
  async run(size, threads) {
    const full = size === 'full';
    const separation = 0.5;
    const dim = 4;
    const sizes = full ? [64, 256, 1024] : [32, 128];
    const testSamples = full ? 2048 : 512;
    const base = {
      dataset: 'gaussians',
      separation,
      dim,
      samples: full ? 2048 : 512,
      testSamples,
      n: 1,
      steps: full ? 3000 : 600,
      logEvery: full ? 150 : 60,
      batch: 32,
      sigma: 0.05,
      tau: 0.2,
      seed: 21,
    };
    const histories: LossEntry[][] = [];
    for (const n of sizes) histories.push(await lossHistory(config({ ...base, n }), threads));
    const bayes = gaussiansBayesRisk(separation, dim);
    const tMax = base.steps * base.tau;
    const series: PlotSeries[] = histories.map((history, i) => ({
      label: `n = ${sizes[i]}`,
      style: 'linepoints',
      color: color(i),
      points: history.filter((e) => e.step > 0).map((e) => [e.time, e.test!] as const),
    }));
    series.push({
      label: 'Bayes risk',
      style: 'line',
      color: '#555',
      dash: 'dotted',
      points: [
        [base.tau * base.logEvery, bayes],
        [tMax, bayes],
      ],
    });
    const figure = linePlotSvg({
      title: `two Gaussians, Δ = ${separation}, d = ${dim}: test risk against time`,
      xLabel: 'time t = kτ',
      yLabel: 'test risk E(y − f(z))²',
      xLog: true,
      yLog: false,
      series,
    });
    const rows: GalleryRow[] = [];
    histories.forEach((history, i) => {
      const risk = history.at(-1)!.test!;
      // Squared residuals of ±1 labels are at most about 4: a generous bound on their spread.
      const standardError = 2 / Math.sqrt(testSamples);
      rows.push(
        {
          quantity: `n = ${sizes[i]}: final test risk (theory: at least the Bayes risk)`,
          measured: risk,
          theory: bayes,
          check: 'above',
          tolerance: 3 * standardError,
        },
        {
          quantity: `n = ${sizes[i]}: final test risk (theory: below 1, the risk of f ≡ 0)`,
          measured: risk,
          theory: 1,
          check: 'below',
          tolerance: -3 * standardError,
        },
      );
    });
    return { figures: [{ name: 'gaussians', svg: figure }], rows };
  },
};

export const GALLERY: readonly GalleryEntry[] = [
  ar1,
  stationaryEntry,
  chaosEntry,
  anneal,
  gaussians,
];
