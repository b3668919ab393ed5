// From the per-chunk sums of a forward pass to the network's outputs f(z_b), the residual
// weights w_b = Φ'(y_b − f(z_b)) of SPEC §2 step 2 and the loss terms Φ(y_m − f(z_m)): the
// CPU twin of shaders/reduce.wgsl. Chunks are added in chunk order, so that every thread
// count gives the same bits.
import type { KernelConfig } from './kernel-config';

/** f(z) = (1/n) Σ_i c_i φ(α_i·z) from the per-chunk sums at offset, offset + stride, … */
function networkOutput(
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
