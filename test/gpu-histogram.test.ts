// The GPU particle histogram against a CPU histogram of the read-back particles, binned by
// the same float32 formula, so coordinate projections agree bin for bin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dynamics, Problem, Simulation } from '../src/contract/simulation';
import { createCpuSimulation } from '../src/cpu/reference';
import {
  binScale,
  createHistogram,
  projectionWeights,
  rangeFromMoments,
  type HistogramRange,
  type ParticleHistogram,
  type Projection,
} from '../src/gpu/histogram';
import { createGpuSimulation } from '../src/gpu/simulation';
import { BASE_DYNAMICS } from './support/cpu-fixtures';
import { shaders, useGpu } from './gpu-harness';

const gpu = useGpu();
const BINS = 16;
const P = 3;

const dynamics: Dynamics = { ...BASE_DYNAMICS, n: 3000, sigma: 0.5 };

function smallProblem(count: number): Problem {
  const z = new Float32Array(count * P);
  const y = new Float32Array(count);
  for (let m = 0; m < count; m++) {
    z[m * P] = Math.sin(1.7 * m) * 1.5;
    z[m * P + 1] = Math.cos(0.9 * m);
    z[m * P + 2] = 1;
    y[m] = Math.tanh(z[m * P]! - 0.5 * z[m * P + 1]!);
  }
  return { p: P, train: { z, y, count }, test: null };
}

/** The projections in float32, summed in the kernel's order. */
function project(x: Float32Array, i: number, weights: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < weights.length; j++)
    sum = Math.fround(sum + Math.fround(weights[j]! * x[i * weights.length + j]!));
  return sum;
}

function cpuBin(v: number, range: readonly [number, number]): number {
  const [lo, scale] = binScale(range, BINS);
  const t = Math.fround(Math.fround(v - lo) * scale);
  if (!(t >= 0 && t < BINS)) return -1;
  return Math.min(Math.floor(t), BINS - 1);
}

/** The CPU histogram, and how many particles lie within `margin` bins of an edge. */
function cpuHistogram(
  x: Float32Array,
  d: number,
  xAxis: Projection,
  yAxis: Projection,
  range: HistogramRange,
  margin = 0,
): { counts: Uint32Array; outside: number; nearEdge: number } {
  const wx = projectionWeights(xAxis, d);
  const wy = projectionWeights(yAxis, d);
  const counts = new Uint32Array(BINS * BINS);
  let outside = 0;
  let nearEdge = 0;
  for (let i = 0; i < x.length / d; i++) {
    const vx = project(x, i, wx);
    const vy = project(x, i, wy);
    for (const [v, r] of [
      [vx, range.x],
      [vy, range.y],
    ] as const) {
      const t = ((v - r[0]) * BINS) / (r[1] - r[0]);
      if (Math.abs(t - Math.round(t)) < margin) nearEdge++;
    }
    const bx = cpuBin(vx, range.x);
    const by = cpuBin(vy, range.y);
    if (bx < 0 || by < 0) outside++;
    else counts[by * BINS + bx]!++;
  }
  return { counts, outside, nearEdge };
}

describe('GPU particle histogram', () => {
  let sim: Simulation;
  let histogram: ParticleHistogram;
  let particles: Float32Array;

  beforeAll(async () => {
    sim = await createGpuSimulation(gpu(), smallProblem(24), dynamics, shaders);
    await sim.run(3);
    particles = await sim.particles();
    histogram = createHistogram(gpu(), sim, { bins: BINS, shaders });
  });
  afterAll(() => {
    histogram?.destroy();
    sim?.destroy();
  });

  it('c against α_1: bin for bin the CPU histogram; counts sum to n − outside; marginals are sums', async () => {
    const d = sim.d;
    // A range narrower than the particle cloud, so some particles fall outside.
    const range: HistogramRange = { x: [-1.5, 1.7], y: [-1.3, 2.1] };
    const result = await histogram.compute(d - 1, 0, range);
    const expected = cpuHistogram(particles, d, d - 1, 0, range);
    expect(result.outside).toBe(expected.outside);
    expect(result.outside).toBeGreaterThan(0);
    expect(Array.from(result.counts)).toEqual(Array.from(expected.counts));
    const total = result.counts.reduce((a, b) => a + b, 0);
    expect(total).toBe(sim.n - result.outside);
    for (let b = 0; b < BINS; b++) {
      let column = 0;
      let row = 0;
      for (let o = 0; o < BINS; o++) {
        column += result.counts[o * BINS + b]!;
        row += result.counts[b * BINS + o]!;
      }
      expect(result.marginalX[b]).toBe(column);
      expect(result.marginalY[b]).toBe(row);
    }
  });

  it('reused with other axes and a range from the moments: nearly nothing outside', async () => {
    const d = sim.d;
    const range = rangeFromMoments(await sim.moments(), 1, 2);
    const result = await histogram.compute(1, 2, range);
    const expected = cpuHistogram(particles, d, 1, 2, range);
    expect(Array.from(result.counts)).toEqual(Array.from(expected.counts));
    expect(result.outside).toBe(expected.outside);
    expect(result.outside).toBeLessThan(sim.n * 0.01);
  });

  it('a direction projection α·e equals the CPU projection histogram', async () => {
    const d = sim.d;
    const e = [0.6, -0.8, 0.25];
    const range: HistogramRange = { x: [-3, 3], y: [-2.5, 2.5] };
    const result = await histogram.compute(e, d - 1, range);
    // The GPU may fuse multiply and add: a particle within a hair of a bin edge may then
    // land on the other side, moving one count between neighbouring bins.
    const expected = cpuHistogram(particles, d, e, d - 1, range, 1e-4);
    let moved = 0;
    for (let b = 0; b < BINS * BINS; b++)
      moved += Math.abs(result.counts[b]! - expected.counts[b]!);
    expect(moved).toBeLessThanOrEqual(2 * expected.nearEdge);
    expect(Math.abs(result.outside - expected.outside)).toBeLessThanOrEqual(expected.nearEdge);
    expect(result.counts.reduce((a, b) => a + b, 0)).toBe(sim.n - result.outside);
  });

  it('counts every buffer of a simulation whose particles are split', async () => {
    // Particles in buffers of 1024 rows: three shards of the 3000.
    const split = await createGpuSimulation(gpu(), smallProblem(24), dynamics, shaders, {
      maxBufferBytes: 1024 * sim.d * 4,
    });
    const splitHistogram = createHistogram(gpu(), split, { bins: BINS, shaders });
    try {
      await split.run(3);
      const range: HistogramRange = { x: [-1.5, 1.7], y: [-1.3, 2.1] };
      const result = await splitHistogram.compute(sim.d - 1, 0, range);
      const expected = cpuHistogram(await split.particles(), sim.d, sim.d - 1, 0, range);
      expect(Array.from(result.counts)).toEqual(Array.from(expected.counts));
      expect(result.outside).toBe(expected.outside);
    } finally {
      splitHistogram.destroy();
      split.destroy();
    }
  });

  it('refuses a bad projection or range, and the CPU simulation', async () => {
    await expect(histogram.compute(sim.d, 0, { x: [0, 1], y: [0, 1] })).rejects.toThrow(
      /coordinate index/,
    );
    await expect(histogram.compute([1, 2], 0, { x: [0, 1], y: [0, 1] })).rejects.toThrow(
      /direction/,
    );
    await expect(histogram.compute(0, 1, { x: [1, 1], y: [0, 1] })).rejects.toThrow(/range/);
    const cpu = await createCpuSimulation(smallProblem(4), { ...dynamics, n: 8 }, { threads: 1 });
    try {
      expect(() => createHistogram(gpu(), cpu, { bins: BINS, shaders })).toThrow(/WebGPU/);
    } finally {
      cpu.destroy();
    }
  });
});
