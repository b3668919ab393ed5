// Passes over the particles (SPEC §2). A workgroup owns sim.sub_chunks chunks of WG
// particles; each invocation holds one particle in registers. The data points of a batch
// are staged through workgroup memory in tiles of Z_TILE_ROWS rows. accumulate_outputs and
// the entry points' Lane come from accumulate-subgroup.wgsl or accumulate-workgroup.wgsl,
// whichever the adapter runs; the loops over the D coordinates (dot_tile_row, add_drift_row,
// load_particle, store_particle) are written out by src/gpu/particle-rows.ts.
//
// `step` reads and writes each particle once: drift from the weights of step k, the
// Euler–Maruyama update, then (same pass) the particle's contributions to the network
// outputs f^{k+1}(z_b) of the next step's batch, summed over the workgroup into `partials`.

var<workgroup> tile_points: array<u32, Z_TILE_ROWS>;
var<workgroup> tile_z: array<f32, Z_TILE_ROWS * P>;
var<workgroup> tile_w: array<f32, Z_TILE_ROWS>;

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
  for (var e = lid; e < rows * P; e += WG) {
    tile_z[e] = data_z[tile_points[e / P] * P + e % P];
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
    let i = particle_index(group, sub, lid);
    if (i < sim.n) {
      for (var block = 0u; block < (D + 3u) / 4u; block++) {
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

// Partial network outputs for the batch of step call.k, without moving the particles.
@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
  let lid = lane.lid;
  let group = group_index(wid);
  if (group >= sim.num_groups) {
    return;
  }
  for (var sub = 0u; sub < sim.sub_chunks; sub++) {
    let i = particle_index(group, sub, lid);
    let live = i < sim.n;
    var x: array<f32, D>;
    load_particle(&x, i, live);
    accumulate_outputs(&x, live, call.k, group, sub == 0u, lane);
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
    let i = particle_index(group, sub, lid);
    let global_i = sim.first_particle + i;
    let live = i < sim.n;
    var x: array<f32, D>;
    load_particle(&x, i, live);

    // Σ_b w_b ∇_x φ̂(x, z_b): ∇_α = c φ'(α·z) z, ∇_c = φ(α·z).
    var drift: array<f32, D>;
    for (var first = 0u; first < count; first += Z_TILE_ROWS) {
      let rows = min(Z_TILE_ROWS, count - first);
      load_tile(first, rows, k, lid, true);
      for (var r = 0u; r < rows; r++) {
        let u = dot_tile_row(&x, r);
        let w = tile_w[r];
        add_drift_row(&drift, w * x[P] * dphi(u), r);
        drift[P] += w * phi(u);
      }
    }

    // x ← x + τ ((1/B) Σ_b … − (σ²/2) x/s²) + σ√τ ξ, ξ from stream 0, counter (i, k, 0, j).
    // A loop, not written out: each block's Philox and Box–Muller is much code to compile.
    for (var block = 0u; block < (D + 3u) / 4u; block++) {
      let g = gaussians_from_words(philox4x32(vec4<u32>(global_i, k, STREAM_NOISE, block), key));
      for (var t = 0u; t < 4u; t++) {
        let j = block * 4u + t;
        if (j < D) {
          x[j] += sim.tau * (drift[j] * inv_batch - confinement * x[j]) + noise_scale * g[t];
        }
      }
    }
    if (live) {
      store_particle(&x, i);
    }
    accumulate_outputs(&x, live, k + 1u, group, sub == 0u, lane);
  }
}
