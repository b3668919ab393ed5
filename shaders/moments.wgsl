// Per-coordinate sums of (x − x₀) and (x − x₀)² over the particles, one pair of rows per
// workgroup; the host finishes the sums in double precision. Shifting by the shard's first
// particle keeps the variance free of cancellation when the mean is far from 0.

@compute @workgroup_size(WG)
fn moments(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let group = group_index(wid);
  if (group >= sim.num_groups) {
    return;
  }
  var sum: array<f32, D>;
  var sum_sq: array<f32, D>;
  for (var sub = 0u; sub < sim.sub_chunks; sub++) {
    for (var c = 0u; c < LANE_PARTICLES; c++) {
      let i = particle_index(group, sub, lid) + c * WG;
      if (i < sim.n) {
        for (var j = 0u; j < D; j++) {
          let centred = particles[i * D + j] - particles[j];
          sum[j] += centred;
          sum_sq[j] += centred * centred;
        }
      }
    }
  }
  for (var j = 0u; j < D; j++) {
    let total = workgroup_sum(sum[j], lid);
    let total_sq = workgroup_sum(sum_sq[j], lid);
    if (lid == 0u) {
      partials[(sim.first_group + group) * 2u * D + j] = total;
      partials[(sim.first_group + group) * 2u * D + D + j] = total_sq;
    }
  }
}
