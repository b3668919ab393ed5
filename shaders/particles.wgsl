// Passes over the particles (SPEC §2). A workgroup owns sim.sub_chunks chunks of
// WG · LANE_PARTICLES particles; each invocation holds LANE_PARTICLES particles in
// registers, as the components of PV (its first, then one every WG). The data points of a
// batch are staged through workgroup memory in tiles of Z_TILE_ROWS rows. accumulate_outputs
// and the entry points' Lane come from accumulate-subgroup.wgsl or accumulate-workgroup.wgsl,
// whichever the adapter runs; the per-coordinate code (dot_tile_row, add_drift_tile_row,
// load/store/move_particles, lane_sum) is written out by src/gpu/particle-rows.ts.
//
// `step` reads and writes each particle once: drift from the weights of step k, the
// Euler–Maruyama update, then (same pass) the particles' contributions to the network
// outputs f^{k+1}(z_b) of the next step's batch, summed over the workgroup into `partials`.

var<workgroup> tile_points: array<u32, Z_TILE_ROWS>;
// Row r of the tile is z of its data point in Z_QUADS quads, read a quad at a time; after z,
// where P is not a multiple of 4, the point's weight, then zeros.
var<workgroup> tile_z: array<vec4<f32>, Z_TILE_ROWS * Z_QUADS>;
var<workgroup> tile_w: array<f32, Z_TILE_ROWS>;

// Where PHI_CACHE is 1: φ(α·z_b) of each particle for the next step's batch, written by the
// outputs of forward and step and read by the next step's drift, which then skips α·z and
// φ (same bits). Slot (chunk, b, invocation) with chunk = group · sub_chunks + sub, for
// b < CACHE_ROWS (B). Else a placeholder never read.
@group(0) @binding(8) var<storage, read_write> phi_cache: array<PV>;

fn cache_slot(chunk: u32, b: u32, lid: u32) -> u32 {
  return (chunk * CACHE_ROWS + b) * WG + lid;
}

// φ(α·z) of the tile's row `row` (batch slot `slot`) for the invocation's particles of chunk
// `chunk`, kept for the next step's drift where PHI_CACHE.
fn output_phi(x: ptr<function, array<PV, D>>, row: u32, slot: u32, chunk: u32,
              lane: Lane) -> PV {
  let f = phi(dot_tile_row(x, row, quad_lane(lane)));
  if (PHI_CACHE == 1u && slot < CACHE_ROWS) {
    phi_cache[cache_slot(chunk, slot, lane.lid)] = f;
  }
  return f;
}

// Stages batch slots [first, first + rows) of step k; the whole workgroup calls it.
fn load_tile(first: u32, rows: u32, k: u32, lid: u32, with_weights: bool) {
  workgroupBarrier();
  for (var r = lid; r < rows; r += WG) {
    tile_points[r] = batch_point(first + r, k);
    if (with_weights) {
      tile_w[r] = weights[first + r];
    }
  }
  workgroupBarrier();
  for (var e = lid; e < rows * Z_QUADS; e += WG) {
    let j = (e % Z_QUADS) * 4u;
    let point = tile_points[e / Z_QUADS] * P + j;
    var quad = vec4<f32>(0.0);
    for (var t = 0u; t < 4u; t++) {
      if (j + t < P) {
        quad[t] = data_z[point + t];
      } else if (with_weights && j + t == P) {
        quad[t] = tile_w[e / Z_QUADS]; // read with z where the row has room (particle-rows.ts)
      }
    }
    tile_z[e] = quad;
  }
  workgroupBarrier();
}

// x⁰ = s0 · g from stream 1 (SPEC §3).
@compute @workgroup_size(WG)
fn init_particles(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
  let lid = lane.lid;
  let group = group_index(wid);
  if (group >= sim.num_groups) {
    return;
  }
  let key = vec2<u32>(sim.key0, sim.key1);
  for (var sub = 0u; sub < sim.sub_chunks; sub++) {
    for (var c = 0u; c < LANE_PARTICLES; c++) {
      let i = particle_index(group, sub, lid) + c * WG;
      if (i < sim.n) {
        for (var block = 0u; block < NOISE_BLOCKS; block++) {
          let global_i = sim.first_particle + i;
          let g = gaussians_from_words(philox4x32(vec4<u32>(global_i, 0u, STREAM_INIT, block), key));
          for (var t = 0u; t < 4u; t++) {
            let j = block * 4u + t;
            if (j < D) {
              particles[i * D + j] = sim.init_std * g[t];
            }
          }
        }
      }
    }
  }
}

// Partial network outputs for the batch of step call.k, without moving the particles.
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
  let lid = lane.lid;
  let group = group_index(wid);
  if (group >= sim.num_groups) {
    return;
  }
  for (var sub = 0u; sub < sim.sub_chunks; sub++) {
    var x: array<PV, D>;
    let live = load_particles(&x, particle_index(group, sub, lid));
    accumulate_outputs(&x, live, call.k, group, sub, lane);
  }
}

// One time step k = call.k (SPEC §2), then the partial outputs of step k + 1.
@compute @workgroup_size(WG)
fn step(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
  let lid = lane.lid;
  let group = group_index(wid);
  if (group >= sim.num_groups) {
    return;
  }
  let k = call.k;
  let count = call.point_count;
  let inv_batch = select(0.0, 1.0 / f32(count), count > 0u);
  let confinement = 0.5 * call.sigma * call.sigma * sim.inv_prior_var;
  let noise_scale = call.sigma * sqrt(sim.tau);
  let key = vec2<u32>(sim.key0, sim.key1);
  for (var sub = 0u; sub < sim.sub_chunks; sub++) {
    let first = particle_index(group, sub, lid);
    var x: array<PV, D>;
    let live = load_particles(&x, first);

    // Σ_b w_b ∇_x φ̂(x, z_b). Zeroed by an assignment: a declaration alone was zeroed once
    // per invocation on SwiftShader, not once per chunk.
    var drift: array<PV, D>;
    drift = array<PV, D>();
    for (var first_row = 0u; first_row < count; first_row += Z_TILE_ROWS) {
      let rows = min(Z_TILE_ROWS, count - first_row);
      load_tile(first_row, rows, k, lid, true);
      for (var r = 0u; r < rows; r++) {
        if (PHI_CACHE == 1u) {
          let f = phi_cache[cache_slot(group * sim.sub_chunks + sub, first_row + r, lid)];
          add_drift_cached_row(&x, &drift, r, quad_lane(lane), f);
        } else {
          add_drift_tile_row(&x, &drift, r, quad_lane(lane));
        }
      }
    }

    // ξ from stream 0, counter (i, k, 0, block). A loop, not written out: each block's
    // Philox and Box–Muller is much code to compile.
    var noise: array<array<vec4<f32>, NOISE_BLOCKS>, LANE_PARTICLES>;
    for (var c = 0u; c < LANE_PARTICLES; c++) {
      let global_i = sim.first_particle + first + c * WG;
      for (var block = 0u; block < NOISE_BLOCKS; block++) {
        let counter = vec4<u32>(global_i, k, STREAM_NOISE, block);
        noise[c][block] = gaussians_from_words(philox4x32(counter, key));
      }
    }
    move_particles(&x, &drift, &noise, inv_batch, confinement, noise_scale);
    store_particles(&x, first, live);
    accumulate_outputs(&x, live, k + 1u, group, sub, lane);
  }
}
