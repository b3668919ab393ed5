// The CPU reference's step on one thread, in particle-steps per CPU-second, for checkouts
// timed side by side in one process: blocks alternate between them, so that a machine whose
// speed drifts (or that others load) weighs on each alike, and CPU time rather than the clock
// leaves out the time the thread was not running. Each checkout's ParticleKernel steps its
// own copy of the same particles; they must end with the same bits unless the maths changed.
//
//   npm run bench:cpu-step -- [--n 131072] [--blocks 9] [--steps 4] [CHECKOUT …]
//
// CHECKOUTs are repository roots (default: this one); the workload is `mfld bench`'s: d = 16
// (p = 15), B = 64, tanh, φ values kept between steps. n = 2^17 is one thread's share of
// n = 2^18 on two threads.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { ParticleKernel } from '../src/cpu/kernel';
import type { KernelConfig } from '../src/cpu/kernel-config';
import { activationCode } from '../src/contract/model';
import { gaussiansFromWords, philox4x32 } from '../src/contract/philox';

const { values, positionals } = parseArgs({
  options: {
    n: { type: 'string', default: '131072' },
    blocks: { type: 'string', default: '9' },
    steps: { type: 'string', default: '4' },
  },
  allowPositionals: true,
});
const n = Number(values.n);
const blocks = Number(values.blocks);
const steps = Number(values.steps);
for (const [flag, value] of [
  ['--n', n],
  ['--blocks', blocks],
  ['--steps', steps],
] as const) {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${flag} must be an integer ≥ 1`);
}
const roots = positionals.length > 0 ? positionals : ['.'];

const p = 15;
const d = p + 1;
const B = 64;
const cfg: KernelConfig = {
  n,
  p,
  d,
  batch: B,
  full: false,
  trainCount: 4096,
  testCount: 0,
  activation: activationCode('tanh'),
  loss: 'square',
  huberDelta: 1,
  sigma: 0.05,
  sigmaFinal: null,
  annealSteps: 0,
  tau: 0.1,
  priorStd: 1,
  initStd: 1,
  key: [1, 2],
  chunkSize: n,
  chunks: 1,
  lossBlock: B,
  cachePhi: true,
};

/** Standard Gaussians from Philox words by the contract's Box–Muller (any fixed data will do). */
function data(count: number, salt: number): Float32Array {
  const out = new Float32Array(count + 3);
  const words = new Uint32Array(4);
  for (let i = 0; i < count; i += 4) {
    gaussiansFromWords(philox4x32(i, salt, 0, 0, 3, 4, words), out.subarray(i, i + 4));
  }
  return out.subarray(0, count);
}

const x0 = data(n * d, 1);
const batches = [data(B * p, 2), data(B * p, 3)];
const w = Float64Array.from(data(B, 4));

interface Setup {
  root: string;
  kernel: ParticleKernel;
  x: Float32Array;
  sums: Float64Array;
  rates: number[];
}

const setups: Setup[] = [];
for (const root of roots) {
  const url = pathToFileURL(resolve(root, 'src/cpu/kernel.ts')).href;
  const module = (await import(url)) as { ParticleKernel: typeof ParticleKernel };
  const x = x0.slice();
  const kernel = new module.ParticleKernel(cfg, x, 0, n);
  const sums = new Float64Array(B);
  kernel.forward(0, n, batches[0]!, 0, B, sums, 0, true);
  setups.push({ root, kernel, x, sums, rates: [] });
}

let k = 0;
for (let block = 0; block <= blocks; block++) {
  for (const setup of setups) {
    const start = process.cpuUsage();
    for (let s = 0; s < steps; s++) {
      const step = k + s;
      const [now, next] = [batches[step % 2]!, batches[(step + 1) % 2]!];
      setup.kernel.step(0, n, step, now, w, next, setup.sums, 0);
    }
    const used = process.cpuUsage(start);
    // Block 0 warms up.
    if (block > 0) setup.rates.push((n * steps) / ((used.user + used.system) / 1e6));
  }
  k += steps;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
console.log(`n = ${n}, d = ${d}, B = ${B}, tanh; ${blocks} blocks of ${steps} steps each`);
for (const setup of setups) {
  const rates = setup.rates.map((r) => (r / 1e3).toFixed(0)).join(' ');
  console.log(
    `${setup.root}: median ${(median(setup.rates) / 1e3).toFixed(0)} k particle-steps per CPU-second (blocks: ${rates})`,
  );
}
for (const setup of setups.slice(1)) {
  const ratios = setup.rates.map((r, i) => r / setups[0]!.rates[i]!);
  const same = setup.x.every((v, i) => Object.is(v, setups[0]!.x[i]));
  console.log(
    `${setup.root} / ${setups[0]!.root}: median of block ratios ${median(ratios).toFixed(3)} (${ratios.map((r) => r.toFixed(2)).join(' ')}); particles ${same ? 'the same bits' : 'DIFFER'}`,
  );
}
