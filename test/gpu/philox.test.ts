import { describe, expect, it } from 'vitest';
import { gaussiansFromWords, philox4x32 } from '../../src/contract/philox';
import { shaders, useGpu } from '../support/gpu-harness';
import { philoxOnGpu } from '../support/philox-kernel';

const gpu = useGpu();

const philox = (cases: number[][]) => philoxOnGpu(gpu().device, shaders, cases);

const hex = (words: number[]) => words.map((w) => w.toString(16).padStart(8, '0')).join(' ');

describe('Philox4x32-10 in WGSL', () => {
  it('gives SPEC §3 known answers', async () => {
    const { words } = await philox([
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
    const { words, gaussians } = await philox(cases);
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
