// shaders/philox.wgsl run on the GPU for a list of counters and keys. Browser-safe (no Node,
// no Vitest), so the Node tests and the browser test page share it.
import type { ShaderSources } from '../../src/gpu/shaders';
import { composeShader } from '../../src/gpu/shaders';
import { runTestKernel } from './compute-kernel';

// Counters and keys as 6 words each; outputs 4 words of Philox and 4 float32 Gaussians.
const KERNEL = `
@group(0) @binding(0) var<storage, read> cases: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let c = id.x;
  if (c >= arrayLength(&cases) / 6u) { return; }
  let counter = vec4<u32>(cases[6u * c], cases[6u * c + 1u], cases[6u * c + 2u], cases[6u * c + 3u]);
  let w = philox4x32(counter, vec2<u32>(cases[6u * c + 4u], cases[6u * c + 5u]));
  let g = gaussians_from_words(w);
  for (var t = 0u; t < 4u; t++) {
    out[8u * c + t] = w[t];
    out[8u * c + 4u + t] = bitcast<u32>(g[t]);
  }
}`;

/** Philox words and Box–Muller Gaussians of each case (6 words: counter, key), computed by the GPU. */
export async function philoxOnGpu(
  device: GPUDevice,
  shaders: ShaderSources,
  cases: readonly (readonly number[])[],
): Promise<{ words: number[][]; gaussians: number[][] }> {
  const out = await runTestKernel(
    device,
    'Philox',
    composeShader(shaders, ['philox'], {}) + KERNEL,
    new Uint32Array(cases.flat()),
    cases.length,
    8 * cases.length,
  );
  const floats = new Float32Array(out.buffer);
  return {
    words: cases.map((_, c) => Array.from(out.subarray(8 * c, 8 * c + 4))),
    gaussians: cases.map((_, c) => Array.from(floats.subarray(8 * c + 4, 8 * c + 8))),
  };
}
