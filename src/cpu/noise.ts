// Gaussians of SPEC §3 for the CPU reference's hot loop: the values of particleGaussians
// (src/contract/philox.ts) bit for bit, faster. Philox and Box–Muller both run in WebAssembly
// (products.gaussians, src/wasm/products.wat): Philox four blocks side by side in the lanes
// of an i32x4, where the 32 × 32-bit products come whole, and Box–Muller, the steps of
// gaussiansFromWords' gaussianPair, two blocks side by side in the lanes of an f64x2.
import type { Products } from './products';

/** Bytes of the Philox words of one call of products.gaussians. */
const WORDS_BYTES = 64;

/** Bytes of products' memory that NoiseGaussians needs for particles of d coordinates. */
export function noiseScratchBytes(d: number): number {
  return WORDS_BYTES + Math.ceil(d / 16) * 16 * 8;
}

/**
 * Gaussians of particles, through `products` over `memory` with noiseScratchBytes(d) bytes
 * of its own at `at` (a multiple of 8).
 */
export class NoiseGaussians {
  /** The Gaussians of the last fill, in the products' memory. */
  private readonly values: Float64Array;

  /** Byte addresses of the words and the Gaussians in the products' memory. */
  readonly wordsAt: number;
  readonly valuesAt: number;

  constructor(
    private readonly products: Products,
    memory: WebAssembly.Memory,
    at: number,
    d: number,
  ) {
    this.wordsAt = at;
    this.valuesAt = at + WORDS_BYTES;
    this.values = new Float64Array(memory.buffer, this.valuesAt, Math.ceil(d / 16) * 16);
  }

  /**
   * The values of particleGaussians(stream, a, k, d, [k0, k1], …) at 0 … d−1 of the array
   * returned (a view of the products' memory, overwritten by the next fill): block j of
   * counter (a, k, stream, j) gives coordinates 4j … 4j+3. Blocks past d are computed and
   * dropped: four at a time cost little more than one.
   */
  fill(stream: number, a: number, k: number, d: number, k0: number, k1: number): Float64Array {
    const { wordsAt, valuesAt } = this;
    this.products.gaussians(a | 0, k | 0, stream | 0, d, k0 | 0, k1 | 0, wordsAt, valuesAt);
    return this.values;
  }
}
