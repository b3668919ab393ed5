// The resources every kernel of the engine sees (one bind group layout, src/gpu/simulation.ts).
// Sizes that fix array lengths (D, P, WG, Z_TILE_ROWS, ...) are constants prepended by the host.

// The particles may be split over several buffers ("shards", each within one binding's
// limit); a dispatch sees one shard. n, num_groups and the grid are the shard's own.
struct SimParams {
  n: u32,              // particles in this shard
  num_groups: u32,     // workgroups of a particle pass over this shard
  groups_x: u32,       // workgroups per row of the 2-D dispatch grid
  sub_chunks: u32,     // chunks of WG · LANE_PARTICLES particles each workgroup walks through
  key0: u32,           // Philox key (SPEC §3)
  key1: u32,
  partial_stride: u32, // floats per workgroup in `partials`
  first_particle: u32, // global index of the shard's first particle (Philox counters)
  tau: f32,
  inv_prior_var: f32,  // 1/s², ∇U(x) = x/s²
  huber_delta: f32,
  init_std: f32,
  first_group: u32,    // the shard's first workgroup row in `partials`
  total_n: u32,        // particles in all shards
  total_groups: u32,   // workgroups in all shards
  _pad0: u32,
}

// Per dispatch: the step and which data points the batch holds.
struct CallParams {
  k: u32,              // global step
  mode: u32,           // BATCH_MINIBATCH or BATCH_POINTS
  point_offset: u32,   // BATCH_POINTS: batch slot b is data point point_offset + b
  point_count: u32,    // batch size of this call
  data_count: u32,     // points in the bound data split (N)
  sigma: f32,          // σ_k, the noise level of step k (annealed or constant)
  _pad1: u32,
  _pad2: u32,
}

const BATCH_MINIBATCH: u32 = 0u;
const BATCH_POINTS: u32 = 1u;

@group(0) @binding(0) var<uniform> sim: SimParams;
@group(0) @binding(1) var<uniform> call: CallParams;
@group(0) @binding(2) var<storage, read_write> particles: array<f32>;   // this shard: n × D, rows [α, c]
@group(0) @binding(3) var<storage, read> data_z: array<f32>;            // N × P
@group(0) @binding(4) var<storage, read> data_y: array<f32>;            // N
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;    // per workgroup, per batch slot
@group(0) @binding(6) var<storage, read_write> weights: array<f32>;     // Φ'(y − f) per batch slot
@group(0) @binding(7) var<storage, read_write> loss_terms: array<f32>;  // Φ(y − f) per batch slot

// Data point of batch slot b at step k (SPEC §3: I_{k,b} = w0 mod N of stream 2).
fn batch_point(b: u32, k: u32) -> u32 {
  if (call.mode == BATCH_POINTS) {
    return call.point_offset + b;
  }
  let w = philox4x32(vec4<u32>(b, k, STREAM_MINIBATCH, 0u), vec2<u32>(sim.key0, sim.key1));
  return w.x % call.data_count;
}

// Workgroup index in the 2-D grid that keeps each dimension under 65,535.
fn group_index(wid: vec3<u32>) -> u32 {
  return wid.y * sim.groups_x + wid.x;
}

// First particle (index within the shard) of invocation lid in chunk `sub` of workgroup
// `group`; its particle c is that + c·WG, for c < LANE_PARTICLES.
fn particle_index(group: u32, sub: u32, lid: u32) -> u32 {
  return (group * sim.sub_chunks + sub) * WG * LANE_PARTICLES + lid;
}

// Start of workgroup `group`'s row in `partials`, which holds the rows of all shards.
fn partial_row(group: u32) -> u32 {
  return (sim.first_group + group) * sim.partial_stride;
}
