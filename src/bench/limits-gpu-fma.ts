// The kernels of the GPU's multiply-add limit: independent vec4 chains per invocation, no
// memory traffic inside the loop, so the only bound is the FMA rate. Which form runs fastest
// depends on the adapter (SwiftShader runs fma() as an exactly rounded emulation in some
// builds, GPU compilers contract a * m + c into one instruction; more chains hide more
// latency but take more registers), so the limit is the best of a sweep over them.
// `scale`, `shift` and the loop count come from a uniform, so the compiler can neither fold
// the chains nor unroll the loop away; values stay near 1 (scale just below 1, small shift),
// so nothing overflows or goes denormal. On SwiftShader the loop itself costs: each trip
// re-reads an unhoisted bound and handles its lane mask, so the bound is read into a local
// once and each trip writes out 16 multiply-adds per chain (bench/RESULTS.md has the ratios).

export type FmaForm = 'fma' | 'mul-add';

export interface GpuFmaConfig {
  /** Independent vec4 chains per invocation. */
  readonly chains: number;
  readonly workgroupSize: number;
  /** `fma(a, m, c)` or `a * m + c`. */
  readonly form: FmaForm;
}

/** Multiply-adds of each chain per loop trip, written out (the loop count is a uniform). */
export const FMA_UNROLL = 16;
const VEC4_LANES = 4;

/** Every combination of 4, 8 and 16 chains, workgroups of 64 and 256, and both forms. */
export const GPU_FMA_SWEEP: readonly GpuFmaConfig[] = [4, 8, 16].flatMap((chains) =>
  [64, 256].flatMap((workgroupSize) =>
    (['fma', 'mul-add'] as const).map((form) => ({ chains, workgroupSize, form })),
  ),
);

/** The configuration in words, for the reports: `8 vec4 chains, workgroup 64, fma()`. */
export function gpuFmaLabel(config: GpuFmaConfig): string {
  const form = config.form === 'fma' ? 'fma()' : 'a * m + c';
  return `${config.chains} vec4 chains, workgroup ${config.workgroupSize}, ${form}`;
}

/** FLOP of one invocation's loop trip (a multiply-add is two). */
export function gpuFmaFlopPerTrip(config: GpuFmaConfig): number {
  return config.chains * FMA_UNROLL * VEC4_LANES * 2;
}

/**
 * The WGSL of one kernel: entry point `fma_chains`, binding 0 the uniform
 * `{ scale: vec4f, shift: vec4f, trips: u32 }` (48 bytes), binding 1 a storage sink of one
 * vec4 per invocation, which keeps the chains alive. Constant from the header: WG.
 */
export function gpuFmaKernelSource(config: GpuFmaConfig): string {
  const chains = Array.from({ length: config.chains }, (_, j) => j);
  const step = (j: number): string =>
    config.form === 'fma' ? `    a${j} = fma(a${j}, m, c);` : `    a${j} = a${j} * m + c;`;
  const body = Array.from({ length: FMA_UNROLL }, () => chains.map(step)).flat();
  // A pairwise sum, so the store does not add a long serial chain.
  let terms = chains.map((j) => `a${j}`);
  while (terms.length > 1) {
    const next: string[] = [];
    for (let k = 0; k < terms.length; k += 2) next.push(`(${terms[k]} + ${terms[k + 1]})`);
    terms = next;
  }
  return `
struct FmaParams {
  scale: vec4<f32>,
  shift: vec4<f32>,
  trips: u32,
}

@group(0) @binding(0) var<uniform> params: FmaParams;
@group(0) @binding(1) var<storage, read_write> sink: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn fma_chains(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let i = gid.y * groups.x * WG + gid.x;
  let seed = vec4<f32>(f32(i & 1023u)) * 1e-4;
  let m = params.scale;
  let c = params.shift;
${chains.map((j) => `  var a${j} = seed + ${((j + 1) / (config.chains + 1)).toFixed(4)};`).join('\n')}
  let trips = params.trips;
  for (var k = 0u; k < trips; k++) {
${body.join('\n')}
  }
  if (i < arrayLength(&sink)) {
    sink[i] = ${terms[0]};
  }
}
`;
}
