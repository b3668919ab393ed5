// Gallery entry 2: the particles' law converges to the stationary law m* of SPEC §4, solved
// on a grid by src/contract/stationary.ts, and V(m_t) − V(m*) decays faster for a larger σ.
import { contours } from 'd3-contour';
import type { RunConfig } from '../src/contract/config';
import { parseConfigObject } from '../src/contract/config-parse';
import { freeEnergy } from '../src/contract/observables';
import type { Problem } from '../src/contract/simulation';
import {
  STATIONARY_DEFAULTS,
  solveStationary,
  type StationaryLaw,
} from '../src/contract/stationary';
import { createCpuSimulation } from '../src/cpu/reference';
import { buildProblem } from '../src/data/datasets';
import { linePlotSvg, type PlotSeries } from '../src/plot/svg';
import { dynamicsFromConfig } from '../src/study/run-study';
import type { GalleryEntry, GalleryRow, GallerySize } from './gallery';

const COLORS = ['#1f5fa8', '#d0452b'] as const;

export function stationaryLawOf(run: RunConfig, problem: Problem): StationaryLaw {
  return solveStationary(problem, {
    sigma: run.sigma,
    priorStd: run.priorStd,
    activation: run.activation,
    loss: run.loss,
    huberDelta: run.huberDelta,
    gridPoints: STATIONARY_DEFAULTS.gridPoints,
    extent: STATIONARY_DEFAULTS.extentInPriorStd * run.priorStd,
    damping: STATIONARY_DEFAULTS.damping,
    tolerance: STATIONARY_DEFAULTS.tolerance,
    maxIterations: STATIONARY_DEFAULTS.maxIterations,
  });
}

interface Trajectory {
  /** (t, V(m_t)) at the log points. */
  readonly freeEnergy: [number, number][];
  readonly particles: Float32Array;
  readonly mean: readonly number[];
  readonly var: readonly number[];
}

/** Log points of V(m_t) along a trajectory. */
const LOG_POINTS = 32;

/** V(m_t) at LOG_POINTS times, and the final particles and moments. */
async function trajectory(run: RunConfig, problem: Problem, threads: number): Promise<Trajectory> {
  const sim = await createCpuSimulation(problem, dynamicsFromConfig(run), { threads });
  try {
    const points: [number, number][] = [];
    const record = async (): Promise<void> => {
      const x = await sim.particles();
      const loss = await sim.loss('train');
      const v = freeEnergy(x, sim.n, sim.d, loss, run.sigma, run.priorStd, sim.n).value;
      points.push([sim.step * run.tau, v]);
    };
    await record();
    // Log points at steps K·(j/J)²: dense early, where V falls fastest.
    for (let j = 1; j <= LOG_POINTS; j++) {
      const next = Math.round(run.steps * (j / LOG_POINTS) ** 2);
      if (next > sim.step) {
        await sim.run(next - sim.step);
        await record();
      }
    }
    const moments = await sim.moments();
    return {
      freeEnergy: points,
      particles: await sim.particles(),
      mean: Array.from(moments.mean),
      var: Array.from(moments.var),
    };
  } finally {
    sim.destroy();
  }
}

/**
 * The decay rate of V(m_t) − V(m*): the least-squares slope of −log(gap) against t over the
 * first decay, from the first point below `high` until the gap first falls below the noise
 * floor: 3 standard deviations of V over the second half of the run, where it is stationary.
 */
export function decayRate(points: readonly [number, number][], high: number): number {
  const tail = points.slice(Math.floor(points.length / 2)).map(([, gap]) => gap);
  const tailMean = tail.reduce((a, b) => a + b, 0) / tail.length;
  const tailVar = tail.reduce((a, b) => a + (b - tailMean) ** 2, 0) / (tail.length - 1);
  const floor = Math.max(0, tailMean) + 3 * Math.sqrt(tailVar);
  const end = points.findIndex(([, gap]) => gap < floor);
  const used = points.slice(0, end < 0 ? points.length : end).filter(([, gap]) => gap < high);
  if (used.length < 2) return NaN;
  const ts = used.map(([t]) => t);
  const ls = used.map(([, gap]) => Math.log(gap));
  const tMean = ts.reduce((a, b) => a + b, 0) / ts.length;
  const lMean = ls.reduce((a, b) => a + b, 0) / ls.length;
  let num = 0;
  let den = 0;
  ts.forEach((t, i) => {
    num += (t - tMean) * (ls[i]! - lMean);
    den += (t - tMean) ** 2;
  });
  return -num / den;
}

/** E[(α − ᾱ)(c − c̄)] of particles of d = 2. */
function covariance(x: Float32Array, n: number): number {
  let a = 0;
  let c = 0;
  let ac = 0;
  for (let i = 0; i < n; i++) {
    a += x[2 * i]!;
    c += x[2 * i + 1]!;
    ac += x[2 * i]! * x[2 * i + 1]!;
  }
  return ac / n - (a / n) * (c / n);
}

/** Particles drawn in the 2-D figure: enough to see the law, few enough for a small file. */
const SCATTER_POINTS = 1500;
/** Contour levels of m* as shares of its peak density. */
const CONTOUR_LEVELS = [0.1, 0.3, 0.5, 0.7, 0.9];

/** The 2-D figure: m*'s contour lines over a scatter of the particles (α across, c up). */
function densityFigure(law: StationaryLaw, x: Float32Array, n: number, sigma: number): string {
  const g = law.axis.length;
  // d3-contour wants values[column + row · g] with the column along x (α) and the row along c.
  const values = new Array<number>(g * g);
  let peak = 0;
  for (let i = 0; i < g; i++) {
    for (let j = 0; j < g; j++) {
      values[j * g + i] = law.density[i * g + j]!;
      peak = Math.max(peak, law.density[i * g + j]!);
    }
  }
  // A contour coordinate k is grid index k − 0.5 (d3 puts value k at the centre of [k, k + 1]).
  const toValue = (k: number): number => law.axis[0]! + (k - 0.5) * law.spacing;
  const rings = contours()
    .size([g, g])
    .thresholds(CONTOUR_LEVELS.map((share) => share * peak))(values)
    .flatMap((level) => level.coordinates.flat())
    .map((ring) => ring.map(([kx, ky]) => [toValue(kx!), toValue(ky!)] as const));
  const stride = Math.max(1, Math.floor(n / SCATTER_POINTS));
  const scatter: [number, number][] = [];
  for (let i = 0; i < n; i += stride) scatter.push([x[2 * i]!, x[2 * i + 1]!]);
  return linePlotSvg({
    title: `σ = ${sigma}: particles against the contours of m*`,
    xLabel: 'α',
    yLabel: 'c',
    xLog: false,
    yLog: false,
    series: [
      {
        label: `particles (${scatter.length} of ${n})`,
        style: 'points',
        color: '#777',
        marker: 'dot',
        points: scatter,
      },
      {
        label: `m* at ${CONTOUR_LEVELS.join(', ')} of its peak`,
        style: 'line',
        color: '#d0452b',
        dash: 'solid',
        points: [],
        segments: rings,
      },
    ],
  });
}

/** A marginal of m* on its grid (axis 0: α, 1: c), as a density. */
function lawMarginal(law: StationaryLaw, axis: 0 | 1): [number, number][] {
  const g = law.axis.length;
  return Array.from(law.axis, (u, k) => {
    let sum = 0;
    for (let l = 0; l < g; l++) sum += law.density[axis === 0 ? k * g + l : l * g + k]!;
    return [u, sum * law.spacing] as [number, number];
  });
}

/** A histogram of coordinate `axis` of the particles, as a density at the bin centres. */
function particleMarginal(
  x: Float32Array,
  n: number,
  axis: 0 | 1,
  lo: number,
  hi: number,
  bins: number,
): [number, number][] {
  const counts = new Float64Array(bins);
  const width = (hi - lo) / bins;
  for (let i = 0; i < n; i++) {
    const b = Math.floor((x[2 * i + axis]! - lo) / width);
    if (b >= 0 && b < bins) counts[b]!++;
  }
  return Array.from(
    counts,
    (c, b) => [lo + (b + 0.5) * width, c / (n * width)] as [number, number],
  );
}

export const stationaryEntry: GalleryEntry = {
  id: 'stationary',
  title: 'The particles’ law converges to m*',
  claim:
    'For particles of d = 2 with a full batch, the particles’ law at large n and t is the ' +
    'minimiser m* of V = F + (σ²/2) KL(m ‖ g) (mfld stationary), and V(m_t) − V(m*) decays ' +
    'exponentially in t, faster for a larger σ.',
  method:
    'Theory: m* from the grid solver (mfld stationary). Moments: the particles’ mean within ' +
    '4 standard errors plus τ (the O(τ) bias of the time step) of m*’s, their variance within ' +
    '4 standard errors plus τ relative, and so their covariance. Rates: the slope of log(V(m_t) − V(m*)) over its first decay, from 1 down to the ' +
    'noise of the entropy estimate, the larger σ’s rate above the smaller’s.',
  async run(size: GallerySize, threads: number) {
    const full = size === 'full';
    const sigmas = [1, 2];
    const base = {
      backend: 'cpu',
      dataset: 'sine',
      bias: false,
      samples: full ? 64 : 32,
      testSamples: 0,
      noise: 0.1,
      batch: 'full',
      n: full ? 8192 : 2048,
      steps: full ? 512 : 256,
      tau: 0.02,
      initStd: 0.3,
      seed: 31,
    };
    const rows: GalleryRow[] = [];
    const gaps: PlotSeries[] = [];
    const marginals: PlotSeries[][] = [[], []];
    const rates: number[] = [];
    const densityFigures: { name: string; svg: string }[] = [];
    for (const [index, sigma] of sigmas.entries()) {
      const run = parseConfigObject({ ...base, sigma });
      const problem = buildProblem(run);
      const law = stationaryLawOf(run, problem);
      const path = await trajectory(run, problem, threads);
      const gap = path.freeEnergy
        .filter(([t]) => t > 0)
        .map(([t, v]) => [t, v - law.freeEnergy] as [number, number]);
      const rate = decayRate(gap, 1);
      densityFigures.push({
        name: `stationary-density-sigma${sigma}`,
        svg: densityFigure(law, path.particles, run.n, sigma),
      });
      rates.push(rate);
      gaps.push({
        label: `σ = ${sigma}: rate ${rate.toFixed(2)}`,
        style: 'linepoints',
        color: COLORS[index]!,
        points: gap,
      });
      const names = ['α', 'c'] as const;
      // The joint law's shape beyond its marginals: the covariance of α and c.
      const scale = Math.sqrt(law.var[0] * law.var[1]);
      rows.push({
        quantity: `σ = ${sigma}: covariance of α and c`,
        measured: covariance(path.particles, run.n),
        theory: law.covariance,
        check: 'within',
        tolerance: 4 * Math.sqrt((scale ** 2 + law.covariance ** 2) / run.n) + run.tau * scale,
      });
      for (const axis of [0, 1] as const) {
        const se = Math.sqrt(law.var[axis] / run.n);
        rows.push(
          {
            quantity: `σ = ${sigma}: mean of ${names[axis]}`,
            measured: path.mean[axis]!,
            theory: law.mean[axis],
            check: 'within',
            tolerance: 4 * se + run.tau,
          },
          {
            quantity: `σ = ${sigma}: variance of ${names[axis]}`,
            measured: path.var[axis]!,
            theory: law.var[axis],
            check: 'within',
            tolerance: law.var[axis] * (4 * Math.sqrt(2 / run.n) + run.tau),
          },
        );
        const spread = 4 * Math.sqrt(law.var[axis]) + Math.abs(law.mean[axis]);
        marginals[axis]!.push(
          {
            label: `m*, σ = ${sigma}`,
            style: 'line',
            color: COLORS[index]!,
            dash: index === 0 ? 'solid' : 'dashed',
            points: lawMarginal(law, axis).filter(([u]) => Math.abs(u) <= spread),
          },
          {
            label: `particles, σ = ${sigma}`,
            style: 'points',
            color: COLORS[index]!,
            marker: index === 0 ? 'circle' : 'square',
            points: particleMarginal(path.particles, run.n, axis, -spread, spread, 40),
          },
        );
      }
    }
    rows.push({
      quantity: `decay rate of V − V(m*) at σ = ${sigmas[1]} (theory: above σ = ${sigmas[0]}’s)`,
      measured: rates[1]!,
      theory: rates[0]!,
      check: 'above',
      tolerance: 0,
    });
    const marginalFigure = (axis: 0 | 1): string =>
      linePlotSvg({
        title: `sine data, d = 2: the law of ${axis === 0 ? 'α' : 'c'} against m*`,
        xLabel: axis === 0 ? 'α' : 'c',
        yLabel: 'density',
        xLog: false,
        yLog: false,
        series: marginals[axis]!,
      });
    return {
      figures: [
        {
          name: 'stationary-gap',
          svg: linePlotSvg({
            title: 'V(m_t) − V(m*) against time',
            xLabel: 'time t',
            yLabel: 'V(m_t) − V(m*)',
            xLog: false,
            yLog: true,
            series: gaps,
          }),
        },
        ...densityFigures,
        { name: 'stationary-alpha', svg: marginalFigure(0) },
        { name: 'stationary-c', svg: marginalFigure(1) },
      ],
      rows,
    };
  },
};
