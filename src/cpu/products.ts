// The hot loops of the CPU kernel (kernel.ts) in WebAssembly: the dot products α·z_b of the
// forward pass and the sums Σ_b v_b z_b of the drift, which are nearly all of the step's
// counted FLOP, the drift's weights, the forward sums, tanh, the noise (Philox, Box–Muller)
// and the move. In JavaScript every typed-array load of these loops also paid an index
// computation and a bounds check; here a load is one instruction, and two multiply-adds go
// in one f64x2 instruction (bench/RESULTS.md has the timings). They are written in
// src/wasm/products.wat, tanh.wat and langevin.wat, compiled by `npm run wasm`, three
// modules over one memory. WebAssembly's f64 arithmetic is IEEE double like JavaScript's, no
// SIMD lane mixes with another, and every sum adds its terms in the order of the plain loop,
// so the results are the same bits as the plain loops'.
//
// Addresses are bytes into the kernel's memory; rows of z are `rowBytes` apart; vectors are
// float64.
import { STEP_POW, STEP_POW_M1 } from '../contract/tanh';
import { WASM_BASE64 as LANGEVIN } from '../wasm/langevin.wasm';
import { wasmModule } from '../wasm/module';
import { WASM_BASE64 as PRODUCTS } from '../wasm/products.wasm';
import { WASM_BASE64 as TANH } from '../wasm/tanh.wasm';

export interface Products {
  /**
   * u[b] = α·z_b, v[b] = β·z_b for b < count; α at x0, β at x1, p terms each; z_b[j] at
   * cols + colBytes·j + 8b (the data's columns). One particle: x1 = x0 and v = u.
   */
  dotPair(
    x0: number,
    x1: number,
    cols: number,
    colBytes: number,
    count: number,
    u: number,
    v: number,
    p: number,
  ): void;
  /**
   * g[j] += Σ_b v[b] z_b[j] and h[j] += Σ_b w[b] z_b[j] for j < rowBytes/8 (a multiple of 4),
   * b < count, each sum going on from the stored value in order b = 0 … count−1.
   */
  transposedPair(
    v: number,
    w: number,
    z: number,
    rowBytes: number,
    count: number,
    g: number,
    h: number,
  ): void;
  /** g[j] += Σ_b v[b] z_b[j], as transposedPair for one vector. */
  transposedOne(v: number, z: number, rowBytes: number, count: number, g: number): void;
  /** out[b] ← out[b] + c u[b] for b < count. */
  addScaled(out: number, u: number, c: number, count: number): void;
  /**
   * For b < count, two particles side by side: gc += w[b] φ[b] in order, from and back to the
   * double at gc0 (gc1), and u0[b] (u1[b]) = w[b] c0 (c1) φ'(φ[b]), φ from phi0 (phi1) and φ'
   * of the activation `activation` (activationCode) from φ. u0 and u1 may be phi0 and phi1.
   * One particle: the same addresses and c for both.
   */
  weightsPair(
    phi0: number,
    phi1: number,
    w: number,
    count: number,
    c0: number,
    c1: number,
    gc0: number,
    gc1: number,
    u0: number,
    u1: number,
    activation: number,
  ): void;
  /**
   * Philox4x32-10 of the blocks with counters (a, k, stream, block + l), l = 0 … 3, under the
   * key (key0, key1): word w of block block + l to the int32 at out + 16w + 4l.
   */
  philox4(
    a: number,
    k: number,
    stream: number,
    block: number,
    key0: number,
    key1: number,
    out: number,
  ): void;
  /**
   * Box–Muller of SPEC §3 (the bits of gaussianPair, src/contract/box-muller.ts) on the 16
   * words philox4 leaves at `words`: block l's four Gaussians to out + 32 l.
   */
  boxMuller(words: number, out: number): void;
  /**
   * The Gaussians of counter (a, k, stream, j), j < ⌈d/4⌉, coordinate c to out + 8c for c
   * below d rounded up to a multiple of 16; `words` is 64 bytes for Philox's output.
   */
  gaussians(
    a: number,
    k: number,
    stream: number,
    d: number,
    key0: number,
    key1: number,
    words: number,
    out: number,
  ): void;
  /** dst[i] = src[i], float32 to double, for i < count. */
  widen(src: number, dst: number, count: number): void;
  /**
   * x ← float32(x + τ (g/B − confinement x) + noiseScale ξ) for particles a0 … a0+count−1 of step k
   * (SPEC §2 step 4), particle r in double at x + 8dr, its α sums at grads + gradBytes·r and
   * its c sum at gcs + 8r (0 without `data`), ξ from gaussians() of (a0 + r, k, stream) through
   * words and xi; the new float32 values to xf + 4dr, and back in double over x.
   */
  move(
    count: number,
    a0: number,
    k: number,
    stream: number,
    key0: number,
    key1: number,
    d: number,
    p: number,
    x: number,
    xf: number,
    grads: number,
    gradBytes: number,
    gcs: number,
    data: number,
    invBatch: number,
    confinement: number,
    tau: number,
    noiseScale: number,
    words: number,
    xi: number,
  ): void;
  /**
   * v[i] ← tanh(v[i]) for i < count, the bits of src/contract/tanh.ts; its tables STEP_POW
   * and STEP_POW_M1 at `table` (TANH_TABLE_LENGTH doubles, see writeTanhTable).
   */
  tanh(v: number, count: number, table: number): void;
}

/** Doubles of the tables products.tanh reads. */
export const TANH_TABLE_LENGTH = STEP_POW.length + STEP_POW_M1.length;

/** Writes the tables of products.tanh into `table` (TANH_TABLE_LENGTH doubles). */
export function writeTanhTable(table: Float64Array): void {
  table.set(STEP_POW, 0);
  table.set(STEP_POW_M1, STEP_POW.length);
}

/** The products over `memory`, which holds every vector they are given. */
export function createProducts(memory: WebAssembly.Memory): Products {
  const exports = [PRODUCTS, TANH, LANGEVIN].map(
    (base64) => new WebAssembly.Instance(wasmModule(base64), { kernel: { memory } }).exports,
  );
  return Object.assign({}, ...exports) as Products;
}
