// The stationary law m* of SPEC §4 for particles of d = 2, x = (α, c) (one input, no bias
// feature), full batch: the minimiser of V = F + (σ²/2) KL(m ‖ g), solved on a grid.
//
// m* is the fixed point of m ∝ g · exp(−(2/σ²) δF/δm(m, ·)), with
// δF/δm(m, (α, c)) = −c · A(α), A(α) = (1/N) Σ_b Φ'(y_b − f_m(z_b)) φ(α z_b).
// The iteration is entropic mirror descent on V, damped in log space:
//   log m ← (1 − η) log m + η (log g + (2/σ²) c A_m(α)),  then normalised,
// which is a mirror step of size 2η/σ² on V. It converges for a small enough η (V is convex
// in m for a convex loss, and strongly convex relative to the entropy); the residual is the
// total variation ‖Γ(m) − m‖₁ between m and its undamped image Γ(m).
//
// Everything is separable in α and c: f_m(z_b) = Σ_i φ(α_i z_b) Σ_j c_j m_ij, so an iteration
// costs O(G·N + G²) on a G × G grid with N training points, not O(G²·N).
import type { RunConfig } from './config';
import type { Activation, Loss } from './model';
import { activation as activationOf, loss as lossOf } from './model';
import type { Problem } from './simulation';

export interface StationaryOptions {
  readonly sigma: number;
  readonly priorStd: number;
  readonly activation: Activation;
  readonly loss: Loss;
  readonly huberDelta: number;
  /** Grid points per axis (α and c alike). */
  readonly gridPoints: number;
  /** Both axes cover [−extent, extent]. */
  readonly extent: number;
  /** η in (0, 1]: the share of the new log-density taken at each iteration. */
  readonly damping: number;
  /** Stop when the residual ‖Γ(m) − m‖₁ is below this. */
  readonly tolerance: number;
  readonly maxIterations: number;
}

export const STATIONARY_DEFAULTS = {
  gridPoints: 201,
  /** In units of the prior's standard deviation s. */
  extentInPriorStd: 8,
  damping: 0.5,
  tolerance: 1e-9,
  maxIterations: 20000,
} as const;

/** The solver's options for the problem of `config`, with the defaults for the rest. */
export function stationaryOptionsOf(
  config: RunConfig,
  overrides: Partial<StationaryOptions> = {},
): StationaryOptions {
  const d = STATIONARY_DEFAULTS;
  return {
    sigma: config.sigma,
    priorStd: config.priorStd,
    activation: config.activation,
    loss: config.loss,
    huberDelta: config.huberDelta,
    gridPoints: d.gridPoints,
    extent: d.extentInPriorStd * config.priorStd,
    damping: d.damping,
    tolerance: d.tolerance,
    maxIterations: d.maxIterations,
    ...overrides,
  };
}

/**
 * Mass allowed in the outer band of the grid (|α| or |c| beyond EDGE_BAND · extent): more
 * means the law is cut off by the grid and its moments are not to be trusted.
 */
export const EDGE_MASS_LIMIT = 1e-6;
export const EDGE_BAND = 0.9;

export interface StationaryLaw {
  /** Grid coordinates of both axes: axis[k] = −extent + k · spacing, k = 0 … gridPoints − 1. */
  readonly axis: Float64Array;
  readonly spacing: number;
  /**
   * m* on the grid, row-major gridPoints × gridPoints: density[i · G + j] at (α_i, c_j),
   * normalised so that Σ density · spacing² = 1.
   */
  readonly density: Float64Array;
  /** f*(z_b) at each training point. */
  readonly outputs: Float64Array;
  /** F(m*) on the training set. */
  readonly trainLoss: number;
  /** KL(m* ‖ g), the discrete sum over the grid against g normalised on it. */
  readonly relativeEntropy: number;
  /** V(m*) = F(m*) + (σ²/2) KL(m* ‖ g). */
  readonly freeEnergy: number;
  /** Per coordinate (α, c), as mfld run's final moments. */
  readonly mean: readonly [number, number];
  readonly var: readonly [number, number];
  /** E[(α − ᾱ)(c − c̄)]. */
  readonly covariance: number;
  readonly iterations: number;
  /** ‖Γ(m) − m‖₁ at the end. */
  readonly residual: number;
  /** Mass in the grid's outer band (see EDGE_MASS_LIMIT). */
  readonly edgeMass: number;
}

/** The solver could not give m*: `kind` says why (the message says what to change). */
export class StationaryError extends Error {
  override readonly name = 'StationaryError';
  constructor(
    readonly kind: 'not-converged' | 'edge' | 'not-finite',
    message: string,
  ) {
    super(message);
  }
}

/** The model f of a law on the grid at every training point, into `out`. */
function outputsOf(
  weightedC: Float64Array,
  features: Float64Array,
  gridPoints: number,
  count: number,
  out: Float64Array,
): void {
  out.fill(0);
  for (let i = 0; i < gridPoints; i++) {
    const w = weightedC[i]!;
    if (w === 0) continue;
    const row = i * count;
    for (let b = 0; b < count; b++) out[b]! += w * features[row + b]!;
  }
}

/**
 * Solves for m* of `problem` (p = 1: one input, no bias feature) under `options`. Throws a
 * StationaryError when the iteration does not converge within maxIterations, or when the
 * law's mass reaches the edge of the grid.
 */
export function solveStationary(problem: Problem, options: StationaryOptions): StationaryLaw {
  if (problem.p !== 1) {
    throw new Error(`solveStationary needs particles of d = 2 (p = 1), got p = ${problem.p}`);
  }
  const { sigma, priorStd, gridPoints: G, extent, damping, tolerance, maxIterations } = options;
  const { phi } = activationOf(options.activation);
  const { value: lossValue, slope: lossSlope } = lossOf(options.loss, options.huberDelta);
  const { z, y, count: N } = problem.train;

  const spacing = (2 * extent) / (G - 1);
  const axis = Float64Array.from({ length: G }, (_, k) => -extent + k * spacing);
  const features = new Float64Array(G * N);
  for (let i = 0; i < G; i++) {
    for (let b = 0; b < N; b++) features[i * N + b] = phi(axis[i]! * z[b]!);
  }
  // log g up to its constant, which the normalisation removes.
  const logPrior = new Float64Array(G * G);
  for (let i = 0; i < G; i++) {
    for (let j = 0; j < G; j++) {
      logPrior[i * G + j] = -(axis[i]! ** 2 + axis[j]! ** 2) / (2 * priorStd * priorStd);
    }
  }

  /**
   * Probabilities p_ij = m_ij · spacing² from a log-density, by a stable softmax; returns the
   * log of the normaliser (log p = logDensity − it).
   */
  const normalise = (logDensity: Float64Array, out: Float64Array): number => {
    let top = -Infinity;
    for (const v of logDensity) if (v > top) top = v;
    let sum = 0;
    for (let k = 0; k < out.length; k++) {
      const e = Math.exp(logDensity[k]! - top);
      out[k] = e;
      sum += e;
    }
    for (let k = 0; k < out.length; k++) out[k]! /= sum;
    return top + Math.log(sum);
  };

  const weightedC = new Float64Array(G);
  const outputs = new Float64Array(N);
  const drive = new Float64Array(G);
  /** f_p at the training points, and A(α_i) into `drive`; returns F(p). */
  const evaluate = (probabilities: Float64Array): number => {
    for (let i = 0; i < G; i++) {
      let sum = 0;
      for (let j = 0; j < G; j++) sum += probabilities[i * G + j]! * axis[j]!;
      weightedC[i] = sum;
    }
    outputsOf(weightedC, features, G, N, outputs);
    let loss = 0;
    drive.fill(0);
    const slopes = new Float64Array(N);
    for (let b = 0; b < N; b++) {
      const r = y[b]! - outputs[b]!;
      loss += lossValue(r);
      slopes[b] = lossSlope(r) / N;
    }
    for (let i = 0; i < G; i++) {
      let sum = 0;
      for (let b = 0; b < N; b++) sum += slopes[b]! * features[i * N + b]!;
      drive[i] = sum;
    }
    return N > 0 ? loss / N : 0;
  };

  const priorProbabilities = new Float64Array(G * G);
  const logPriorNormaliser = normalise(logPrior, priorProbabilities);
  const halfSigma2 = (sigma * sigma) / 2;
  /** KL(p ‖ g on the grid) of p = softmax(logDensity), whose log normaliser is `logNormaliser`. */
  const relativeEntropyOf = (
    probabilities: Float64Array,
    logDensity: Float64Array,
    logNormaliser: number,
  ): number => {
    let sum = 0;
    for (let k = 0; k < G * G; k++) sum += probabilities[k]! * (logDensity[k]! - logPrior[k]!);
    return sum - logNormaliser + logPriorNormaliser;
  };

  const coupling = 2 / (sigma * sigma);
  let logDensity = Float64Array.from(logPrior);
  let probabilities = Float64Array.from(priorProbabilities);
  let relativeEntropy = 0;
  let energy = evaluate(probabilities);
  let candidateLog = new Float64Array(G * G);
  let candidate = new Float64Array(G * G);
  const target = new Float64Array(G * G);
  const targetProbabilities = new Float64Array(G * G);
  let step = damping;
  let residual: number;
  let iterations = 0;
  for (;;) {
    // `drive` holds A of the current law here.
    for (let i = 0; i < G; i++) {
      const a = coupling * drive[i]!;
      for (let j = 0; j < G; j++) target[i * G + j] = logPrior[i * G + j]! + a * axis[j]!;
    }
    normalise(target, targetProbabilities);
    residual = 0;
    for (let k = 0; k < G * G; k++) {
      residual += Math.abs(targetProbabilities[k]! - probabilities[k]!);
    }
    if (!Number.isFinite(residual)) {
      throw new StationaryError(
        'not-finite',
        `the iteration gave a non-finite density after ${iterations} iterations; ` +
          'try a smaller --damping or a smaller --grid-extent',
      );
    }
    if (residual < tolerance) break;
    if (iterations >= maxIterations) {
      throw new StationaryError(
        'not-converged',
        `no convergence in ${maxIterations} iterations (--max-iterations): the residual ` +
          `‖Γ(m) − m‖₁ is ${residual.toExponential(2)}, above --tolerance ${tolerance} ` +
          `(the step fell from --damping ${damping} to ${step.toExponential(2)}); ` +
          'give more --max-iterations or a larger --tolerance',
      );
    }
    iterations++;
    for (let k = 0; k < G * G; k++) {
      candidateLog[k] = (1 - step) * logDensity[k]! + step * target[k]!;
    }
    const candidateNormaliser = normalise(candidateLog, candidate);
    const candidateEntropy = relativeEntropyOf(candidate, candidateLog, candidateNormaliser);
    const candidateEnergy = evaluate(candidate) + halfSigma2 * candidateEntropy;
    // A mirror step small enough decreases V; a larger one is halved and tried again.
    if (candidateEnergy > energy + 1e-13 * (Math.abs(energy) + 1)) {
      step /= 2;
      evaluate(probabilities);
      continue;
    }
    [logDensity, candidateLog] = [candidateLog, logDensity];
    [probabilities, candidate] = [candidate, probabilities];
    energy = candidateEnergy;
    relativeEntropy = candidateEntropy;
  }

  const trainLoss = evaluate(probabilities);
  let meanA = 0;
  let meanC = 0;
  let edgeMass = 0;
  const band = EDGE_BAND * extent;
  for (let i = 0; i < G; i++) {
    for (let j = 0; j < G; j++) {
      const p = probabilities[i * G + j]!;
      meanA += p * axis[i]!;
      meanC += p * axis[j]!;
      if (Math.abs(axis[i]!) > band || Math.abs(axis[j]!) > band) edgeMass += p;
    }
  }
  let varA = 0;
  let varC = 0;
  let covariance = 0;
  for (let i = 0; i < G; i++) {
    for (let j = 0; j < G; j++) {
      const p = probabilities[i * G + j]!;
      const da = axis[i]! - meanA;
      const dc = axis[j]! - meanC;
      varA += p * da * da;
      varC += p * dc * dc;
      covariance += p * da * dc;
    }
  }
  if (edgeMass > EDGE_MASS_LIMIT) {
    throw new StationaryError(
      'edge',
      `the law reaches the edge of the grid: a mass of ${edgeMass.toExponential(2)} lies ` +
        `beyond ${EDGE_BAND} × --grid-extent ${extent} (at most ${EDGE_MASS_LIMIT} is ` +
        'allowed); give a larger --grid-extent',
    );
  }
  const density = Float64Array.from(probabilities, (p) => p / (spacing * spacing));
  return {
    axis,
    spacing,
    density,
    outputs: Float64Array.from(outputs),
    trainLoss,
    relativeEntropy,
    freeEnergy: trainLoss + (relativeEntropy * sigma * sigma) / 2,
    mean: [meanA, meanC],
    var: [varA, varC],
    covariance,
    iterations,
    residual,
    edgeMass,
  };
}

/** f*(z) at the points of a split (one input each) under the law `law` solved for `options`. */
export function stationaryOutputs(
  law: StationaryLaw,
  z: ArrayLike<number>,
  count: number,
  activation: Activation,
): Float64Array {
  const { phi } = activationOf(activation);
  const G = law.axis.length;
  const h2 = law.spacing * law.spacing;
  const out = new Float64Array(count);
  for (let i = 0; i < G; i++) {
    let weightedC = 0;
    for (let j = 0; j < G; j++) weightedC += law.density[i * G + j]! * h2 * law.axis[j]!;
    if (weightedC === 0) continue;
    for (let b = 0; b < count; b++) out[b]! += weightedC * phi(law.axis[i]! * z[b]!);
  }
  return out;
}
