// The maths of a range of particles, line by line after SPEC §2–3; the CPU twin of the WGSL
// step (shaders/particles.wgsl), as ./reduce.ts is of its reduction. Particles live in
// float32 (as on the GPU) and each is worked on in double, then rounded once when stored.
// Nothing here allocates after construction.
import { activation as activationOf, activationOfCode } from '../contract/model';
import { Stream } from '../contract/philox';
import { noiseLevel } from '../contract/simulation';
import type { KernelConfig } from './kernel-config';
import { NOISE_WORDS_BYTES, NoiseGaussians } from './noise';
import { createProducts, TANH_TABLE_LENGTH, writeTanhTable, type Products } from './products';

/** Data points whose α·z a forward pass or a gradient computes at a time. */
const TILE = 256;
/** Particles of a step whose drift is summed before they are moved (scratch: GROUP × stride). */
const GROUP = 128;
/** Bytes of a WebAssembly memory page, and the most pages a memory may have (4 GiB). */
const WASM_PAGE = 65536;
const WASM_MAX_PAGES = 65536;

/**
 * The kernels of one thread over particles [first, end) of `x` (n × d, rows [α, c]): any
 * sub-range of those may be passed to a method. With cfg.cachePhi the thread keeps, for
 * each of its particles, φ(α_i·z_b) of the batch its last forward pass saw: the next step's
 * drift needs exactly those values (same stored particle, same inputs, same bits).
 *
 * Speed without changing a bit: data rows are copied to float64 once per tile (exact), with
 * the row stride padded to a multiple of 4 by zeros; particles go two at a time through
 * every product over the data (the two lanes of an f64x2 in α·z) and through the drift's
 * weights. Each sum still adds its terms in the order of the plain loop. Those products and
 * tanh run in WebAssembly (products.ts), over a memory that holds the particles in double,
 * the data tiles, α·z and the drift sums; the rest is JavaScript over views of that memory.
 */
export class ParticleKernel {
  private readonly p: number;
  private readonly d: number;
  /** Row stride of the float64 data tiles: p rounded up to a multiple of 4. */
  private readonly stride: number;
  /** φ of model.ts, or null for tanh, which runs in the products' module (its bits). */
  private readonly phi: ((u: number) => number) | null;
  /** φ' from φ of model.ts. */
  private readonly dphiFromPhi: (f: number) => number;
  /** Two particles in double, at 0 and d. */
  private readonly xd: Float64Array;
  /** A particle's noise ξ. */
  private readonly xi: Float64Array;
  /** Σ_b w_b c φ'(α·z_b) z_b of the particles of a group, `stride` apart. */
  private readonly grads: Float64Array;
  /** Σ_b w_b φ(α·z_b) of the particles of a group. */
  private readonly gcs: Float64Array;
  /** Data rows of a tile in float64 (padded rows); the next batch's in zNext. */
  private readonly zTile: Float64Array;
  private readonly zNext: Float64Array;
  /** Per data point of a tile, for two particles (at 0 and TILE): α·z_b, φ, w_b c φ'. */
  private readonly u: Float64Array;
  /** The noise ξ and the initial particles' Gaussians (Philox in the products' module). */
  private readonly noise: NoiseGaussians;
  /** φ(α_i·z_b) at (i − first)·B + b, or null (recomputed in each step). */
  private readonly phis: Float64Array | null;
  /** The multiply-add loops, over the memory that holds xd, u, zTile, zNext and grads. */
  private readonly products: Products;
  /** Byte addresses of those arrays in that memory. */
  private readonly at: Record<
    'xd' | 'u' | 'zTile' | 'zNext' | 'grads' | 'words' | 'tanhTable',
    number
  >;

  constructor(
    private readonly cfg: KernelConfig,
    private readonly x: Float32Array,
    private readonly first: number,
    end: number,
  ) {
    this.p = cfg.p;
    this.d = cfg.d;
    this.stride = Math.ceil(cfg.p / 4) * 4;
    const name = activationOfCode(cfg.activation);
    const { phi, dphiFromPhi } = activationOf(name);
    this.phi = name === 'tanh' ? null : phi;
    this.dphiFromPhi = dphiFromPhi;
    this.xi = new Float64Array(cfg.d);
    this.gcs = new Float64Array(GROUP);
    const lengths = {
      xd: 2 * cfg.d,
      u: 2 * TILE,
      zTile: TILE * this.stride,
      zNext: TILE * this.stride,
      grads: GROUP * this.stride,
      words: NOISE_WORDS_BYTES / 8,
      tanhTable: TANH_TABLE_LENGTH,
    };
    const doubles = Object.values(lengths).reduce((sum, length) => sum + length, 0);
    const pages = Math.ceil((doubles * 8) / WASM_PAGE);
    if (pages > WASM_MAX_PAGES) {
      throw new RangeError(
        `CPU reference: p = ${cfg.p} needs ${doubles * 8} bytes of kernel scratch per thread, more than WebAssembly's 4 GiB`,
      );
    }
    const memory = new WebAssembly.Memory({ initial: pages });
    this.products = createProducts(memory);
    let next = 0;
    const view = (name: keyof typeof lengths): Float64Array => {
      const array = new Float64Array(memory.buffer, next, lengths[name]);
      next += lengths[name] * 8;
      return array;
    };
    this.xd = view('xd');
    this.u = view('u');
    this.zTile = view('zTile');
    this.zNext = view('zNext');
    this.grads = view('grads');
    const words = view('words');
    this.noise = new NoiseGaussians(this.products, memory, words.byteOffset);
    const tanhTable = view('tanhTable');
    writeTanhTable(tanhTable);
    this.at = {
      xd: this.xd.byteOffset,
      u: this.u.byteOffset,
      zTile: this.zTile.byteOffset,
      zNext: this.zNext.byteOffset,
      grads: this.grads.byteOffset,
      words: words.byteOffset,
      tanhTable: tanhTable.byteOffset,
    };
    const keep = cfg.cachePhi && cfg.batch > 0;
    this.phis = keep ? new Float64Array((end - first) * cfg.batch) : null;
  }

  /** x_i^0 = s0 · g, g from stream 1 with counter (i, 0, 1, j) (SPEC §3). */
  init(i0: number, i1: number): void {
    const { d, x, xi } = this;
    const { initStd, key } = this.cfg;
    for (let i = i0; i < i1; i++) {
      this.noise.fill(Stream.init, i, 0, d, key[0], key[1], xi);
      for (let j = 0; j < d; j++) x[i * d + j] = initStd * xi[j]!;
    }
  }

  /**
   * out[outOffset + b] = Σ_{i ∈ [i0, i1)} c_i φ(α_i · z_b) for the `count` points whose
   * inputs are rows row0 … row0+count−1 of `z`, summed over the particles in order: n·f
   * (SPEC §1) restricted to the range. `batch`: these points are the next step's batch, whose
   * φ values the thread keeps.
   */
  forward(
    i0: number,
    i1: number,
    z: Float32Array,
    row0: number,
    count: number,
    out: Float64Array,
    outOffset: number,
    batch: boolean,
  ): void {
    out.fill(0, outOffset, outOffset + count);
    for (let t0 = 0; t0 < count; t0 += TILE) {
      const tile = Math.min(TILE, count - t0);
      this.load(z, row0 + t0, tile, this.zTile);
      this.forwardTile(i0, i1, this.at.zTile, tile, out, outOffset + t0, batch ? t0 : -1, count);
    }
  }

  /**
   * One time step k of particles [i0, i1) (SPEC §2), fused with the forward pass of step k+1:
   *   D_i = (1/B) Σ_b w_b ∇_x φ̂(x_i, z_b) − (σ²/2) x_i/s²,  ∇_α φ̂ = c φ'(α·z) z, ∇_c φ̂ = φ(α·z),
   *   x_i ← x_i + τ D_i + σ√τ ξ_i,  ξ_i from stream 0 with counter (i, k, 0, j),
   * then, from the new particle as stored (float32), adds c φ(α·z_b) for each point of the
   * next batch to nextSums[nextOffset + b]. `batch` holds the B input rows of S_k and
   * `nextBatch` those of S_{k+1}; `w` the weights of S_k. With B = 0 only the prior drift and
   * the noise act.
   */
  step(
    i0: number,
    i1: number,
    k: number,
    batch: Float32Array,
    w: Float64Array,
    nextBatch: Float32Array,
    nextSums: Float64Array,
    nextOffset: number,
  ): void {
    const B = this.cfg.batch;
    // A batch that fits one tile is loaded once for all groups.
    const oneTile = B <= TILE;
    if (B > 0) {
      nextSums.fill(0, nextOffset, nextOffset + B);
      if (oneTile) {
        this.load(batch, 0, B, this.zTile);
        this.load(nextBatch, 0, B, this.zNext);
      }
    }
    for (let g0 = i0; g0 < i1; g0 += GROUP) {
      const g1 = Math.min(i1, g0 + GROUP);
      if (B > 0) {
        this.gradients(g0, g1, batch, w, oneTile);
        this.move(g0, g1, k);
        for (let t0 = 0; t0 < B; t0 += TILE) {
          const tile = Math.min(TILE, B - t0);
          if (!oneTile) this.load(nextBatch, t0, tile, this.zNext);
          this.forwardTile(g0, g1, this.at.zNext, tile, nextSums, nextOffset + t0, t0, B);
        }
      } else this.move(g0, g1, k);
    }
  }

  /** Rows row0 … row0+count−1 of z (p floats each) into dst, `stride` apart (exact). */
  private load(z: Float32Array, row0: number, count: number, dst: Float64Array): void {
    const { p, stride } = this;
    for (let b = 0; b < count; b++) {
      const from = (row0 + b) * p;
      const to = b * stride;
      for (let j = 0; j < p; j++) dst[to + j] = z[from + j]!;
    }
  }

  /**
   * grads and gcs of particles [g0, g1): Σ_b w_b ∇_x φ̂(x_i, z_b) over the batch of the step,
   * grads[r·stride + j] for α_j and gcs[r] for c, r = i − g0.
   */
  private gradients(
    g0: number,
    g1: number,
    batch: Float32Array,
    w: Float64Array,
    loaded: boolean,
  ): void {
    const { stride, grads, gcs, products, at } = this;
    const B = this.cfg.batch;
    const rowBytes = stride * 8;
    grads.fill(0, 0, (g1 - g0) * stride);
    gcs.fill(0, 0, g1 - g0);
    for (let t0 = 0; t0 < B; t0 += TILE) {
      const tile = Math.min(TILE, B - t0);
      if (!loaded) this.load(batch, t0, tile, this.zTile);
      let i = g0;
      for (; i + 2 <= g1; i += 2) {
        this.loadParticles(i, 2);
        const r = i - g0;
        this.weightsPair(i, r, t0, tile, w);
        const g = at.grads + r * rowBytes;
        products.transposedPair(at.u, at.u + TILE * 8, at.zTile, rowBytes, tile, g, g + rowBytes);
      }
      if (i < g1) {
        this.loadParticles(i, 1);
        this.weights(i, i - g0, t0, tile, w);
        products.transposedOne(at.u, at.zTile, rowBytes, tile, at.grads + (i - g0) * rowBytes);
      }
    }
  }

  /**
   * For particle i (in xd at 0; row r of the group) and the tile of the batch at t0:
   * u[b] = w_b c φ'(α·z_b), and w_b φ(α·z_b) added in order to gcs[r]. φ is the kept value
   * or is computed from zTile.
   */
  private weights(i: number, r: number, t0: number, tile: number, w: Float64Array): void {
    const { p, xd, u, dphiFromPhi } = this;
    const c = xd[p]!;
    let phiOf = u;
    let phiAt = 0;
    if (this.phis) {
      phiOf = this.phis;
      phiAt = (i - this.first) * this.cfg.batch + t0;
    } else {
      const { at } = this;
      this.products.dotOne(at.xd, at.zTile, this.stride * 8, tile, at.u, p);
      this.applyPhi(0, tile);
    }
    let gc = this.gcs[r]!;
    for (let b = 0; b < tile; b++) {
      const phi = phiOf[phiAt + b]!;
      const wb = w[t0 + b]!;
      gc += wb * phi;
      u[b] = wb * c * dphiFromPhi(phi);
    }
    this.gcs[r] = gc;
  }

  /**
   * weights() of particles i and i + 1 (in xd at 0 and d; rows r and r + 1), u at 0 and TILE,
   * in one loop: the two sums into gcs then run side by side, where one after the other
   * each would wait on its own previous add.
   */
  private weightsPair(i: number, r: number, t0: number, tile: number, w: Float64Array): void {
    const { p, d, xd, u, dphiFromPhi } = this;
    const c0 = xd[p]!;
    const c1 = xd[d + p]!;
    let phiOf = u;
    let phiAt0 = 0;
    let phiAt1 = TILE;
    if (this.phis) {
      phiOf = this.phis;
      phiAt0 = (i - this.first) * this.cfg.batch + t0;
      phiAt1 = phiAt0 + this.cfg.batch;
    } else {
      const { at } = this;
      const rowBytes = this.stride * 8;
      this.products.dotPair(
        at.xd,
        at.xd + d * 8,
        at.zTile,
        rowBytes,
        tile,
        at.u,
        at.u + TILE * 8,
        p,
      );
      this.applyPhi(0, tile);
      this.applyPhi(TILE, tile);
    }
    let gc0 = this.gcs[r]!;
    let gc1 = this.gcs[r + 1]!;
    for (let b = 0; b < tile; b++) {
      const phi0 = phiOf[phiAt0 + b]!;
      const phi1 = phiOf[phiAt1 + b]!;
      const wb = w[t0 + b]!;
      gc0 += wb * phi0;
      gc1 += wb * phi1;
      u[b] = wb * c0 * dphiFromPhi(phi0);
      u[TILE + b] = wb * c1 * dphiFromPhi(phi1);
    }
    this.gcs[r] = gc0;
    this.gcs[r + 1] = gc1;
  }

  /** x_i ← x_i + τ D_i + σ√τ ξ_i for i in [g0, g1), the data term from grads and gcs. */
  private move(g0: number, g1: number, k: number): void {
    const { p, d, stride, x, xi, grads, gcs } = this;
    const { tau, priorStd, key } = this.cfg;
    const sigma = noiseLevel(this.cfg, k);
    const B = this.cfg.batch;
    const invBatch = B > 0 ? 1 / B : 0;
    // SPEC §2's confinement term (σ²/2) ∇U(x) = confinement · x, as in shaders/particles.wgsl.
    const confinement = (sigma * sigma) / (2 * priorStd * priorStd);
    const noiseScale = sigma * Math.sqrt(tau);
    for (let i = g0; i < g1; i++) {
      const o = i * d;
      const go = (i - g0) * stride;
      this.noise.fill(Stream.noise, i, k, d, key[0], key[1], xi);
      for (let j = 0; j < d; j++) {
        const xj = x[o + j]!;
        const gj = B === 0 ? 0 : j < p ? grads[go + j]! : gcs[i - g0]!;
        const drift = gj * invBatch - confinement * xj;
        x[o + j] = Math.fround(xj + tau * drift + noiseScale * xi[j]!);
      }
    }
  }

  /**
   * Adds c_i φ(α_i · z_b) of particles [i0, i1), in order, to out[o + b] for the `tile`
   * rows of z (float64, padded, at byte address z of the products' memory). With phiAt ≥ 0
   * these rows are slots phiAt … of a batch of `rows` points whose φ values are kept.
   */
  private forwardTile(
    i0: number,
    i1: number,
    z: number,
    tile: number,
    out: Float64Array,
    o: number,
    phiAt: number,
    rows: number,
  ): void {
    const { p, d, xd, u, products, at } = this;
    const rowBytes = this.stride * 8;
    const phis = phiAt >= 0 ? this.phis : null;
    let i = i0;
    for (; i + 2 <= i1; i += 2) {
      this.loadParticles(i, 2);
      products.dotPair(at.xd, at.xd + d * 8, z, rowBytes, tile, at.u, at.u + TILE * 8, p);
      this.applyPhi(0, tile);
      this.applyPhi(TILE, tile);
      const c0 = xd[p]!;
      const c1 = xd[d + p]!;
      for (let b = 0; b < tile; b++) out[o + b] = out[o + b]! + c0 * u[b]! + c1 * u[TILE + b]!;
      if (phis) {
        const kept = (i - this.first) * rows + phiAt;
        phis.set(u.subarray(0, tile), kept);
        phis.set(u.subarray(TILE, TILE + tile), kept + rows);
      }
    }
    if (i < i1) {
      this.loadParticles(i, 1);
      products.dotOne(at.xd, z, rowBytes, tile, at.u, p);
      this.applyPhi(0, tile);
      const c = xd[p]!;
      for (let b = 0; b < tile; b++) out[o + b] = out[o + b]! + c * u[b]!;
      if (phis) phis.set(u.subarray(0, tile), (i - this.first) * rows + phiAt);
    }
  }

  /** u[b] ← φ(u[b]) for b in [from, from + count). */
  private applyPhi(from: number, count: number): void {
    const { u, phi } = this;
    if (phi === null) {
      this.products.tanh(this.at.u + from * 8, count, this.at.tanhTable);
      return;
    }
    for (let b = from; b < from + count; b++) u[b] = phi(u[b]!);
  }

  /** Particles i … i+count−1 (float32) into xd, d apart, in double. */
  private loadParticles(i: number, count: number): void {
    const { d, x, xd } = this;
    const o = i * d;
    for (let j = 0; j < count * d; j++) xd[j] = x[o + j]!;
  }
}
