// Gaussians of SPEC §3 for the CPU reference's hot loop: the values of particleGaussians
// (src/contract/philox.ts) bit for bit, faster. Four Philox blocks run side by side (four
// times the independent integer work per round), words stay in locals, and the high half of
// each 32 × 32-bit product comes from one double product corrected by the exact low half.
import { gaussianPair } from '../contract/box-muller';
import { PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1 } from '../contract/philox';

const TWO_TO_MINUS_32 = 2 ** -32;
/** The multipliers over 2^32 (exact): the product then needs no scaling after it. */
const M0_SCALED = PHILOX_M0 * TWO_TO_MINUS_32;
const M1_SCALED = PHILOX_M1 * TWO_TO_MINUS_32;

/**
 * High 32 bits of m · x (m, x unsigned 32-bit; x passed as int32), given mScaled = m / 2^32
 * and lo = imul(m, x). The product P = m·x < 2^64 in double is within 2^11 of P, here scaled
 * by 2^-32; lo / 2^32 − 1/2 is exact and independent of it (it runs alongside). Their
 * difference is P_hi + 1/2 within 2^-20 (2^-21 from the product, 2^-21 from the rounding of
 * the difference below 2^32), so truncating it gives P_hi exactly, in one multiply and one
 * subtraction on the critical path.
 */
function mulhi(mScaled: number, x: number, lo: number): number {
  return (mScaled * (x >>> 0) - ((lo >>> 0) * TWO_TO_MINUS_32 - 0.5)) | 0;
}

/**
 * out[0 … d) = particleGaussians(stream, a, k, d, [k0, k1], out, 0, …): block j of counter
 * (a, k, stream, j) gives coordinates 4j … 4j+3, Box–Muller by gaussiansFromWords' gaussianPair.
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
  // Four blocks side by side: a round of one block is a chain of dependent multiplies, so
  // four chains keep the core busy where one or two left it waiting (30% faster than two).
  // Blocks past d are computed and dropped: they cost little next to the chain.
  for (let base = 0; base < d; base += 16) {
    const block = base >> 2;
    let x0 = a | 0;
    let x1 = k | 0;
    let x2 = stream | 0;
    let x3 = block;
    let y0 = x0;
    let y1 = x1;
    let y2 = x2;
    let y3 = block + 1;
    let z0 = x0;
    let z1 = x1;
    let z2 = x2;
    let z3 = block + 2;
    let v0 = x0;
    let v1 = x1;
    let v2 = x2;
    let v3 = block + 3;
    let key0 = k0 | 0;
    let key1 = k1 | 0;
    for (let round = 0; round < 10; round++) {
      const lx0 = Math.imul(PHILOX_M0, x0);
      const lx1 = Math.imul(PHILOX_M1, x2);
      const ly0 = Math.imul(PHILOX_M0, y0);
      const ly1 = Math.imul(PHILOX_M1, y2);
      const lz0 = Math.imul(PHILOX_M0, z0);
      const lz1 = Math.imul(PHILOX_M1, z2);
      const lv0 = Math.imul(PHILOX_M0, v0);
      const lv1 = Math.imul(PHILOX_M1, v2);
      const hx0 = mulhi(M0_SCALED, x0, lx0);
      const hx1 = mulhi(M1_SCALED, x2, lx1);
      const hy0 = mulhi(M0_SCALED, y0, ly0);
      const hy1 = mulhi(M1_SCALED, y2, ly1);
      const hz0 = mulhi(M0_SCALED, z0, lz0);
      const hz1 = mulhi(M1_SCALED, z2, lz1);
      const hv0 = mulhi(M0_SCALED, v0, lv0);
      const hv1 = mulhi(M1_SCALED, v2, lv1);
      x0 = hx1 ^ x1 ^ key0;
      x1 = lx1;
      x2 = hx0 ^ x3 ^ key1;
      x3 = lx0;
      y0 = hy1 ^ y1 ^ key0;
      y1 = ly1;
      y2 = hy0 ^ y3 ^ key1;
      y3 = ly0;
      z0 = hz1 ^ z1 ^ key0;
      z1 = lz1;
      z2 = hz0 ^ z3 ^ key1;
      z3 = lz0;
      v0 = hv1 ^ v1 ^ key0;
      v1 = lv1;
      v2 = hv0 ^ v3 ^ key1;
      v3 = lv0;
      key0 = (key0 + PHILOX_W0) | 0;
      key1 = (key1 + PHILOX_W1) | 0;
    }
    gaussianPair(x0, x1, out, base, d - base);
    if (base + 2 < d) gaussianPair(x2, x3, out, base + 2, d - base - 2);
    if (base + 4 < d) gaussianPair(y0, y1, out, base + 4, d - base - 4);
    if (base + 6 < d) gaussianPair(y2, y3, out, base + 6, d - base - 6);
    if (base + 8 < d) gaussianPair(z0, z1, out, base + 8, d - base - 8);
    if (base + 10 < d) gaussianPair(z2, z3, out, base + 10, d - base - 10);
    if (base + 12 < d) gaussianPair(v0, v1, out, base + 12, d - base - 12);
    if (base + 14 < d) gaussianPair(v2, v3, out, base + 14, d - base - 14);
  }
}
