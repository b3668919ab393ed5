// Box–Muller of SPEC §3 in double precision for the contract (philox.ts); the CPU reference's
// noise runs its WebAssembly twin (boxMuller in src/wasm/products.wat), step for step the
// same, which test/contract/philox.test.ts checks bit for bit for every uniform.
// In JavaScript, not Math.log/cos/sin: those are calls into fdlibm that took half the
// noise's time. A uniform here is always ((w >>> 9) + 0.5) · 2^-23, one of 2^23 values,
// which makes the reductions exact integer work; what is left are the short polynomials of
// fdlibm's kernels (coefficients from fdlibm's e_log.c, k_sin.c and k_cos.c, each within
// 2^-58 of its function on its interval). test/contract/philox.test.ts compares every one of the
// 2^23 values with Math.log, Math.cos and Math.sin.

/** √2, the top of the range [√2/2, √2) that the logarithm reduces to. */
const SQRT2 = Math.SQRT2;
/** TWO_TO_MINUS[e] = 2^-e for e = 0 … 24. */
const TWO_TO_MINUS = Float64Array.from({ length: 25 }, (_, e) => 2 ** -e);
/** ln 2 split so that K · LN2_HI is exact for |K| < 2^20 (fdlibm's constants). */
const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
/** fdlibm's log: R(z) ≈ Lg1 z + … + Lg7 z^7, z = s², s = f/(2 + f). */
const LG1 = 6.66666666666673513e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;
/** fdlibm's sin on [−π/4, π/4]: x + S1 x³ + … + S6 x^13. */
const S1 = -1.66666666666666324348e-1;
const S2 = 8.33333333332248946124e-3;
const S3 = -1.98412698298579493134e-4;
const S4 = 2.75573137070700676789e-6;
const S5 = -2.50507602534068634195e-8;
const S6 = 1.58969099521155010221e-10;
/** fdlibm's cos on [−π/4, π/4]: 1 − x²/2 + C1 x⁴ + … + C6 x^14. */
const C1 = 4.16666666666666019037e-2;
const C2 = -1.38888888888741095749e-3;
const C3 = 2.48015872894767294178e-5;
const C4 = -2.75573143513906633035e-7;
const C5 = 2.0875723212981748279e-9;
const C6 = -1.13596475577881948265e-11;

/** The angle 2π u falls in octant n >>> 20 of the 23-bit n = w >>> 9; its step within it. */
const OCTANT_SHIFT = 20;
const OCTANT_STEPS = 0xfffff;
/** (π/4) / 2^20: the angle of one of those steps. */
const OCTANT_STEP_ANGLE = Math.PI / 4 / 2 ** OCTANT_SHIFT;
/**
 * In octant o, with t the angle from the octant's nearer end to the one of cos/sin taken
 * from the polynomials: cos 2πu = COS_C[o] cos t + COS_S[o] sin t, and likewise sin 2πu.
 * Each coefficient is 0 or ±1, so each sum is one value, exactly.
 */
const COS_C = Float64Array.of(1, 0, 0, -1, -1, 0, 0, 1);
const COS_S = Float64Array.of(0, 1, -1, 0, 0, -1, 1, 0);
const SIN_C = Float64Array.of(0, 1, 1, 0, 0, -1, -1, 0);
const SIN_S = Float64Array.of(1, 0, 0, 1, -1, 0, 0, -1);

/**
 * out[at] = √(−2 ln u0) cos(2π u1) and, when count ≥ 2, out[at + 1] = √(−2 ln u0) sin(2π u1),
 * with u0, u1 the uniforms of the words w0, w1 (SPEC §3).
 */
export function gaussianPair(
  w0: number,
  w1: number,
  out: Float64Array | Float32Array,
  at: number,
  count: number,
): void {
  const radius = Math.sqrt(-2 * logUniform(w0));
  // The angle 2π u1 = (o + (i + 0.5) / 2^20) π/4 with octant o and step i. In odd octants
  // t is measured from the octant's far end: there i becomes 2^20 − 1 − i, i XOR the mask.
  const n = w1 >>> 9;
  const octant = n >>> OCTANT_SHIFT;
  const mask = -(octant & 1) & OCTANT_STEPS;
  const t = (((n & OCTANT_STEPS) ^ mask) + 0.5) * OCTANT_STEP_ANGLE;
  const z = t * t;
  const w = z * z;
  const sinT = t + z * t * (S1 + z * (S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6)));
  const r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
  const hz = 0.5 * z;
  const v = 1 - hz;
  const cosT = v + (1 - v - hz + z * r);
  out[at] = radius * (COS_C[octant]! * cosT + COS_S[octant]! * sinT);
  if (count >= 2) out[at + 1] = radius * (SIN_C[octant]! * cosT + SIN_S[octant]! * sinT);
}

/**
 * ln u for u = ((w >>> 9) + 0.5) · 2^-23 = v · 2^-24 with v = 2 (w >>> 9) + 1 an odd integer:
 * v = f · 2^e with f in [√2/2, √2) found from the integer part of v√2, and
 * ln u = (e − 24) ln 2 + ln f, ln f = 2 atanh(s) with s = (f − 1)/(f + 1), as fdlibm's log.
 */
export function logUniform(w: number): number {
  const v = 2 * (w >>> 9) + 1;
  const e = 31 - Math.clz32((v * SQRT2) | 0);
  const g = v * TWO_TO_MINUS[e]! - 1;
  const s = g / (2 + g);
  const z = s * s;
  const w2 = z * z;
  const R = z * (LG1 + w2 * (LG3 + w2 * (LG5 + w2 * LG7))) + w2 * (LG2 + w2 * (LG4 + w2 * LG6));
  const hfsq = 0.5 * g * g;
  const k = e - 24;
  return k * LN2_HI - (hfsq - (s * (hfsq + R) + k * LN2_LO) - g);
}
