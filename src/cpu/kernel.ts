// The maths of a range of particles, line by line after SPEC §2–3; the CPU twin of the WGSL
// step. Particles live in float32 (as on the GPU) and each is worked on in double, then
// rounded once when stored. Nothing here allocates after construction.
import { activationCode, type Loss } from '../contract/model';
import { particleGaussians, Stream } from '../contract/philox';
import { noiseLevel } from '../contract/simulation';

// φ and φ' are written out in the loops below; they must stay those of model.ts activation().
const TANH = activationCode('tanh');
const SIGMOID = activationCode('sigmoid');

/** Everything that fixes the maths of a simulation; plain data, posted to every worker. */
export interface KernelConfig {
  readonly n: number;
  readonly p: number;
  readonly d: number;
  /** Batch size B of every step; 0 when there is no data (F ≡ 0, no data term). */
  readonly batch: number;
  /** Full batch: slot b of every step is training point b. */
  readonly full: boolean;
  readonly trainCount: number;
  readonly testCount: number;
  /** activationCode of src/contract/model.ts. */
  readonly activation: number;
  readonly loss: Loss;
  readonly huberDelta: number;
  /** σ of step 0 and its annealing (noiseLevel in src/contract/simulation.ts). */
  readonly sigma: number;
  readonly sigmaFinal: number | null;
  readonly annealSteps: number;
  readonly tau: number;
  readonly priorStd: number;
  readonly initStd: number;
  readonly key: readonly [number, number];
  /** Particles per chunk; partial sums are kept per chunk and reduced in chunk order. */
  readonly chunkSize: number;
  readonly chunks: number;
  /** Data points per block of a loss evaluation. */
  readonly lossBlock: number;
  /** Whether threads keep φ(α_i·z_b) of the forward pass for the next step's drift. */
  readonly cachePhi: boolean;
}

/** Data points whose α·z a forward pass computes at a time. */
const TILE = 256;

/** Particles [i0, i1) of chunk `chunk`. */
export function chunkRange(cfg: KernelConfig, chunk: number): [number, number] {
  const i0 = chunk * cfg.chunkSize;
  return [i0, Math.min(cfg.n, i0 + cfg.chunkSize)];
}

/**
 * The kernels of one thread over particles [first, end) of `x` (n × d, rows [α, c]): any
 * sub-range of those may be passed to a method. With cfg.cachePhi the thread keeps, for
 * each of its particles, φ(α_i·z_b) of the batch its last forward pass saw: the next step's
 * drift needs exactly those values (same stored particle, same inputs, same bits).
 */
export class ParticleKernel {
  private readonly p: number;
  private readonly d: number;
  private readonly activation: number;
  private readonly words = new Uint32Array(4);
  private readonly gauss = new Float64Array(4);
  /** One particle in double. */
  private readonly xd: Float64Array;
  /** Its noise ξ. */
  private readonly xi: Float64Array;
  /** Σ_b w_b ∇_x φ̂(x, z_b). */
  private readonly grad: Float64Array;
  /** Per data point of a tile or batch slot: α·z_b, φ(α·z_b), then w_b c φ'(α·z_b). */
  private readonly u: Float64Array;
  /** φ(α_i·z_b) at (i − first)·B + b, or null (recomputed in each step). */
  private readonly phis: Float64Array | null;

  constructor(
    private readonly cfg: KernelConfig,
    private readonly x: Float32Array,
    private readonly first: number,
    end: number,
  ) {
    this.p = cfg.p;
    this.d = cfg.d;
    this.activation = cfg.activation;
    this.xd = new Float64Array(cfg.d);
    this.xi = new Float64Array(cfg.d);
    this.grad = new Float64Array(cfg.d);
    this.u = new Float64Array(Math.max(cfg.batch, TILE));
    const keep = cfg.cachePhi && cfg.batch > 0;
    this.phis = keep ? new Float64Array((end - first) * cfg.batch) : null;
  }

  /** x_i^0 = s0 · g, g from stream 1 with counter (i, 0, 1, j) (SPEC §3). */
  init(i0: number, i1: number): void {
    const { d, x, xi } = this;
    const { initStd, key } = this.cfg;
    for (let i = i0; i < i1; i++) {
      particleGaussians(Stream.init, i, 0, d, key, xi, 0, this.words, this.gauss);
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
    const { d, x, xd } = this;
    out.fill(0, outOffset, outOffset + count);
    for (let i = i0; i < i1; i++) {
      for (let j = 0; j < d; j++) xd[j] = x[i * d + j]!;
      this.accumulate(i, z, row0, count, out, outOffset, batch);
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
    const { p, d, x, xd, xi, grad, u, activation } = this;
    const { tau, priorStd, key } = this.cfg;
    const sigma = noiseLevel(this.cfg, k);
    const B = this.cfg.batch;
    const invB = B > 0 ? 1 / B : 0;
    const priorRate = (sigma * sigma) / (2 * priorStd * priorStd);
    const noiseScale = sigma * Math.sqrt(tau);
    grad.fill(0);
    if (B > 0) nextSums.fill(0, nextOffset, nextOffset + B);
    for (let i = i0; i < i1; i++) {
      const o = i * d;
      for (let j = 0; j < d; j++) xd[j] = x[o + j]!;
      const c = xd[p]!;

      // Σ_b w_b ∇_x φ̂(x_i, z_b): grad[0..p) = Σ_b (w_b c φ'(α·z_b)) z_b, grad[p] = Σ_b w_b φ(α·z_b).
      if (B > 0) {
        let phiOf = u;
        let phiAt = 0;
        if (this.phis) {
          phiOf = this.phis;
          phiAt = (i - this.first) * B;
        } else {
          dotRows(xd, p, batch, 0, B, u);
          applyPhi(activation, u, B);
        }
        let gc = 0;
        for (let b = 0; b < B; b++) {
          const phi = phiOf[phiAt + b]!;
          // φ' from φ: 1 − tanh², σ(1 − σ), and for relu u > 0 exactly when φ > 0.
          let dphi: number;
          if (activation === TANH) dphi = 1 - phi * phi;
          else if (activation === SIGMOID) dphi = phi * (1 - phi);
          else dphi = phi > 0 ? 1 : 0;
          const wb = w[b]!;
          gc += wb * phi;
          u[b] = wb * c * dphi;
        }
        transposedProduct(u, batch, p, B, grad);
        grad[p] = gc;
      }

      particleGaussians(Stream.noise, i, k, d, key, xi, 0, this.words, this.gauss);
      for (let j = 0; j < d; j++) {
        const xj = xd[j]!;
        const drift = grad[j]! * invB - priorRate * xj;
        const next = Math.fround(xj + tau * drift + noiseScale * xi[j]!);
        x[o + j] = next;
        xd[j] = next;
      }

      if (B > 0) this.accumulate(i, nextBatch, 0, B, nextSums, nextOffset, true);
    }
  }

  /** Adds c φ(α · z_b) of particle i (in xd) to out[outOffset + b], b < count. */
  private accumulate(
    i: number,
    z: Float32Array,
    row0: number,
    count: number,
    out: Float64Array,
    outOffset: number,
    batch: boolean,
  ): void {
    const { p, xd, u } = this;
    const phis = batch ? this.phis : null;
    const phisAt = (i - this.first) * count;
    const c = xd[p]!;
    for (let t0 = 0; t0 < count; t0 += TILE) {
      const tile = Math.min(TILE, count - t0);
      dotRows(xd, p, z, row0 + t0, tile, u);
      applyPhi(this.activation, u, tile);
      const o = outOffset + t0;
      for (let b = 0; b < tile; b++) out[o + b] = out[o + b]! + c * u[b]!;
      if (phis) for (let b = 0; b < tile; b++) phis[phisAt + t0 + b] = u[b]!;
    }
  }
}

/**
 * u[b] = α · z_{row0+b} for b < count, α = xd[0..p). Four rows at a time, for parallel add
 * chains; each dot product still adds its terms in order j = 0 … p−1.
 */
function dotRows(
  xd: Float64Array,
  p: number,
  z: Float32Array,
  row0: number,
  count: number,
  u: Float64Array,
): void {
  let b = 0;
  for (; b + 4 <= count; b += 4) {
    const o0 = (row0 + b) * p;
    const o1 = o0 + p;
    const o2 = o1 + p;
    const o3 = o2 + p;
    let u0 = 0;
    let u1 = 0;
    let u2 = 0;
    let u3 = 0;
    for (let j = 0; j < p; j++) {
      const a = xd[j]!;
      u0 += a * z[o0 + j]!;
      u1 += a * z[o1 + j]!;
      u2 += a * z[o2 + j]!;
      u3 += a * z[o3 + j]!;
    }
    u[b] = u0;
    u[b + 1] = u1;
    u[b + 2] = u2;
    u[b + 3] = u3;
  }
  for (; b < count; b++) {
    const o = (row0 + b) * p;
    let ub = 0;
    for (let j = 0; j < p; j++) ub += xd[j]! * z[o + j]!;
    u[b] = ub;
  }
}

/** u[b] ← φ(u[b]) for b < count (model.ts activation().phi). */
function applyPhi(activation: number, u: Float64Array, count: number): void {
  if (activation === TANH) {
    for (let b = 0; b < count; b++) u[b] = Math.tanh(u[b]!);
  } else if (activation === SIGMOID) {
    for (let b = 0; b < count; b++) u[b] = 1 / (1 + Math.exp(-u[b]!));
  } else {
    for (let b = 0; b < count; b++) u[b] = u[b]! > 0 ? u[b]! : 0;
  }
}

/**
 * g[j] = Σ_b v[b] z[b·p + j] for j < p, b < count: four coordinates at a time; each sum
 * still adds its terms in order b = 0 … count−1.
 */
function transposedProduct(
  v: Float64Array,
  z: Float32Array,
  p: number,
  count: number,
  g: Float64Array,
): void {
  let j = 0;
  for (; j + 4 <= p; j += 4) {
    let g0 = 0;
    let g1 = 0;
    let g2 = 0;
    let g3 = 0;
    for (let b = 0; b < count; b++) {
      const vb = v[b]!;
      const o = b * p + j;
      g0 += vb * z[o]!;
      g1 += vb * z[o + 1]!;
      g2 += vb * z[o + 2]!;
      g3 += vb * z[o + 3]!;
    }
    g[j] = g0;
    g[j + 1] = g1;
    g[j + 2] = g2;
    g[j + 3] = g3;
  }
  for (; j < p; j++) {
    let gj = 0;
    for (let b = 0; b < count; b++) gj += v[b]! * z[b * p + j]!;
    g[j] = gj;
  }
}

/** f(z) = (1/n) Σ_i c_i φ(α_i·z) from the per-chunk sums at offset, offset + stride, … */
export function networkOutput(
  cfg: KernelConfig,
  sums: Float64Array,
  offset: number,
  stride: number,
): number {
  let total = 0;
  for (let chunk = 0; chunk < cfg.chunks; chunk++) total += sums[offset + chunk * stride]!;
  return total / cfg.n;
}

/**
 * SPEC §2 step 2: w_b = Φ'(y_b − f(z_b)), `slope` being Φ' of model.ts loss(), with n·f(z_b)
 * the per-chunk sums at sumsOffset + b + chunk·stride.
 */
export function residualWeights(
  cfg: KernelConfig,
  slope: (r: number) => number,
  sums: Float64Array,
  sumsOffset: number,
  stride: number,
  y: Float32Array,
  w: Float64Array,
): void {
  for (let b = 0; b < cfg.batch; b++) {
    w[b] = slope(y[b]! - networkOutput(cfg, sums, sumsOffset + b, stride));
  }
}

/** out[m0 + m] = Φ(y_{m0+m} − f(z_{m0+m})) for m in [first, end), `value` being Φ. */
export function lossTerms(
  cfg: KernelConfig,
  value: (r: number) => number,
  sums: Float64Array,
  stride: number,
  y: Float32Array,
  m0: number,
  first: number,
  end: number,
  out: Float64Array,
): void {
  for (let m = first; m < end; m++) {
    out[m0 + m] = value(y[m0 + m]! - networkOutput(cfg, sums, m, stride));
  }
}
