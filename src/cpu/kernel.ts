// The maths of a range of particles, line by line after SPEC §2–3; the CPU twin of the WGSL
// step (shaders/particles.wgsl), as ./reduce.ts is of its reduction. Particles live in
// float32 (as on the GPU) and each is worked on in double, then rounded once when stored.
// Nothing here allocates after construction but a few array views per group of particles.
// tanh and every φ' run in products.ts's WebAssembly; they must keep the bits of model.ts
// activation() (test/cpu/kernel.test.ts checks them).
import { activation as activationOf, activationOfCode } from '../contract/model';
import { Stream } from '../contract/philox';
import { noiseLevel } from '../contract/simulation';
import type { KernelConfig } from './kernel-config';
import { noiseScratchBytes, NoiseGaussians } from './noise';
import { createProducts, TANH_TABLE_LENGTH, writeTanhTable, type Products } from './products';

/** Data points whose α·z a forward pass or a gradient computes at a time. */
const TILE = 256;
/** Particles of a step whose drift is summed before they are moved (scratch: GROUP × stride). */
const GROUP = 128;
/** Bytes of a WebAssembly memory page, and the most pages a memory may have (4 GiB). */
const WASM_PAGE = 65536;
const WASM_MAX_PAGES = 65536;
/** Pages a memory with kept φ values may have: 2 GiB, what every engine allows. */
const PHI_MAX_PAGES = 32768;

/**
 * The kernels of one thread over particles [first, end) of `x` (n × d, rows [α, c]): any
 * sub-range of those may be passed to a method. With cfg.cachePhi the thread keeps, for
 * each of its particles, φ(α_i·z_b) of the batch its last forward pass saw: the next step's
 * drift needs exactly those values (same stored particle, same inputs, same bits).
 *
 * Speed without changing a bit: data tiles are copied to float64 once (exact), by rows with
 * the stride padded to a multiple of 4 by zeros and by columns; a group of particles is
 * copied in and widened to double once per step; particles go two at a time through every
 * product over the data and through the drift's weights. Each sum still adds its terms in
 * the order of the plain loop. Those products, tanh, the drift's weights, the forward sums,
 * the noise and the move run in WebAssembly (products.ts), over a memory that holds the
 * group's particles, the data tiles, α·z, the kept φ values and the partial sums; JavaScript
 * drives them over views of that memory.
 */
export class ParticleKernel {
  private readonly p: number;
  private readonly d: number;
  /** Row stride of the float64 data tiles: p rounded up to a multiple of 4. */
  private readonly stride: number;
  /** activationCode of model.ts: products.ts's modules pick φ' (and tanh's φ) by it. */
  private readonly activation: number;
  /** φ of model.ts, or null for tanh, which runs in the products' module (its bits). */
  private readonly phi: ((u: number) => number) | null;
  /** The particles of a group in float32 (as in x) and in double, d apart. */
  private readonly xg: Float32Array;
  /** Σ_b w_b c φ'(α·z_b) z_b of the particles of a group, `stride` apart. */
  private readonly grads: Float64Array;
  /** Σ_b w_b φ(α·z_b) of the particles of a group. */
  private readonly gcs: Float64Array;
  /** The whole memory of the products, for the views at its byte addresses. */
  private readonly heap: Float64Array;
  /**
   * Data rows of a tile in float64 (padded rows), and the same tile by columns (TILE apart)
   * for the dot products; the next batch's tile by columns in zNextCols.
   */
  private readonly zTile: Float64Array;
  private readonly zCols: Float64Array;
  private readonly zNextCols: Float64Array;
  /** The noise ξ and the initial particles' Gaussians (Philox and Box–Muller in WebAssembly). */
  private readonly noise: NoiseGaussians;
  /** φ(α_i·z_b) at (i − first)·B + b, or null (recomputed in each step). */
  private readonly phis: Float64Array | null;
  /** Weights w_b of a tile of the batch, and a tile of the forward sums being added. */
  private readonly wTile: Float64Array;
  private readonly sums: Float64Array;
  /** The loops in WebAssembly, over the memory that holds every array here but x. */
  private readonly products: Products;
  /** Byte addresses of those arrays in that memory. */
  private readonly at: Record<
    | 'xg'
    | 'xd'
    | 'u'
    | 'zTile'
    | 'zCols'
    | 'zNextCols'
    | 'grads'
    | 'gcs'
    | 'wTile'
    | 'sums'
    | 'tanhTable'
    | 'phis',
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
    this.activation = cfg.activation;
    const name = activationOfCode(cfg.activation);
    this.phi = name === 'tanh' ? null : activationOf(name).phi;
    const lengths = {
      xg: (GROUP * cfg.d) / 2,
      xd: GROUP * cfg.d,
      // Per data point of a tile, for two particles (at 0 and TILE): α·z_b, φ, w_b c φ'.
      u: 2 * TILE,
      zTile: TILE * this.stride,
      zCols: TILE * cfg.p,
      zNextCols: TILE * cfg.p,
      grads: GROUP * this.stride,
      gcs: GROUP,
      wTile: TILE,
      sums: TILE,
      noise: noiseScratchBytes(cfg.d) / 8,
      tanhTable: TANH_TABLE_LENGTH,
      phis: 0,
    };
    const doubles = Object.values(lengths).reduce((sum, length) => sum + length, 0);
    if (Math.ceil((doubles * 8) / WASM_PAGE) > WASM_MAX_PAGES) {
      throw new RangeError(
        `CPU reference: p = ${cfg.p} needs ${doubles * 8} bytes of kernel scratch per thread, more than WebAssembly's 4 GiB`,
      );
    }
    // Kept φ values live in the same memory, where the products write and read them in
    // place; where they would make it too large, φ is recomputed instead (the same bits).
    const phiDoubles = cfg.cachePhi ? (end - first) * cfg.batch : 0;
    if (Math.ceil(((doubles + phiDoubles) * 8) / WASM_PAGE) <= PHI_MAX_PAGES) {
      lengths.phis = phiDoubles;
    }
    const pages = Math.ceil(((doubles + lengths.phis) * 8) / WASM_PAGE);
    const memory = new WebAssembly.Memory({ initial: pages });
    this.heap = new Float64Array(memory.buffer);
    this.products = createProducts(memory);
    let next = 0;
    const view = (name: keyof typeof lengths): Float64Array => {
      const array = new Float64Array(memory.buffer, next, lengths[name]);
      next += lengths[name] * 8;
      return array;
    };
    const xg = view('xg');
    this.xg = new Float32Array(memory.buffer, xg.byteOffset, GROUP * cfg.d);
    const xd = view('xd');
    const u = view('u');
    this.zTile = view('zTile');
    this.zCols = view('zCols');
    this.zNextCols = view('zNextCols');
    this.grads = view('grads');
    this.gcs = view('gcs');
    this.wTile = view('wTile');
    this.sums = view('sums');
    const noise = view('noise');
    this.noise = new NoiseGaussians(this.products, memory, noise.byteOffset, cfg.d);
    const tanhTable = view('tanhTable');
    writeTanhTable(tanhTable);
    const phis = view('phis');
    this.at = {
      xg: xg.byteOffset,
      xd: xd.byteOffset,
      u: u.byteOffset,
      zTile: this.zTile.byteOffset,
      zCols: this.zCols.byteOffset,
      zNextCols: this.zNextCols.byteOffset,
      grads: this.grads.byteOffset,
      gcs: this.gcs.byteOffset,
      wTile: this.wTile.byteOffset,
      sums: this.sums.byteOffset,
      tanhTable: tanhTable.byteOffset,
      phis: phis.byteOffset,
    };
    this.phis = phis.length > 0 ? phis : null;
  }

  /** x_i^0 = s0 · g, g from stream 1 with counter (i, 0, 1, j) (SPEC §3). */
  init(i0: number, i1: number): void {
    const { d, x } = this;
    const { initStd, key } = this.cfg;
    for (let i = i0; i < i1; i++) {
      const xi = this.noise.fill(Stream.init, i, 0, d, key[0], key[1]);
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
      this.load(z, row0 + t0, tile, null, this.zCols);
      for (let g0 = i0; g0 < i1; g0 += GROUP) {
        const g1 = Math.min(i1, g0 + GROUP);
        this.loadGroup(g0, g1);
        const phiAt = batch ? t0 : -1;
        this.forwardTile(g0, g1, this.at.zCols, tile, out, outOffset + t0, phiAt, count);
      }
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
        this.load(batch, 0, B, this.zTile, this.zCols);
        this.load(nextBatch, 0, B, null, this.zNextCols);
      }
    }
    for (let g0 = i0; g0 < i1; g0 += GROUP) {
      const g1 = Math.min(i1, g0 + GROUP);
      this.loadGroup(g0, g1);
      if (B > 0) {
        this.gradients(g0, g1, batch, w, oneTile);
        this.move(g0, g1, k);
        for (let t0 = 0; t0 < B; t0 += TILE) {
          const tile = Math.min(TILE, B - t0);
          if (!oneTile) this.load(nextBatch, t0, tile, null, this.zNextCols);
          this.forwardTile(g0, g1, this.at.zNextCols, tile, nextSums, nextOffset + t0, t0, B);
        }
      } else this.move(g0, g1, k);
    }
  }

  /**
   * Rows row0 … row0+count−1 of z (p floats each), exactly, into `rows` (`stride` apart; not
   * when null) and by columns into `cols` (z_b[j] at TILE·j + b).
   */
  private load(
    z: Float32Array,
    row0: number,
    count: number,
    rows: Float64Array | null,
    cols: Float64Array,
  ): void {
    const { p, stride } = this;
    for (let b = 0; b < count; b++) {
      const from = (row0 + b) * p;
      for (let j = 0; j < p; j++) cols[j * TILE + b] = z[from + j]!;
      if (rows) for (let j = 0; j < p; j++) rows[b * stride + j] = z[from + j]!;
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
      if (!loaded) this.load(batch, t0, tile, this.zTile, this.zCols);
      this.wTile.set(w.subarray(t0, t0 + tile));
      let i = g0;
      for (; i + 2 <= g1; i += 2) {
        const r = i - g0;
        this.weightsPair(i, r, t0, tile);
        const g = at.grads + r * rowBytes;
        products.transposedPair(at.u, at.u + TILE * 8, at.zTile, rowBytes, tile, g, g + rowBytes);
      }
      if (i < g1) {
        this.weights(i, i - g0, t0, tile);
        products.transposedOne(at.u, at.zTile, rowBytes, tile, at.grads + (i - g0) * rowBytes);
      }
    }
  }

  /**
   * For particle i (row r of the group in xd) and the tile of the batch at t0, from
   * the weights in wTile: u[b] = w_b c φ'(α·z_b), and w_b φ(α·z_b) added in order to gcs[r].
   * φ is the kept value or is computed from zCols.
   */
  private weights(i: number, r: number, t0: number, tile: number): void {
    const { at, p, d } = this;
    const x = at.xd + r * d * 8;
    let phi = at.u;
    if (this.phis) phi = at.phis + ((i - this.first) * this.cfg.batch + t0) * 8;
    else {
      this.products.dotPair(x, x, at.zCols, TILE * 8, tile, at.u, at.u, p);
      this.applyPhi(at.u, tile);
    }
    const c = this.heap[x / 8 + p]!;
    const gc = at.gcs + r * 8;
    this.products.weightsPair(phi, phi, at.wTile, tile, c, c, gc, gc, at.u, at.u, this.activation);
  }

  /** weights() of particles i and i + 1 (rows r and r + 1), u at 0 and TILE. */
  private weightsPair(i: number, r: number, t0: number, tile: number): void {
    const { p, d, heap, at } = this;
    const x = at.xd + r * d * 8;
    let phi0 = at.u;
    let phi1 = at.u + TILE * 8;
    if (this.phis) {
      phi0 = at.phis + ((i - this.first) * this.cfg.batch + t0) * 8;
      phi1 = phi0 + this.cfg.batch * 8;
    } else {
      this.products.dotPair(x, x + d * 8, at.zCols, TILE * 8, tile, phi0, phi1, p);
      this.applyPhi(phi0, tile);
      this.applyPhi(phi1, tile);
    }
    const gc = at.gcs + r * 8;
    this.products.weightsPair(
      phi0,
      phi1,
      at.wTile,
      tile,
      heap[x / 8 + p]!,
      heap[x / 8 + d + p]!,
      gc,
      gc + 8,
      at.u,
      at.u + TILE * 8,
      this.activation,
    );
  }

  /**
   * x_i ← x_i + τ D_i + σ√τ ξ_i for the group [g0, g1) (loaded), the data term from grads and
   * gcs: in xg and xd, then in x.
   */
  private move(g0: number, g1: number, k: number): void {
    const { p, d, stride, at, noise } = this;
    const { tau, priorStd, key } = this.cfg;
    const sigma = noiseLevel(this.cfg, k);
    const B = this.cfg.batch;
    const invBatch = B > 0 ? 1 / B : 0;
    // SPEC §2's confinement term (σ²/2) ∇U(x) = confinement · x, as in shaders/particles.wgsl.
    const confinement = (sigma * sigma) / (2 * priorStd * priorStd);
    const noiseScale = sigma * Math.sqrt(tau);
    this.products.move(
      g1 - g0,
      g0,
      k,
      Stream.noise,
      key[0],
      key[1],
      d,
      p,
      at.xd,
      at.xg,
      at.grads,
      stride * 8,
      at.gcs,
      B > 0 ? 1 : 0,
      invBatch,
      confinement,
      tau,
      noiseScale,
      noise.wordsAt,
      noise.valuesAt,
    );
    this.x.set(this.xg.subarray(0, (g1 - g0) * d), g0 * d);
  }

  /**
   * Adds c_i φ(α_i · z_b) of the group [g0, g1) (loaded), in order, to out[o + b] for the
   * `tile` rows of z (float64 by columns, at byte address z of the products' memory; see
   * load). With phiAt ≥ 0 these rows are slots phiAt … of a batch of `rows` points whose φ
   * values are kept.
   */
  private forwardTile(
    g0: number,
    g1: number,
    z: number,
    tile: number,
    out: Float64Array,
    o: number,
    phiAt: number,
    rows: number,
  ): void {
    const { p, d, heap, products, at } = this;
    // φ goes straight to where it is kept, or to u; a pair's two rows of φ are one run of
    // 2·tile doubles there, unless a batch spans several tiles.
    const kept = phiAt >= 0 && this.phis !== null;
    const phiOf = (i: number): number =>
      kept ? at.phis + ((i - this.first) * rows + phiAt) * 8 : at.u + (i & 1) * tile * 8;
    const pairRun = !kept || tile === rows;
    this.sums.set(out.subarray(o, o + tile));
    let i = g0;
    for (; i + 2 <= g1; i += 2) {
      const x = at.xd + (i - g0) * d * 8;
      const u = phiOf(i);
      const v = phiOf(i + 1);
      products.dotPair(x, x + d * 8, z, TILE * 8, tile, u, v, p);
      if (pairRun) this.applyPhi(Math.min(u, v), 2 * tile);
      else {
        this.applyPhi(u, tile);
        this.applyPhi(v, tile);
      }
      products.addScaled(at.sums, u, heap[x / 8 + p]!, tile);
      products.addScaled(at.sums, v, heap[x / 8 + d + p]!, tile);
    }
    if (i < g1) {
      const x = at.xd + (i - g0) * d * 8;
      const u = phiOf(i);
      products.dotPair(x, x, z, TILE * 8, tile, u, u, p);
      this.applyPhi(u, tile);
      products.addScaled(at.sums, u, heap[x / 8 + p]!, tile);
    }
    out.set(this.sums.subarray(0, tile), o);
  }

  /** φ(v[b]) in place for the `count` doubles at byte address `v` (model.ts activation().phi). */
  private applyPhi(v: number, count: number): void {
    const { heap, phi } = this;
    if (phi === null) {
      this.products.tanh(v, count, this.at.tanhTable);
      return;
    }
    const from = v / 8;
    for (let b = from; b < from + count; b++) heap[b] = phi(heap[b]!);
  }

  /** Particles [g0, g1) (at most GROUP) into xg, and into xd in double. */
  private loadGroup(g0: number, g1: number): void {
    const { d } = this;
    this.xg.set(this.x.subarray(g0 * d, g1 * d));
    this.products.widen(this.at.xg, this.at.xd, (g1 - g0) * d);
  }
}
