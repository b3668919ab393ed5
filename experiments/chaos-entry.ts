// Gallery entry 3: propagation of chaos. The n-particle network fⁿ fluctuates around the
// mean-field network f* of m* (mfld stationary) with a variance ∝ 1/n: the variance part of
// the gap F(mⁿ) − F(m*), measured here by averaging over time within each run.
import { fitExponent } from '../src/study/power-fit';
import { parseConfigObject } from '../src/contract/config-parse';
import { activation } from '../src/contract/model';
import { createCpuSimulation } from '../src/cpu/reference';
import { buildProblem } from '../src/data/datasets';
import { linePlotSvg } from '../src/plot/svg';
import { dynamicsFromConfig } from '../src/study/run-study';
import type { GalleryEntry, GallerySize } from './gallery';
import { stationaryLawOf } from './stationary-entry';

/** The theory's exponent of the gap against n, and the tolerance the fit is held to. */
const THEORY_SLOPE = -1;
const SLOPE_TOLERANCE = 0.15;
/** Time to stationarity at σ = 2, the time averaged over after it, and between samples. */
const BURN_IN = 1;
const AVERAGED = 3;
const SAMPLES_EVERY = 0.1;

export const chaosEntry: GalleryEntry = {
  id: 'chaos',
  title: 'Propagation of chaos: the gap to the mean-field limit against n',
  claim:
    'At stationarity the network of n particles fluctuates around the mean-field network f* ' +
    'of m* by O(1/√n): the variance of fⁿ, averaged over the data points, falls as 1/n, a ' +
    'slope of −1 against n on log–log axes.',
  method:
    'Theory: slope −1, held to ±0.15, over n = 2^6 … 2^16. The gap F(mⁿ) − F(m*) splits into ' +
    'this variance part, free of the time step’s bias, and a bias part, (mean of fⁿ − f*)², ' +
    'which holds the O(τ) bias of the time step (τ = 0.01), the O(1/n) bias of the law and the ' +
    'noise of a finite time average; the figure shows it beside, against f* of mfld ' +
    'stationary. Each run averages over t from 1 (σ = 2 is stationary by then) to 4, every 0.1.',
  async run(size: GallerySize, threads: number) {
    const full = size === 'full';
    const sizes = full ? [64, 256, 1024, 4096, 16384, 65536] : [64, 256, 1024, 4096];
    const tau = 0.01;
    const base = {
      backend: 'cpu',
      dataset: 'sine',
      bias: false,
      samples: 32,
      testSamples: 0,
      noise: 0.1,
      batch: 'full',
      activation: 'tanh',
      sigma: 2,
      tau,
      steps: Math.round((BURN_IN + AVERAGED) / tau),
      seed: 41,
    };
    const { phi } = activation('tanh');
    const burnIn = Math.round(BURN_IN / tau);
    const every = Math.round(SAMPLES_EVERY / tau);
    const spreads: { n: number; seconds: number }[] = [];
    const offsets: [number, number][] = [];
    for (const [index, n] of sizes.entries()) {
      const run = parseConfigObject({ ...base, n, seed: base.seed + index });
      // The data depend on the seed: each run is measured against f* of its own data.
      const problem = buildProblem(run);
      const law = stationaryLawOf(run, problem);
      const { z, count } = problem.train;
      const sim = await createCpuSimulation(problem, dynamicsFromConfig(run), { threads });
      try {
        // fⁿ fluctuates in time around its mean by O(1/√n): its variance over the samples
        // SAMPLES_EVERY apart after the burn-in is the pure O(1/n) part of the gap, free of
        // the O(τ) bias of the time step, which sits in the distance of the mean to f*.
        await sim.run(burnIn);
        const fSum = new Float64Array(count);
        const fSquares = new Float64Array(count);
        let samples = 0;
        while (sim.step < run.steps) {
          await sim.run(Math.min(every, run.steps - sim.step));
          const x = await sim.particles();
          for (let b = 0; b < count; b++) {
            let f = 0;
            for (let i = 0; i < n; i++) f += x[2 * i + 1]! * phi(x[2 * i]! * z[b]!);
            fSum[b]! += f / n;
            fSquares[b]! += (f / n) ** 2;
          }
          samples++;
        }
        let variance = 0;
        let bias = 0;
        for (let b = 0; b < count; b++) {
          const mean = fSum[b]! / samples;
          variance += fSquares[b]! / samples - mean * mean;
          bias += (mean - law.outputs[b]!) ** 2;
        }
        spreads.push({ n, seconds: variance / count });
        offsets.push([n, bias / count]);
      } finally {
        sim.destroy();
      }
    }
    const fit = fitExponent(spreads, spreads.length);
    // The theory's line C/n through the points' geometric mean.
    const logC =
      spreads.reduce((sum, { n, seconds }) => sum + Math.log(seconds * n), 0) / spreads.length;
    const line = (n: number): readonly [number, number] => [n, Math.exp(logC) * n ** THEORY_SLOPE];
    const figure = linePlotSvg({
      title: 'sine data, d = 2, σ = 2: fⁿ against the mean-field limit',
      xLabel: 'n (particles)',
      yLabel: 'mean over the data points',
      series: [
        {
          label: `var of fⁿ: slope ${fit.exponent.toFixed(2)}`,
          style: 'points',
          color: '#1f5fa8',
          marker: 'circle',
          points: spreads.map(({ n, seconds }) => [n, seconds] as const),
        },
        {
          label: 'theory: C/n',
          style: 'line',
          color: '#1f5fa8',
          dash: 'dashed',
          points: [line(sizes[0]!), line(sizes.at(-1)!)],
        },
        {
          label: '(mean fⁿ − f*)²',
          style: 'points',
          color: '#d0452b',
          marker: 'square',
          points: offsets,
        },
      ],
    });
    return {
      figures: [{ name: 'chaos', svg: figure }],
      rows: [
        {
          quantity: `slope of the variance of fⁿ against n, n = ${sizes[0]} … ${sizes.at(-1)}`,
          measured: fit.exponent,
          theory: THEORY_SLOPE,
          check: 'within',
          tolerance: SLOPE_TOLERANCE,
        },
        {
          quantity: 'R² of that fit (theory: a straight line, 1)',
          measured: fit.r2,
          theory: 1,
          check: 'within',
          tolerance: 0.05,
        },
      ],
    };
  },
};
