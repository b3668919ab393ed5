import { describe, expect, it } from 'vitest';
import { gaussiansFromWords, philox4x32 } from '../src/contract/philox';
import { runTestKernel, useGpu } from './gpu-harness';

const gpu = useGpu();

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

async function philoxOnGpu(
  cases: number[][],
): Promise<{ words: number[][]; gaussians: number[][] }> {
  const out = await runTestKernel(
    gpu(),
    ['philox'],
    KERNEL,
    new Uint32Array(cases.flat()),
    8 * cases.length,
    cases.length,
  );
  const floats = new Float32Array(out.buffer);
  return {
    words: cases.map((_, c) => Array.from(out.subarray(8 * c, 8 * c + 4))),
    gaussians: cases.map((_, c) => Array.from(floats.subarray(8 * c + 4, 8 * c + 8))),
  };
}

const hex = (words: number[]) => words.map((w) => w.toString(16).padStart(8, '0')).join(' ');

describe('Philox4x32-10 in WGSL', () => {
  it('gives SPEC §3 known answers', async () => {
    const { words } = await philoxOnGpu([
      [0, 0, 0, 0, 0, 0],
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0],
    ]);
    expect(words.map(hex)).toEqual([
      '6627e8d5 e169c58d bc57ac4c 9b00dbd8',
      '408f276d 41c83b0e a20bc7c6 6d5451fd',
      'd16cfe09 94fdcceb 5001e420 24126ea1',
    ]);
  });

  it('matches the CPU twin bit for bit, and its Gaussians within 1e-5, on many counters', async () => {
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
    const cases = Array.from({ length: 4096 }, (_, c) =>
      c < 2048
        ? [c, c >> 3, c % 3, c >> 9, 7, 0]
        : [next(), next(), next(), next(), next(), next()],
    );
    const { words, gaussians } = await philoxOnGpu(cases);
    const cpuWords = new Uint32Array(4);
    const cpuGauss = new Float64Array(4);
    let worst = 0;
    for (let c = 0; c < cases.length; c++) {
      const [c0, c1, c2, c3, k0, k1] = cases[c]!;
      philox4x32(c0!, c1!, c2!, c3!, k0!, k1!, cpuWords);
      expect(words[c]).toEqual(Array.from(cpuWords));
      gaussiansFromWords(cpuWords, cpuGauss);
      for (let t = 0; t < 4; t++)
        worst = Math.max(worst, Math.abs(gaussians[c]![t]! - cpuGauss[t]!));
    }
    expect(worst).toBeLessThan(1e-5);
  });
});
