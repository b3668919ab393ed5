// Side-by-side timing of the GPU step's layouts (EngineLayout) in one process: one engine per
// layout on the same problem (the `mfld bench` workload), blocks of steps timed by timestamp
// queries in turn, layout after layout, round after round, so that a machine whose speed
// drifts slows every layout alike. Prints each layout's median seconds per step and its
// speed against the first, by the medians and by the median of the rounds' ratios. The
// layouts must agree bit for bit where only the reads differ: it says so first.
//
//   npm run bench:layouts -- [--n 262144] [--rounds 7] [--steps 1] [--batch 64]
import { parseArgs } from 'node:util';
import { benchRunConfig } from '../src/bench/measure-bench';
import { buildProblem } from '../src/data/datasets';
import type { GpuSimulationOptions } from '../src/gpu/plan';
import { createGpuSimulation, runTimedOnGpu } from '../src/gpu/simulation';
import { openNodeGpu, readShaderSources } from '../src/node/gpu';
import { enterWebGpuEnv } from '../src/node/webgpu-env';
import { dynamicsFromConfig } from '../src/study/run-study';

/** The layouts compared, the first the reference: the software adapter's choices one by one. */
const LAYOUTS: readonly [string, GpuSimulationOptions][] = [
  ['plain', { phiCache: false, shareQuads: false }],
  ['shared quads', { phiCache: false, shareQuads: true }],
  ['φ cache', { phiCache: true, shareQuads: false }],
  ['both', { phiCache: true, shareQuads: true }],
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '262144' },
      rounds: { type: 'string', default: '7' },
      steps: { type: 'string', default: '1' },
      batch: { type: 'string', default: '64' },
    },
  });
  const [n, rounds, steps, batch] = [values.n, values.rounds, values.steps, values.batch].map(
    Number,
  ) as [number, number, number, number];
  const rerun = await enterWebGpuEnv();
  if (rerun !== null) return rerun;
  const gpu = await openNodeGpu();
  if (!gpu) throw new Error('no WebGPU adapter (install Chrome or Chromium for SwiftShader)');
  const run = benchRunConfig(
    {
      sizes: [n],
      d: 16,
      batch,
      steps,
      repeats: rounds,
      cpuThreads: 1,
      skipCpu: true,
      laneParticles: null,
      groupChunks: null,
    },
    n,
  );
  const problem = buildProblem(run);
  const dynamics = dynamicsFromConfig(run);
  const shaders = readShaderSources();
  console.log(
    `n = ${n}, d = 16, B = ${batch}, ${rounds} rounds of ${steps} step(s), on ${gpu.description}`,
  );
  const sims = [];
  for (const [, options] of LAYOUTS) {
    sims.push(await createGpuSimulation(gpu, problem, dynamics, shaders, options));
  }
  try {
    await sims[0]!.run(1);
    const reference = await sims[0]!.particles();
    for (const [index, sim] of sims.entries()) {
      if (index > 0) await sim.run(1);
      const same = (await sim.particles()).every((value, i) => Object.is(value, reference[i]));
      console.log(`${LAYOUTS[index]![0]}: ${same ? 'same bits' : 'DIFFERENT bits'} after a step`);
    }
    const seconds: number[][] = LAYOUTS.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [index, sim] of sims.entries()) {
        const timed = await runTimedOnGpu(sim, steps);
        if (timed === null) throw new Error('this adapter has no timestamp queries');
        seconds[index]!.push(timed / steps);
      }
    }
    const first = seconds[0]!;
    for (const [index, [name]] of LAYOUTS.entries()) {
      const own = seconds[index]!;
      const ratios = own.map((value, round) => first[round]! / value);
      console.log(
        `${name.padEnd(14)} ${median(own).toPrecision(4)} s/step, ` +
          `${(n / median(own) / 1e6).toPrecision(3)} M particle-steps/s, ` +
          `×${(median(first) / median(own)).toFixed(3)} the first by medians, ` +
          `×${median(ratios).toFixed(3)} by the rounds' ratios`,
      );
    }
  } finally {
    for (const sim of sims) sim.destroy();
  }
  return 0;
}

process.exitCode = await main();
