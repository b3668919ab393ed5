// Device limit, arithmetic: ACCUMULATORS independent chains of vec4 multiply-adds per
// invocation, no memory traffic inside the loop, so the only bound is the FMA rate.
// `scale` and `shift` come from a uniform so the compiler cannot fold the chains; values stay
// near 1 (scale just below 1, small shift), so nothing overflows or goes denormal.
// Constants from the header: WG, ITERATIONS. One invocation does 8 · ITERATIONS vec4 FMAs.
// Written a * m + c rather than fma(): GPU compilers contract it into one FMA instruction,
// while SwiftShader runs fma() as an exactly rounded emulation at about half the rate
// (1.8 against 3.3 GFLOP/s measured on 2 cores), which would understate the device.

struct FmaParams {
  scale: vec4<f32>,
  shift: vec4<f32>,
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
  var a0 = seed + 0.1;
  var a1 = seed + 0.2;
  var a2 = seed + 0.3;
  var a3 = seed + 0.4;
  var a4 = seed + 0.5;
  var a5 = seed + 0.6;
  var a6 = seed + 0.7;
  var a7 = seed + 0.8;
  for (var k = 0u; k < ITERATIONS; k++) {
    a0 = a0 * m + c;
    a1 = a1 * m + c;
    a2 = a2 * m + c;
    a3 = a3 * m + c;
    a4 = a4 * m + c;
    a5 = a5 * m + c;
    a6 = a6 * m + c;
    a7 = a7 * m + c;
  }
  // One store per invocation keeps the chains alive; sink has one vec4 per invocation.
  if (i < arrayLength(&sink)) {
    sink[i] = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  }
}
