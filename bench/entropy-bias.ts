// The Kozachenko–Leonenko entropy estimator (src/contract/observables.ts) measured on
// N(0, I_d), whose entropy (d/2) log(2πe) is known: the bias (mean of estimate − truth over
// repetitions) and the spread (their standard deviation) against d and the subsample size N.
// Prints the Markdown table of docs/free-energy.md.
//
//   node --import tsx bench/entropy-bias.ts [--repeats 20]
import { parseArgs } from 'node:util';
import { gaussianEntropy, klEntropy } from '../src/contract/observables';
import { keyFromSeed, particleGaussians, Stream } from '../src/contract/philox';

const DIMENSIONS = [1, 2, 3, 4, 6, 8];
const SIZES = [100, 300, 1000, 3000, 10000];

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '20' } } });
const repeats = Number(values.repeats);
if (!(Number.isInteger(repeats) && repeats >= 2)) {
  throw new Error(`--repeats must be an integer ≥ 2, got ${values.repeats}`);
}

/** N points of N(0, I_d): the initial particles of seed `seed` with initStd 1 (SPEC §3). */
function sample(count: number, d: number, seed: number): Float64Array {
  const out = new Float64Array(count * d);
  const words = new Uint32Array(4);
  const gauss = new Float64Array(4);
  const key = keyFromSeed(seed);
  for (let i = 0; i < count; i++) {
    particleGaussians(Stream.init, i, 0, d, key, out, i * d, words, gauss);
  }
  return out;
}

const format = (x: number): string => (x >= 0 ? '+' : '−') + Math.abs(x).toFixed(3);

console.log(`bias ± spread (nats) of h over ${repeats} samples of N(0, I_d); N points each`);
console.log('');
console.log(`| d | ${SIZES.map((n) => `N = ${n}`).join(' | ')} |`);
console.log(`| --- | ${SIZES.map(() => '---').join(' | ')} |`);
for (const d of DIMENSIONS) {
  const cells = SIZES.map((count) => {
    const errors = Array.from({ length: repeats }, (_, r) => {
      const x = sample(count, d, 1000 * d + r);
      return klEntropy(x, count, d, count) - gaussianEntropy(d, 1);
    });
    const mean = errors.reduce((s, e) => s + e, 0) / repeats;
    const sd = Math.sqrt(errors.reduce((s, e) => s + (e - mean) ** 2, 0) / (repeats - 1));
    return `${format(mean)} ± ${sd.toFixed(3)}`;
  });
  console.log(`| ${d} | ${cells.join(' | ')} |`);
}
