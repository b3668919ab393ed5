// SPEC §3 through src/contract/philox.ts: known answers, the uniform map, and the law of the
// Gaussians and minibatch indices, with bounds derived from the sample size.
import { describe, expect, it } from 'vitest';
import {
  gaussiansFromWords,
  keyFromSeed,
  minibatchIndex,
  particleGaussians,
  philox4x32,
  uniformFromWord,
} from '../../src/contract/philox';
import { gaussianPair, logUniform } from '../../src/contract/box-muller';
import { createProducts } from '../../src/cpu/products';
import { NoiseGaussians } from '../../src/cpu/noise';

const hex = (words: Uint32Array): string[] =>
  Array.from(words, (w) => w.toString(16).padStart(8, '0'));

describe('Philox4x32-10', () => {
  it.each([
    [
      [0, 0, 0, 0],
      [0, 0],
      ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8'],
    ],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd'],
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      ['d16cfe09', '94fdcceb', '5001e420', '24126ea1'],
    ],
  ])('gives the known answer for counter %j, key %j', (c, k, expected) => {
    const out = philox4x32(c[0]!, c[1]!, c[2]!, c[3]!, k[0]!, k[1]!, new Uint32Array(4));
    expect(hex(out)).toEqual(expected);
  });

  it('splits a seed into key words', () => {
    expect(keyFromSeed(0)).toEqual([0, 0]);
    expect(keyFromSeed(2 ** 32 + 5)).toEqual([5, 1]);
    expect(keyFromSeed(2 ** 53 - 1)).toEqual([0xffffffff, 0x1fffff]);
  });
});

describe('uniforms and Gaussians', () => {
  it('maps words into (0, 1), exactly representable in float32', () => {
    expect(uniformFromWord(0)).toBe(0.5 * 2 ** -23);
    expect(uniformFromWord(0xffffffff)).toBe(1 - 0.5 * 2 ** -23);
    const words = new Uint32Array(4);
    let bad = 0;
    for (let t = 0; t < 20_000; t++) {
      philox4x32(t, 1, 2, 3, 4, 5, words);
      for (const w of words) {
        const u = uniformFromWord(w);
        if (!(u > 0 && u < 1) || Math.fround(u) !== u) bad++;
      }
    }
    expect(bad).toBe(0);
  });

  it('draws standard Gaussians: moments and tails within 5 standard errors', () => {
    const blocks = 1 << 16;
    const M = 4 * blocks;
    const words = new Uint32Array(4);
    const g = new Float64Array(4);
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let pairs = 0;
    let beyond2 = 0;
    let beyond3 = 0;
    for (let t = 0; t < blocks; t++) {
      philox4x32(t, 11, 0, 0, 0xabcdef, 42, words);
      gaussiansFromWords(words, g);
      pairs += g[0]! * g[1]! + g[2]! * g[3]!;
      for (const v of g) {
        s1 += v;
        s2 += v * v;
        s3 += v * v * v;
        s4 += v * v * v * v;
        if (Math.abs(v) > 2) beyond2++;
        if (Math.abs(v) > 3) beyond3++;
      }
    }
    // Standard errors of the sample moments of N(0,1): Var g^k = E g^{2k} − (E g^k)².
    const within = (value: number, expected: number, variance: number, samples: number) =>
      expect(Math.abs(value - expected)).toBeLessThan(5 * Math.sqrt(variance / samples));
    within(s1 / M, 0, 1, M);
    within(s2 / M, 1, 2, M);
    within(s3 / M, 0, 15, M);
    within(s4 / M, 3, 105 - 9, M);
    within(pairs / (M / 2), 0, 1, M / 2);
    const tail2 = 0.0455002638963584;
    const tail3 = 0.0026997960632601866;
    within(beyond2 / M, tail2, tail2 * (1 - tail2), M);
    within(beyond3 / M, tail3, tail3 * (1 - tail3), M);
  });

  it('draws minibatch indices uniformly over the data set', () => {
    const N = 10;
    const draws = 50_000;
    const counts = new Array<number>(N).fill(0);
    const words = new Uint32Array(4);
    let outside = 0;
    for (let t = 0; t < draws; t++) {
      const m = minibatchIndex(t % 64, Math.floor(t / 64), N, [3, 0], words);
      if (Number.isInteger(m) && m >= 0 && m < N) counts[m]!++;
      else outside++;
    }
    expect(outside).toBe(0);
    const q = 1 / N;
    for (const c of counts) {
      expect(Math.abs(c / draws - q)).toBeLessThan(5 * Math.sqrt((q * (1 - q)) / draws));
    }
  });
});

describe('Box–Muller without Math.log, Math.cos and Math.sin (src/contract/box-muller.ts)', () => {
  // A uniform is one of 2^23 values (w >>> 9), so every one of them is checked.
  const UNIFORMS = 2 ** 23;
  const uniformOf = (n: number) => (n + 0.5) * 2 ** -23;

  it('takes ln u within 1 ulp of Math.log for every uniform', () => {
    let worst = 0;
    let worstAt = 0;
    for (let n = 0; n < UNIFORMS; n++) {
      const expected = Math.log(uniformOf(n));
      const ulp = 2 ** (Math.floor(Math.log2(-expected)) - 52);
      const error = Math.abs(logUniform(n << 9) - expected) / ulp;
      if (error > worst) [worst, worstAt] = [error, n];
    }
    expect(worst, `worst at w >>> 9 = ${worstAt}`).toBeLessThanOrEqual(1);
  });

  it('takes cos 2πu and sin 2πu within 8 · 2^-53 of Math.cos and Math.sin for every uniform', () => {
    // Math.cos(2π u) itself rounds 2π u first: up to 2π · 2^-53 off in the angle, so the
    // bound is absolute (near a zero of cos, relative error says nothing).
    const u0Word = 0x80000000;
    const radius = Math.sqrt(-2 * Math.log(uniformOf(u0Word >>> 9)));
    const out = new Float64Array(2);
    let worst = 0;
    let worstAt = 0;
    for (let n = 0; n < UNIFORMS; n++) {
      gaussianPair(u0Word, n << 9, out, 0, 2);
      const angle = 2 * Math.PI * uniformOf(n);
      const error = Math.max(
        Math.abs(out[0]! - radius * Math.cos(angle)),
        Math.abs(out[1]! - radius * Math.sin(angle)),
      );
      if (error > worst) [worst, worstAt] = [error, n];
    }
    expect(worst / radius / 2 ** -53, `worst at w >>> 9 = ${worstAt}`).toBeLessThanOrEqual(8);
  });

  it('writes one coordinate when count is 1 and keeps the radius of the first word', () => {
    const out = new Float64Array([7, 7, 7]);
    gaussianPair(0x12345678, 0x9abcdef0, out, 1, 1);
    expect(out[0]).toBe(7);
    expect(out[2]).toBe(7);
    const both = new Float64Array(2);
    gaussianPair(0x12345678, 0x9abcdef0, both, 0, 2);
    expect(out[1]).toBe(both[0]);
    expect(Math.hypot(both[0]!, both[1]!)).toBeCloseTo(
      Math.sqrt(-2 * Math.log(uniformOf(0x12345678 >>> 9))),
      14,
    );
  });
});

describe("the CPU reference's own Gaussians (src/cpu/noise.ts)", () => {
  it('are those of particleGaussians, bit for bit', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const noise = new NoiseGaussians(createProducts(memory), memory, 64, 19);
    const words = new Uint32Array(4);
    const scratch = new Float64Array(4);
    const expected = new Float64Array(20);
    // Counters and keys from Philox itself: every word range, the extremes included.
    const extremes = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff];
    let mismatches = 0;
    for (let t = 0; t < 20_000; t++) {
      philox4x32(t, 0, 0xbeef, 0, 9, 9, words);
      const pick = (w: number) => (t % 7 === 0 ? extremes[w % extremes.length]! : w);
      const [a, k, k0, k1] = [pick(words[0]!), pick(words[1]!), pick(words[2]!), words[3]!];
      const d = 1 + (t % 19);
      const stream = t % 3;
      particleGaussians(stream, a, k, d, [k0, k1], expected, 0, words, scratch);
      const got = noise.fill(stream, a, k, d, k0, k1);
      for (let j = 0; j < d; j++) if (!Object.is(got[j], expected[j])) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
});

describe('Box–Muller in WebAssembly (products.boxMuller)', () => {
  // Every one of the 2^23 uniforms (w >>> 9) as the radius's word and as the angle's, in all
  // four places of the 16 words, against gaussianPair bit for bit.
  it('gives the bits of gaussianPair for every uniform', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const products = createProducts(memory);
    const words = new Uint32Array(memory.buffer, 0, 16);
    const got = new Float64Array(memory.buffer, 64, 16);
    const expected = new Float64Array(16);
    let mismatches = 0;
    let firstAt = -1;
    for (let n = 0; n < 2 ** 23; n += 4) {
      // Block l (word w at 4w + l): radius words n + l and n + l + 1, angle words the same
      // uniforms reversed, with random low bits below the 9 that are dropped.
      for (let l = 0; l < 4; l++) {
        const low = (n * 2654435761 + l) & 0x1ff;
        words[l] = (((n + l) << 9) | low) >>> 0;
        words[4 + l] = (((2 ** 23 - 1 - n - l) << 9) | low) >>> 0;
        words[8 + l] = (((2 ** 23 - 1 - n - l) << 9) | (low ^ 0x1ff)) >>> 0;
        words[12 + l] = (((n + l) << 9) | (low ^ 0x1ff)) >>> 0;
      }
      products.boxMuller(0, 64);
      for (let l = 0; l < 4; l++) {
        gaussianPair(words[l]!, words[4 + l]!, expected, 4 * l, 2);
        gaussianPair(words[8 + l]!, words[12 + l]!, expected, 4 * l + 2, 2);
      }
      for (let j = 0; j < 16; j++) {
        if (!Object.is(got[j], expected[j])) {
          mismatches++;
          if (firstAt < 0) firstAt = n;
        }
      }
    }
    expect(mismatches, `first at n = ${firstAt}`).toBe(0);
  });
});
