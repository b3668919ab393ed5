// The devices' multiply-add limits are the best of an honest sweep: every swept kernel is
// measured in this process, and none of their rates exceeds the limit reported. No timings
// are asserted, only how the figures relate.
import { describe, expect, it } from 'vitest';
import { openCpuLimits } from '../../src/bench/limits-cpu';
import { instantiateWasmFma, WASM_FMA_UNROLL } from '../../src/bench/limits-cpu-wasm';
import { CPU_FMA_SWEEP, cpuFmaLabel } from '../../src/bench/limits-cpu-loops';
import { openGpuLimits, type SweptKernel } from '../../src/bench/limits-gpu';
import {
  FMA_UNROLL,
  GPU_FMA_SWEEP,
  gpuFmaFlopPerTrip,
  gpuFmaKernelSource,
  gpuFmaLabel,
} from '../../src/bench/limits-gpu-fma';
import { shaders, useGpu } from '../support/gpu-harness';

const gpu = useGpu();

/** The limit is the winner's own measurement, and no kernel of the sweep measured faster. */
function expectBestOfSweep(
  limits: { gflops: { value: number }; fmaConfig: string; fmaSweep: readonly SweptKernel[] },
  configs: readonly string[],
): void {
  expect(limits.fmaSweep.map((kernel) => kernel.config)).toEqual(configs);
  for (const kernel of limits.fmaSweep) {
    expect(kernel.gflops.value, kernel.config).toBeGreaterThan(0);
    expect(limits.gflops.value, kernel.config).toBeGreaterThanOrEqual(kernel.gflops.value);
  }
  const winner = limits.fmaSweep.find((kernel) => kernel.config === limits.fmaConfig);
  expect(winner?.gflops).toEqual(limits.gflops);
}

describe('FMA limits', () => {
  it('GPU: the limit is the best of chains 4, 8, 16 × workgroups 64, 256 × fma() and a * m + c', async () => {
    const probe = await openGpuLimits(gpu(), shaders);
    try {
      const limits = await probe.measure(2);
      expect(limits.fmaSweep).toHaveLength(12);
      expectBestOfSweep(limits, GPU_FMA_SWEEP.map(gpuFmaLabel));
      expect(await probe.fmaRate()).toBeGreaterThan(0);
    } finally {
      probe.close();
    }
  });

  it('CPU: the limit is the best of scalar JavaScript and WebAssembly f64x2 and f32x4', async () => {
    const probe = await openCpuLimits(2);
    try {
      const limits = await probe.measure(2);
      const configs = CPU_FMA_SWEEP.map(cpuFmaLabel);
      expect(configs).toEqual(
        expect.arrayContaining([
          'JavaScript float64, 8 scalar chains',
          'WebAssembly f64x2, 8 chains',
          'WebAssembly f32x4, 8 chains',
        ]),
      );
      expectBestOfSweep(limits, configs);
      expect(await probe.fmaRate()).toBeGreaterThan(0);
    } finally {
      probe.close();
    }
  });
});

describe('GPU FMA kernels', () => {
  // The FLOP credited per trip are the multiply-adds written out in the loop, and the loop
  // bound is read from the uniform once (re-reading it every trip slowed SwiftShader).
  it.each(GPU_FMA_SWEEP.map((config) => ({ label: gpuFmaLabel(config), config })))(
    '$label: chains × FMA_UNROLL vec4 multiply-adds per trip, bound read once',
    ({ config }) => {
      const source = gpuFmaKernelSource(config);
      const loop = source.slice(source.indexOf('for ('), source.lastIndexOf('if ('));
      const multiplyAdds = loop.match(config.form === 'fma' ? /fma\(/g : / \* m \+ c;/g) ?? [];
      expect(multiplyAdds).toHaveLength(config.chains * FMA_UNROLL);
      expect(gpuFmaFlopPerTrip(config)).toBe(multiplyAdds.length * 4 * 2);
      expect(source).toContain('let trips = params.trips;');
      expect(source.match(/params\.trips/g)).toHaveLength(1);
    },
  );
});

describe('WebAssembly FMA kernels', () => {
  // The kernels must do the work they are credited with: their result equals the same
  // multiply-adds done in JavaScript (Math.fround for f32x4's rounding).
  it.each(CPU_FMA_SWEEP.flatMap((kernel) => (kernel.kind === 'wasm' ? [kernel] : [])))(
    '$lanes with $chains chains computes trips × 4 steps of a * m + c per chain',
    (kernel) => {
      const round = kernel.lanes === 'f32x4' ? Math.fround : (x: number) => x;
      const trips = 3;
      let expected = 0;
      for (let j = 0; j < kernel.chains; j++) {
        let a = round(1 + j / 64);
        for (let k = 0; k < trips * WASM_FMA_UNROLL; k++) a = round(round(a * 0.5) + 0.25);
        expected += a;
      }
      expect(instantiateWasmFma(kernel)(trips, 0.5, 0.25, 1)).toBe(expected);
      // No trips: the chains' starting values.
      expect(instantiateWasmFma(kernel)(0, 0.5, 0.25, 1)).toBeCloseTo(
        kernel.chains + (kernel.chains * (kernel.chains - 1)) / 2 / 64,
        6,
      );
    },
  );
});
