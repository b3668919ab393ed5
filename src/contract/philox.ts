// Philox4x32-10 and the derived uniforms and Gaussians of SPEC §3. This is the CPU twin of
// shaders/philox.wgsl: both must produce the same words bit for bit.
import { gaussianPair } from './box-muller';

export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;

/** The three streams of SPEC §3, used as counter word c2. */
export const Stream = { noise: 0, init: 1, minibatch: 2 } as const;

/** High 32 bits of the 64-bit product of two unsigned 32-bit words. */
export function mulhi32(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lolo = aLo * bLo;
  const mid1 = aHi * bLo;
  const mid2 = aLo * bHi;
  // Carry out of the low word: every partial sum here stays below 2^53.
  const carry = ((lolo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (aHi * bHi + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
}

/**
 * Philox4x32-10 on counter (c0..c3) and key (k0, k1); writes four words into `out`.
 * `out` is taken from the caller so the hot loops allocate nothing.
 */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): Uint32Array {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi32(PHILOX_M0, x0);
    const lo0 = Math.imul(PHILOX_M0, x0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, x2);
    const lo1 = Math.imul(PHILOX_M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + PHILOX_W0) >>> 0;
    key1 = (key1 + PHILOX_W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
  return out;
}

/** Key words from a run's seed, 0 ≤ seed < 2^53 (SPEC §3). */
export function keyFromSeed(seed: number): [number, number] {
  return [(seed % 2 ** 32) >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/** Uniform in (0, 1) from one word; exact in float32 (SPEC §3). */
export function uniformFromWord(w: number): number {
  return ((w >>> 9) + 0.5) * 2 ** -23;
}

/**
 * Four Gaussians from one Philox output by Box–Muller on (u0,u1) and (u2,u3)
 * (box-muller.ts). Computed in double precision; the GPU's float32 values agree to about 1e-6.
 */
export function gaussiansFromWords(words: Uint32Array, out: Float64Array | Float32Array): void {
  gaussianPair(words[0]!, words[1]!, out, 0, 2);
  gaussianPair(words[2]!, words[3]!, out, 2, 2);
}

/**
 * Writes the d Gaussian coordinates of particle `a` at step `k` of `stream` into
 * `out[offset … offset+d)`, block j giving coordinates 4j … 4j+3 (SPEC §3).
 */
export function particleGaussians(
  stream: number,
  a: number,
  k: number,
  d: number,
  key: readonly [number, number],
  out: Float64Array | Float32Array,
  offset: number,
  scratchWords: Uint32Array,
  scratchGauss: Float64Array,
): void {
  const blocks = Math.ceil(d / 4);
  for (let j = 0; j < blocks; j++) {
    philox4x32(a, k, stream, j, key[0], key[1], scratchWords);
    gaussiansFromWords(scratchWords, scratchGauss);
    const base = 4 * j;
    const count = Math.min(4, d - base);
    for (let t = 0; t < count; t++) out[offset + base + t] = scratchGauss[t]!;
  }
}

/** Minibatch index I_{k,b} = w0 mod N of stream 2 (SPEC §3). */
export function minibatchIndex(
  slot: number,
  k: number,
  datasetSize: number,
  key: readonly [number, number],
  scratchWords: Uint32Array,
): number {
  philox4x32(slot, k, Stream.minibatch, 0, key[0], key[1], scratchWords);
  return scratchWords[0]! % datasetSize;
}
