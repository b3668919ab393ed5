// The model of SPEC §1: activations φ, losses Φ and the Gaussian prior, as scalar
// functions. The CPU reference and the tests use these; shaders/activation.wgsl and
// loss.wgsl mirror them. tanh is ./tanh.ts, a faster twin of Math.tanh (a few ulps apart).
import { tanh } from './tanh';

export const ACTIVATIONS = ['tanh', 'sigmoid', 'relu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const LOSSES = ['square', 'huber', 'logcosh'] as const;
export type Loss = (typeof LOSSES)[number];

/** Index of each activation and loss as passed to the shaders' override constants. */
export const activationCode = (a: Activation): number => ACTIVATIONS.indexOf(a);
export const lossCode = (l: Loss): number => LOSSES.indexOf(l);

export function activation(name: Activation): {
  phi: (u: number) => number;
  dphi: (u: number) => number;
} {
  switch (name) {
    case 'tanh':
      return {
        phi: tanh,
        dphi: (u) => {
          const t = tanh(u);
          return 1 - t * t;
        },
      };
    case 'sigmoid':
      return {
        phi: (u) => 1 / (1 + Math.exp(-u)),
        dphi: (u) => {
          const s = 1 / (1 + Math.exp(-u));
          return s * (1 - s);
        },
      };
    case 'relu':
      return { phi: (u) => (u > 0 ? u : 0), dphi: (u) => (u > 0 ? 1 : 0) };
  }
}

/** Φ and Φ' of the residual r = y − f (SPEC §1). `delta` is Huber's δ. */
export function loss(
  name: Loss,
  delta: number,
): { value: (r: number) => number; slope: (r: number) => number } {
  switch (name) {
    case 'square':
      return { value: (r) => r * r, slope: (r) => 2 * r };
    case 'huber':
      return {
        value: (r) => (Math.abs(r) <= delta ? (r * r) / 2 : delta * (Math.abs(r) - delta / 2)),
        slope: (r) => Math.min(delta, Math.max(-delta, r)),
      };
    case 'logcosh':
      // log cosh r = |r| + log1p(e^{-2|r|}) − log 2 stays finite for large |r|.
      return {
        value: (r) => Math.abs(r) + Math.log1p(Math.exp(-2 * Math.abs(r))) - Math.LN2,
        slope: tanh,
      };
  }
}

/**
 * Stationary per-coordinate variance of the F ≡ 0 chain, v = 2s²/(2 − a) with
 * a = τσ²/(2s²), and the variance after k steps from N(0, s0²) (SPEC §2).
 */
export function exactNoDataVariance(
  sigma: number,
  tau: number,
  priorStd: number,
  initStd: number,
  k: number,
): number {
  const s2 = priorStd * priorStd;
  const a = (tau * sigma * sigma) / (2 * s2);
  const v = (2 * s2) / (2 - a);
  return v + Math.pow(1 - a, 2 * k) * (initStd * initStd - v);
}
