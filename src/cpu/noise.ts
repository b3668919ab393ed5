// Gaussians of SPEC §3 for the CPU reference's hot loop: the values of particleGaussians
// (src/contract/philox.ts) bit for bit, faster. Two Philox blocks run side by side (twice
// the independent integer work per round), words stay in locals, and the high half of each
// 32 × 32-bit product comes from one double product corrected by the exact low half.
import { PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1 } from '../contract/philox';

const TWO_PI = 2 * Math.PI;
/** uniformFromWord's scale: ((w >>> 9) + 0.5) · 2^-23. */
const UNIFORM = 2 ** -23;
const TWO_TO_MINUS_32 = 2 ** -32;

/**
 * High 32 bits of m · x (m, x unsigned 32-bit; x passed as int32), given lo = imul(m, x).
 * m·x in double is within 2^11 of the true product P < 2^64, and subtracting lo adds at most
 * 2^11 more: (m·x − lo)/2^32 lies within 2^-20 of the integer P_hi, so rounding it is exact.
 */
function mulhi(m: number, x: number, lo: number): number {
  return ((m * (x >>> 0) - (lo >>> 0)) * TWO_TO_MINUS_32 + 0.5) | 0;
}

/**
 * out[0 … d) = particleGaussians(stream, a, k, d, [k0, k1], out, 0, …): block j of counter
 * (a, k, stream, j) gives coordinates 4j … 4j+3, Box–Muller as gaussiansFromWords.
 */
export function gaussians(
  stream: number,
  a: number,
  k: number,
  d: number,
  k0: number,
  k1: number,
  out: Float64Array,
): void {
  for (let base = 0; base < d; base += 8) {
    const block = base >> 2;
    let x0 = a | 0;
    let x1 = k | 0;
    let x2 = stream | 0;
    let x3 = block;
    let y0 = x0;
    let y1 = x1;
    let y2 = x2;
    let y3 = block + 1;
    let key0 = k0 | 0;
    let key1 = k1 | 0;
    for (let round = 0; round < 10; round++) {
      const lx0 = Math.imul(PHILOX_M0, x0);
      const lx1 = Math.imul(PHILOX_M1, x2);
      const hx0 = mulhi(PHILOX_M0, x0, lx0);
      const hx1 = mulhi(PHILOX_M1, x2, lx1);
      const ly0 = Math.imul(PHILOX_M0, y0);
      const ly1 = Math.imul(PHILOX_M1, y2);
      const hy0 = mulhi(PHILOX_M0, y0, ly0);
      const hy1 = mulhi(PHILOX_M1, y2, ly1);
      x0 = hx1 ^ x1 ^ key0;
      x1 = lx1;
      x2 = hx0 ^ x3 ^ key1;
      x3 = lx0;
      y0 = hy1 ^ y1 ^ key0;
      y1 = ly1;
      y2 = hy0 ^ y3 ^ key1;
      y3 = ly0;
      key0 = (key0 + PHILOX_W0) | 0;
      key1 = (key1 + PHILOX_W1) | 0;
    }
    boxMuller(x0, x1, x2, x3, base, d, out);
    if (base + 4 < d) boxMuller(y0, y1, y2, y3, base + 4, d, out);
  }
}

/** Coordinates base … min(base + 4, d) − 1 from one block's words (gaussiansFromWords). */
function boxMuller(
  w0: number,
  w1: number,
  w2: number,
  w3: number,
  base: number,
  d: number,
  out: Float64Array,
): void {
  const u0 = ((w0 >>> 9) + 0.5) * UNIFORM;
  const u1 = ((w1 >>> 9) + 0.5) * UNIFORM;
  const r01 = Math.sqrt(-2 * Math.log(u0));
  out[base] = r01 * Math.cos(TWO_PI * u1);
  if (base + 1 < d) out[base + 1] = r01 * Math.sin(TWO_PI * u1);
  if (base + 2 < d) {
    const u2 = ((w2 >>> 9) + 0.5) * UNIFORM;
    const u3 = ((w3 >>> 9) + 0.5) * UNIFORM;
    const r23 = Math.sqrt(-2 * Math.log(u2));
    out[base + 2] = r23 * Math.cos(TWO_PI * u3);
    if (base + 3 < d) out[base + 3] = r23 * Math.sin(TWO_PI * u3);
  }
}
