// Gaussians of SPEC §3 for the CPU reference's hot loop: the values of particleGaussians
// (src/contract/philox.ts) bit for bit, faster. Philox runs in WebAssembly (products.philox4,
// src/wasm/products.wat), four blocks side by side in the lanes of an i32x4, where the
// 32 × 32-bit products come whole; Box–Muller is gaussiansFromWords' gaussianPair.
import { gaussianPair } from '../contract/box-muller';
import type { Products } from './products';

/** Bytes of the Philox words NoiseGaussians needs in the products' memory. */
export const NOISE_WORDS_BYTES = 64;

/** Gaussians of particles, through `products` over `memory` with its words at `wordsAt`. */
export class NoiseGaussians {
  /** Word w of block `block + l` (as philox4 leaves them) at 4w + l. */
  private readonly words: Int32Array;

  constructor(
    private readonly products: Products,
    memory: WebAssembly.Memory,
    private readonly wordsAt: number,
  ) {
    this.words = new Int32Array(memory.buffer, wordsAt, NOISE_WORDS_BYTES / 4);
  }

  /**
   * out[0 … d) = particleGaussians(stream, a, k, d, [k0, k1], out, 0, …): block j of counter
   * (a, k, stream, j) gives coordinates 4j … 4j+3, Box–Muller by gaussianPair. Blocks past d
   * are computed and dropped: four at a time cost little more than one.
   */
  fill(
    stream: number,
    a: number,
    k: number,
    d: number,
    k0: number,
    k1: number,
    out: Float64Array,
  ): void {
    const { words } = this;
    for (let base = 0; base < d; base += 16) {
      this.products.philox4(a | 0, k | 0, stream | 0, base >> 2, k0 | 0, k1 | 0, this.wordsAt);
      for (let lane = 0; lane < 4; lane++) {
        const at = base + 4 * lane;
        if (at >= d) break;
        gaussianPair(words[lane]!, words[4 + lane]!, out, at, d - at);
        if (at + 2 < d) gaussianPair(words[8 + lane]!, words[12 + lane]!, out, at + 2, d - at - 2);
      }
    }
  }
}
