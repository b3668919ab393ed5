// shaders/activation.wgsl and loss.wgsl against the model of src/contract/model.ts at a few
// points, kinks included: the same φ, φ′, Φ and Φ′, and the shaders' ACTIVATION and LOSS
// codes, named by the constants the host emits from model.ts's tables, picking the function
// of that name.
import { describe, expect, it } from 'vitest';
import {
  ACTIVATIONS,
  LOSSES,
  activation,
  activationCode,
  loss,
  lossCode,
  modelShaderConstants,
} from '../../src/contract/model';
import { composeShader } from '../../src/gpu/shaders';
import { shaders, useGpu } from '../support/gpu-harness';
import { runTestKernel } from '../support/compute-kernel';

const gpu = useGpu();

// Each case is (x, δ); out: φ(x), φ′(x), Φ(x; δ), Φ′(x; δ). PV is the particle vector type of
// activation.wgsl, a plain f32 here.
const KERNEL = `
alias PV = f32;
@group(0) @binding(0) var<storage, read> cases: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let c = id.x;
  if (c >= arrayLength(&cases) / 2u) { return; }
  let x = cases[2u * c];
  let delta = cases[2u * c + 1u];
  out[4u * c] = phi(x);
  out[4u * c + 1u] = dphi_from_phi(phi(x));
  out[4u * c + 2u] = loss_value(x, delta);
  out[4u * c + 3u] = loss_slope(x, delta);
}`;

/** Float32 points, the kinks 0 and ±δ among them, and large |x| where tanh and exp saturate. */
const POINTS = [-40, -9, -2.5, -1, -0.7, -0.3, 0, 1e-3, 0.3, 0.7, 1, 1.6, 4, 9, 40].map(
  Math.fround,
);
const DELTAS = [0.7, 1, 1.6].map(Math.fround);

/** Float32 arithmetic and the drivers' exp and tanh: a few ulps, relative to max(1, |value|). */
const TOLERANCE = 2e-6;

describe('the shaders’ model functions', () => {
  // The i-th activation and the i-th loss share one kernel, so that a few kernels cover both
  // lists (the shorter list starts over).
  const kernels = Math.max(ACTIVATIONS.length, LOSSES.length);
  const pairs = Array.from(
    { length: kernels },
    (_, i) => [ACTIVATIONS[i % ACTIVATIONS.length]!, LOSSES[i % LOSSES.length]!] as const,
  );
  it.each(pairs)(
    'φ, φ′ of %s and Φ, Φ′ of %s match src/contract/model.ts',
    async (activationName, lossName) => {
      const code =
        composeShader(shaders, ['activation', 'loss'], {
          ACTIVATION: activationCode(activationName),
          LOSS: lossCode(lossName),
          ...modelShaderConstants(),
        }) + KERNEL;
      const cases = DELTAS.flatMap((delta) => POINTS.map((x) => [x, delta] as const));
      const words = await runTestKernel(
        gpu().device,
        'model',
        code,
        new Float32Array(cases.flat()),
        cases.length,
        4 * cases.length,
      );
      const got = new Float32Array(words.buffer);
      const { phi, dphi } = activation(activationName);
      const mismatches: string[] = [];
      cases.forEach(([x, delta], c) => {
        const { value, slope } = loss(lossName, delta);
        const expected = [phi(x), dphi(x), value(x), slope(x)];
        ['φ', 'φ′', 'Φ', 'Φ′'].forEach((label, k) => {
          const [gpuValue, cpuValue] = [got[4 * c + k]!, expected[k]!];
          if (!(Math.abs(gpuValue - cpuValue) <= TOLERANCE * Math.max(1, Math.abs(cpuValue))))
            mismatches.push(`${label}(${x}; δ = ${delta}): GPU ${gpuValue}, CPU ${cpuValue}`);
        });
      });
      expect(mismatches).toEqual([]);
    },
  );
});
