// The engine's kernels: for each, the shader module it lives in and its entry point; for
// each module, the WGSL pieces it concatenates (in this order, the one place it is declared)
// and the constants put before them. createGpuSimulation builds its pipelines from these, and
// `npm run wgsl` prints a module as the engine compiles it.
import {
  activationCode,
  lossCode,
  modelShaderConstants,
  type Activation,
  type Loss,
} from '../contract/model';
import { particleRowCode, type LaneParticles } from './particle-rows';
import { SUM_ROWS, WG, zQuads } from './plan';
import { composeShader, type ShaderConstants, type ShaderSources } from './shaders';

/** What the composed WGSL depends on: the run's d and model, and the layout's sizes. */
export interface KernelShape {
  readonly d: number;
  readonly laneParticles: LaneParticles;
  /** The smallest subgroup the step's reduction adds over, or null for workgroup memory alone. */
  readonly subgroupMin: number | null;
  /** Data points in a workgroup's tile (Layout.zTileRows). */
  readonly zTileRows: number;
  /** B where the step keeps φ(α·z) for the next step (Layout.phiCache), else null. */
  readonly phiCacheRows: number | null;
  /** Layout.quadLanes. */
  readonly quadLanes: number | null;
  readonly activation: Activation;
  readonly loss: Loss;
}

interface ModuleRecord {
  /** shaders/*.wgsl names (and the generated 'particle-rows'), concatenated in this order. */
  readonly pieces: (shape: KernelShape) => readonly string[];
  /** WGSL extensions the module enables. */
  readonly enables: (shape: KernelShape) => readonly string[];
}

const usesSubgroups = (shape: KernelShape): boolean => shape.subgroupMin !== null;

export const ENGINE_MODULES = {
  /** Per particle: x⁰, the network outputs of a batch, and the step itself. */
  particles: {
    pieces: (shape) => [
      'philox',
      'activation',
      'bindings',
      usesSubgroups(shape) ? 'accumulate-subgroup' : 'accumulate-workgroup',
      'particle-rows',
      'particles',
    ],
    enables: (shape) => (usesSubgroups(shape) ? ['subgroups'] : []),
  },
  /** Per batch slot: sums the workgroups' partial outputs into f, Φ and Φ′. */
  reduce: {
    pieces: () => ['philox', 'loss', 'bindings', 'workgroup-sum', 'reduce'],
    enables: () => [],
  },
  /** Per workgroup: sums and squares of the coordinates, for the moments. */
  moments: {
    pieces: () => ['philox', 'bindings', 'workgroup-sum', 'moments'],
    enables: () => [],
  },
} as const satisfies Record<string, ModuleRecord>;

export type EngineModule = keyof typeof ENGINE_MODULES;

export const ENGINE_KERNELS = {
  init: { module: 'particles', entryPoint: 'init_particles' },
  forward: { module: 'particles', entryPoint: 'forward' },
  step: { module: 'particles', entryPoint: 'step' },
  reduce: { module: 'reduce', entryPoint: 'reduce_outputs' },
  moments: { module: 'moments', entryPoint: 'moments' },
} as const satisfies Record<string, { module: EngineModule; entryPoint: string }>;

export type EngineKernel = keyof typeof ENGINE_KERNELS;

/** The constants every engine module starts with. */
export function engineConstants(shape: KernelShape): ShaderConstants {
  const p = shape.d - 1;
  return {
    D: shape.d,
    P: p,
    WG,
    SUM_ROWS,
    SUBGROUP_MIN: shape.subgroupMin ?? 1,
    Z_TILE_ROWS: shape.zTileRows,
    Z_QUADS: zQuads(p),
    LANE_PARTICLES: shape.laneParticles,
    PHI_CACHE: shape.phiCacheRows === null ? 0 : 1,
    CACHE_ROWS: shape.phiCacheRows ?? 1,
    // The named codes that activation.wgsl and loss.wgsl switch over, then the run's choice.
    ...modelShaderConstants(),
    ACTIVATION: activationCode(shape.activation),
    LOSS: lossCode(shape.loss),
  };
}

/** The WGSL of engine module `name` for `shape`. */
export function composeEngineModule(
  sources: ShaderSources,
  name: EngineModule,
  shape: KernelShape,
): string {
  const record: ModuleRecord = ENGINE_MODULES[name];
  const rows = particleRowCode(shape.d, shape.laneParticles, shape.quadLanes);
  const withRows = { ...sources, 'particle-rows': rows };
  return composeShader(
    withRows,
    record.pieces(shape),
    engineConstants(shape),
    record.enables(shape),
  );
}

/** The one bind group layout of every engine kernel: the resources of bindings.wgsl. */
export function engineBindings(): GPUBindGroupLayoutEntry[] {
  const types: GPUBufferBindingType[] = [
    'uniform', // sim
    'uniform', // call: one slot per call, at a dynamic offset
    'storage', // particles
    'read-only-storage', // data_z
    'read-only-storage', // data_y
    'storage', // partials
    'storage', // weights
    'storage', // loss_terms
    'storage', // phi_cache (particles.wgsl): one per shard, or a placeholder
  ];
  return types.map((type, binding) => ({
    binding,
    visibility: GPUShaderStage.COMPUTE,
    buffer: { type, hasDynamicOffset: binding === 1 },
  }));
}

/**
 * A pipeline for every engine kernel, each module compiled once. Validation errors surface
 * in the caller's error scope.
 */
export function createEnginePipelines(
  device: GPUDevice,
  bindGroupLayout: GPUBindGroupLayout,
  sources: ShaderSources,
  shape: KernelShape,
): Record<EngineKernel, GPUComputePipeline> {
  const layout = device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
  const modules = new Map(
    (Object.keys(ENGINE_MODULES) as EngineModule[]).map((name) => {
      const code = composeEngineModule(sources, name, shape);
      return [name, device.createShaderModule({ label: name, code })] as const;
    }),
  );
  const pipeline = (kernel: EngineKernel): GPUComputePipeline => {
    const { module, entryPoint } = ENGINE_KERNELS[kernel];
    return device.createComputePipeline({
      label: entryPoint,
      layout,
      compute: { module: modules.get(module)!, entryPoint },
    });
  };
  return {
    init: pipeline('init'),
    forward: pipeline('forward'),
    step: pipeline('step'),
    reduce: pipeline('reduce'),
    moments: pipeline('moments'),
  };
}
