// The model of SPEC §1: activations φ, losses Φ and the Gaussian prior, each written once here
// as scalar functions. The CPU kernel, the plain reference (./reference.ts), the observables
// and the tests all take them from these tables; shaders/activation.wgsl and loss.wgsl are
// their WGSL twins, picked by the constants modelShaderConstants() emits from the same tables.
// tanh is ./tanh.ts, a faster twin of Math.tanh (a few ulps apart).
import { tanh } from './tanh';

interface ActivationFunctions {
  /** φ(u). */
  readonly phi: (u: number) => number;
  /**
   * φ'(u) from f = φ(u) alone: both engines keep φ(α·z) of the forward pass for the drift,
   * so this is the one φ' they compute.
   */
  readonly dphiFromPhi: (f: number) => number;
}

/** SPEC §1's activations, in the order the CLI and the page list them. */
const ACTIVATION_TABLE = {
  tanh: { phi: tanh, dphiFromPhi: (t) => 1 - t * t },
  sigmoid: { phi: (u) => 1 / (1 + Math.exp(-u)), dphiFromPhi: (s) => s * (1 - s) },
  // φ'(u) = 1 for u > 0, else 0 (SPEC §1); u > 0 exactly when φ(u) > 0.
  relu: { phi: (u) => (u > 0 ? u : 0), dphiFromPhi: (f) => (f > 0 ? 1 : 0) },
} as const satisfies Record<string, ActivationFunctions>;

export type Activation = keyof typeof ACTIVATION_TABLE;
export const ACTIVATIONS = Object.keys(ACTIVATION_TABLE) as readonly Activation[];

interface LossFunctions {
  /** Φ(r) of the residual r = y − f. */
  readonly value: (r: number) => number;
  /** Φ'(r); the square loss's factor 2 lives here only (SPEC §2). */
  readonly slope: (r: number) => number;
}

/** SPEC §1's losses, each given Huber's δ (which only huber reads). */
const LOSS_TABLE = {
  square: () => ({ value: (r) => r * r, slope: (r) => 2 * r }),
  huber: (delta) => ({
    value: (r) => (Math.abs(r) <= delta ? (r * r) / 2 : delta * (Math.abs(r) - delta / 2)),
    slope: (r) => Math.min(delta, Math.max(-delta, r)),
  }),
  // log cosh r = |r| + log1p(e^{-2|r|}) − log 2 stays finite for large |r|.
  logcosh: () => ({
    value: (r) => Math.abs(r) + Math.log1p(Math.exp(-2 * Math.abs(r))) - Math.LN2,
    slope: tanh,
  }),
} as const satisfies Record<string, (delta: number) => LossFunctions>;

export type Loss = keyof typeof LOSS_TABLE;
export const LOSSES = Object.keys(LOSS_TABLE) as readonly Loss[];

/**
 * The code of each activation and loss: the value of the shaders' ACTIVATION and LOSS
 * constants, and for activations what the CPU kernel's config carries (plain data for the
 * workers, which its WebAssembly takes).
 */
export const activationCode = (a: Activation): number => ACTIVATIONS.indexOf(a);
export const lossCode = (l: Loss): number => LOSSES.indexOf(l);

/** The activation of a code from activationCode. */
export function activationOfCode(code: number): Activation {
  const name = ACTIVATIONS[code];
  if (name === undefined)
    throw new RangeError(`activation code ${code} is not one of 0 … ${ACTIVATIONS.length - 1}`);
  return name;
}

/** The WGSL name of an activation's or a loss's code: ACTIVATION_TANH, LOSS_SQUARE, … */
export const activationConstantName = (a: Activation): string => `ACTIVATION_${a.toUpperCase()}`;
export const lossConstantName = (l: Loss): string => `LOSS_${l.toUpperCase()}`;

/**
 * A named WGSL constant for every activation and loss code, for the shader header: the
 * shaders switch over these names, never over bare numbers, so they cannot drift from the
 * order of the tables above.
 */
export function modelShaderConstants(): Record<string, number> {
  return Object.fromEntries([
    ...ACTIVATIONS.map((a) => [activationConstantName(a), activationCode(a)] as const),
    ...LOSSES.map((l) => [lossConstantName(l), lossCode(l)] as const),
  ]);
}

/** φ, φ' and φ' from φ of an activation (SPEC §1). */
export function activation(name: Activation): ActivationFunctions & {
  readonly dphi: (u: number) => number;
} {
  const { phi, dphiFromPhi } = ACTIVATION_TABLE[name];
  return { phi, dphiFromPhi, dphi: (u) => dphiFromPhi(phi(u)) };
}

/** Φ and Φ' of the residual r = y − f (SPEC §1). `delta` is Huber's δ. */
export function loss(name: Loss, delta: number): LossFunctions {
  return LOSS_TABLE[name](delta);
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
