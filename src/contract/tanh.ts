// tanh in double precision for the model (model.ts) and the CPU reference's hot loop, in
// JavaScript so that V8 compiles it inline: Math.tanh is a call into fdlibm that took about
// a third of the CPU step. It stays within a few units in the last place of Math.tanh
// (test/model-tanh.test.ts), far below the float32 rounding of the stored results.
//
// Written for speed on random arguments: no branch on the sign of x and none taken for the
// usual sizes (a mispredicted branch stalls the next calls, which otherwise overlap), the
// nearest integer by truncation (Math.round was ten times slower in V8), and the polynomial
// in Estrin's form (a few levels deep instead of a chain of thirteen multiply-adds).

/** Below this |x|, tanh x rounds to x (fdlibm's threshold). */
const TANH_LINEAR = 2 ** -28;
/** From here on tanh x rounds to ±1 in double (and e^{2|x|} stays within POW2's range). */
const TANH_ONE = 22;
/** ln 2 split so that k · LN2_HI is exact for |k| < 2^20 (fdlibm's constants). */
const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.4426950408889634;
/** POW2[k + 64] = 2^k for k = −64 … 64: |x| < 22 gives |k| ≤ 64 below. */
const POW2 = Float64Array.from({ length: 129 }, (_, i) => 2 ** (i - 64));

/** 1/m! for the Taylor series of e^r − 1. */
const C2 = 1 / 2;
const C3 = 1 / 6;
const C4 = 1 / 24;
const C5 = 1 / 120;
const C6 = 1 / 720;
const C7 = 1 / 5040;
const C8 = 1 / 40320;
const C9 = 1 / 362880;
const C10 = 1 / 3628800;
const C11 = 1 / 39916800;
const C12 = 1 / 479001600;
const C13 = 1 / 6227020800;

/**
 * tanh x = −t / (2 + t) with t = e^y − 1, y = −2x. e^y − 1 = 2^k (e^r − 1) + (2^k − 1) with
 * y = k ln 2 + r, |r| ≤ ln 2 / 2, and e^r − 1 = r (1 + r/2! + … + r^12/13!) (the next term
 * is below 2^-55 of it). Near 0 this keeps full relative precision (k = 0, t ≈ y).
 */
export function tanh(x: number): number {
  const a = Math.abs(x);
  if (!(a < TANH_ONE)) return x === x ? Math.sign(x) : x;
  // Also keeps the sign of ±0, which the formula below would lose.
  if (a < TANH_LINEAR) return x;
  const y = -2 * x;
  // m = k + 64 with k the integer nearest y / ln 2, |k| ≤ 64; truncating a positive number
  // rounds it down.
  const m = (y * INV_LN2 + 64.5) | 0;
  const k = m - 64;
  const r = y - k * LN2_HI - k * LN2_LO;
  const r2 = r * r;
  const r4 = r2 * r2;
  const r8 = r4 * r4;
  const low = 1 + r * C2 + r2 * (C3 + r * C4) + r4 * (C5 + r * C6 + r2 * (C7 + r * C8));
  const high = C9 + r * C10 + r2 * (C11 + r * C12) + r4 * C13;
  const q = r * (low + r8 * high);
  const scale = POW2[m]!;
  const t = scale * q + (scale - 1);
  return -t / (2 + t);
}
