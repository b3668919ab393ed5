// tanh in double precision for the model (model.ts) and the CPU reference's hot loop, in
// JavaScript so that V8 compiles it inline: Math.tanh is a call into fdlibm that took a large
// part of the CPU step (bench/RESULTS.md). It stays within a few units in the last place of Math.tanh
// (test/model-tanh.test.ts), far below the float32 rounding of the stored results.
//
// Written for speed on random arguments: no branch on the sign of x and none taken for the
// usual sizes (a mispredicted branch stalls the next calls, which otherwise overlap), the
// nearest integer by truncation (Math.round was much slower in V8), and e^y from a
// table of 2^(j/32), so that the polynomial left is of degree 7.

/** Below this |x|, tanh x rounds to x (fdlibm's threshold). */
const TANH_LINEAR = 2 ** -28;
/** From here on tanh x rounds to ±1 in double (and e^{2|x|} stays within POW2's range). */
const TANH_ONE = 22;
/** Table steps per octave: y = (32k + j) ln 2 / 32 + r, 0 ≤ j < 32, 0 ≤ r < ln 2 / 32. */
const STEPS = 32;
/** ln 2 / 32 split so that m · LN2_32_HI is exact for m < 2^15 (fdlibm's ln 2 split / 32). */
const LN2_32_HI = 6.9314718036912381649e-1 / STEPS;
const LN2_32_LO = 1.90821492927058770002e-10 / STEPS;
const STEPS_PER_LN2 = STEPS / Math.LN2;
/** POW2[k] = 2^k for k = 0 … 63: y = 2|x| < 44 gives m < 2032, k = m >> 5 < 64. */
const POW2 = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);
/**
 * 2^(j/32), and 2^(j/32) − 1 from expm1, so that it keeps its low bits. Exported for the
 * WebAssembly twin of tanh (src/wasm/products.wat), which reads them from its memory.
 */
export const STEP_POW = Float64Array.from({ length: STEPS }, (_, j) => 2 ** (j / STEPS));
export const STEP_POW_M1 = Float64Array.from({ length: STEPS }, (_, j) =>
  Math.expm1((j * Math.LN2) / STEPS),
);

/** 1/m! for the Taylor series of e^r − 1; the r^8 term is below 2^-59 of it. */
const C2 = 1 / 2;
const C3 = 1 / 6;
const C4 = 1 / 24;
const C5 = 1 / 120;
const C6 = 1 / 720;
const C7 = 1 / 5040;

/**
 * tanh x = x t / (|x| (2 + t)) with t = e^y − 1, y = 2|x|: one division carries the sign.
 * With y = (32k + j) ln 2/32 + r and T = 2^(j/32), e^y − 1 = 2^k T (e^r − 1) + 2^k (T − 1)
 * + (2^k − 1). With m = 32k + j rounded down every term is ≥ 0, so nothing cancels, and near 0
 * (k = j = 0, t = e^r − 1) full relative precision is kept.
 */
export function tanh(x: number): number {
  const a = Math.abs(x);
  if (!(a < TANH_ONE)) return x === x ? Math.sign(x) : x;
  // Also keeps the sign of ±0, which the formula below would lose.
  if (a < TANH_LINEAR) return x;
  const y = 2 * a;
  // m = ⌊y · 32 / ln 2⌋ by truncation (y ≥ 0); should the product round up past an integer,
  // r is a few ulps below 0, which the series takes as well.
  const m = (y * STEPS_PER_LN2) | 0;
  const j = m & (STEPS - 1);
  const r = y - m * LN2_32_HI - m * LN2_32_LO;
  const r2 = r * r;
  const q = r + r2 * (C2 + r * C3 + r2 * (C4 + r * C5 + r2 * (C6 + r * C7)));
  const scale = POW2[m >> 5]!;
  const t = scale * STEP_POW[j]! * q + (scale * STEP_POW_M1[j]! + (scale - 1));
  return (x * t) / (a * (2 + t));
}
