// The WebGPU engine's planning, kernel records and uniform layouts, without a device.
import { globals } from 'webgpu';
import { describe, expect, it } from 'vitest';
import { DeviceLimitError } from '../../src/contract/simulation';
import {
  ENGINE_KERNELS,
  ENGINE_MODULES,
  composeEngineModule,
  type KernelShape,
} from '../../src/gpu/kernels';
import {
  FLOAT_BYTES,
  WG,
  combineShardMoments,
  planLayout,
  planShards,
  zTileRowsFor,
  type Layout,
} from '../../src/gpu/plan';
import { CallSlots, engineUniforms, simParamsBytes, type SimParams } from '../../src/gpu/uniforms';
import { shaders } from '../support/gpu-harness';

// webgpu-utils reads GPUShaderStage, a global wherever a device exists.
Object.assign(globalThis, globals);

/** WebGPU's default limits, which every adapter offers. */
const LIMITS = { maxComputeWorkgroupStorageSize: 16384, maxComputeWorkgroupsPerDimension: 65535 };

describe('planLayout', () => {
  it.each([
    { n: 1000, p: 4, bufferBytes: 2 ** 27, lanes: 4, groupChunks: 1 },
    { n: 3000, p: 40, bufferBytes: 100_000, lanes: 2, groupChunks: 16 },
    { n: 70_000, p: 16, bufferBytes: 1 << 20, lanes: 1, groupChunks: 3 },
    { n: 5, p: 2, bufferBytes: 40, lanes: 4, groupChunks: 16 },
  ] as const)(
    'n = $n, p = $p in buffers of $bufferBytes bytes: shards cover every particle once',
    ({ n, p, bufferBytes, lanes, groupChunks }) => {
      const layout = planLayout(n, p, 32, LIMITS, bufferBytes, null, lanes, groupChunks);
      const span = WG * lanes * layout.subChunks;
      let next = 0;
      let groups = 0;
      for (const shard of layout.shards) {
        expect(shard.first).toBe(next);
        expect(shard.firstGroup).toBe(groups);
        expect(shard.count * (p + 1) * FLOAT_BYTES).toBeLessThanOrEqual(bufferBytes);
        expect(shard.numGroups).toBe(Math.ceil(shard.count / span));
        expect(shard.gridX * shard.gridY).toBeGreaterThanOrEqual(shard.numGroups);
        // Every shard but the last holds whole workgroups, so partial sums stay per buffer.
        if (shard !== layout.shards.at(-1) && shard.count >= span)
          expect(shard.count % span).toBe(0);
        next += shard.count;
        groups += shard.numGroups;
      }
      expect(next).toBe(n);
      expect(layout.totalGroups).toBe(groups);
    },
  );

  it('refuses a shard that needs more workgroups than a 2-D grid holds', () => {
    const sizes = { subChunks: 1, maxPerDimension: 4, laneParticles: 1 } as const;
    expect(() => planShards(WG * 17, sizes, WG * 17)).toThrow(DeviceLimitError);
    expect(planShards(WG * 16, sizes, WG * 16)[0]).toMatchObject({ gridX: 4, gridY: 4 });
  });
});

describe('zTileRowsFor', () => {
  it.each([
    { p: 4, subgroupMin: null, rows: 64 },
    { p: 4, subgroupMin: 4, rows: 64 },
    // 4096 floats; rows of 4·64 + 2 floats after a 64 × 17 table and 2·64 floats: 2880 / 258.
    { p: 255, subgroupMin: null, rows: 11 },
    // No table; rows of 4·64 + 2 + 64/32 floats: 3968 / 260.
    { p: 255, subgroupMin: 32, rows: 15 },
  ])('p = $p, subgroups of $subgroupMin: $rows rows', ({ p, subgroupMin, rows }) => {
    expect(zTileRowsFor(p, LIMITS, subgroupMin)).toBe(rows);
  });

  it('refuses an input dimension whose row does not fit workgroup memory', () => {
    expect(() => zTileRowsFor(4000, LIMITS, null)).toThrow(/p = 4000 does not fit/);
  });
});

describe('combineShardMoments', () => {
  it("gives the mean and variance of particles summed per workgroup about each shard's first", () => {
    const d = 3;
    const n = 700;
    const x = Float64Array.from(
      { length: n * d },
      (_, i) => 100 + Math.sin(i * 0.37) * (1 + (i % d)),
    );
    const layout: Layout = planLayout(n, d - 1, 8, LIMITS, 300 * d * FLOAT_BYTES, null, 1, 1);
    expect(layout.shards.length).toBeGreaterThan(1);
    // What the moments kernel and the copies after it leave in the staging buffer.
    const values = new Float32Array(layout.totalGroups * 2 * d + layout.shards.length * d);
    const span = WG * layout.laneParticles * layout.subChunks;
    layout.shards.forEach((shard, s) => {
      for (let j = 0; j < d; j++)
        values[layout.totalGroups * 2 * d + s * d + j] = x[shard.first * d + j]!;
      for (let i = 0; i < shard.count; i++) {
        const row = (shard.firstGroup + Math.floor(i / span)) * 2 * d;
        for (let j = 0; j < d; j++) {
          const centred = x[(shard.first + i) * d + j]! - x[shard.first * d + j]!;
          values[row + j]! += centred;
          values[row + d + j]! += centred * centred;
        }
      }
    });
    const { mean, var: variance } = combineShardMoments(values, layout.shards, d, n);
    for (let j = 0; j < d; j++) {
      let sum = 0;
      let sumSq = 0;
      for (let i = 0; i < n; i++) sum += x[i * d + j]!;
      const exactMean = sum / n;
      for (let i = 0; i < n; i++) sumSq += (x[i * d + j]! - exactMean) ** 2;
      expect(mean[j]).toBeCloseTo(exactMean, 3);
      expect(variance[j]).toBeCloseTo(sumSq / n, 3);
    }
  });
});

describe('engine kernels', () => {
  const shape: KernelShape = {
    d: 6,
    laneParticles: 4,
    subgroupMin: 4,
    zTileRows: 64,
    phiCacheRows: null,
    quadLanes: null,
    activation: 'relu',
    loss: 'huber',
  };

  it.each(Object.entries(ENGINE_KERNELS))('%s: its entry point is in its module', (_, kernel) => {
    const code = composeEngineModule(shaders, kernel.module, shape);
    expect(code).toMatch(new RegExp(`@compute[^]*?fn ${kernel.entryPoint}\\(`));
  });

  it.each(Object.keys(ENGINE_MODULES) as (keyof typeof ENGINE_MODULES)[])(
    '%s: constants first, then its pieces in their declared order',
    (name) => {
      const code = composeEngineModule(shaders, name, shape);
      const pieces = ENGINE_MODULES[name].pieces(shape);
      const positions = pieces.map((piece) => code.indexOf(`// ---- ${piece}.wgsl`));
      expect(positions.every((at) => at > code.indexOf('const LOSS: u32 = 1u;'))).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    },
  );

  it('enables subgroups in the particle module only where the reduction uses them', () => {
    expect(composeEngineModule(shaders, 'particles', shape)).toMatch(/^enable subgroups;/);
    const workgroup = composeEngineModule(shaders, 'particles', { ...shape, subgroupMin: null });
    expect(workgroup).not.toMatch(/enable subgroups/);
    expect(workgroup).toContain('// ---- accumulate-workgroup.wgsl');
  });
});

describe('engine uniforms', () => {
  const uniforms = engineUniforms(shaders);
  const params: SimParams = {
    n: 1,
    num_groups: 2,
    groups_x: 3,
    sub_chunks: 4,
    key0: 5,
    key1: 6,
    partial_stride: 7,
    first_particle: 8,
    tau: 0.5,
    inv_prior_var: 0.25,
    huber_delta: 2,
    init_std: 3,
    first_group: 13,
    total_n: 14,
    total_groups: 15,
  };

  it('lays SimParams out as bindings.wgsl declares it', () => {
    const bytes = simParamsBytes(uniforms, params);
    expect(bytes.byteLength).toBe(64);
    expect(Array.from(new Uint32Array(bytes, 0, 8))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(new Float32Array(bytes, 32, 4))).toEqual([0.5, 0.25, 2, 3]);
    expect(Array.from(new Uint32Array(bytes, 48, 4))).toEqual([13, 14, 15, 0]);
  });

  it('refuses values that miss a field of the WGSL struct', () => {
    const { total_groups: _, ...missing } = params;
    expect(() => simParamsBytes(uniforms, missing as SimParams)).toThrow(
      /SimParams does not match bindings.wgsl: missing \[total_groups\]/,
    );
  });

  it('writes each call slot at its own offset', () => {
    const slots = new CallSlots(uniforms, 3, 256);
    slots.set(2, { k: 9, mode: 1, point_offset: 2, point_count: 3, data_count: 4, sigma: 0.5 });
    const base = (2 * 256) / 4;
    expect(Array.from(slots.words.subarray(base, base + 5))).toEqual([9, 1, 2, 3, 4]);
    expect(new Float32Array(slots.bytes, 2 * 256 + 20, 1)[0]).toBe(0.5);
    expect(slots.words.subarray(0, base).every((word) => word === 0)).toBe(true);
  });
});
