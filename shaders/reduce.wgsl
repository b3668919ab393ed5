// Network outputs f(z_b) = (1/n) Σ_i c_i φ(α_i·z_b) from the workgroups' partial sums, and
// the residual terms of each batch slot: weights Φ'(y − f) (SPEC §2) and losses Φ(y − f).
// One workgroup per batch slot; Kahan summation keeps n in the millions accurate in float32.

@compute @workgroup_size(WG)
fn reduce_outputs(@builtin(workgroup_id) wid: vec3<u32>,
                  @builtin(num_workgroups) grid: vec3<u32>,
                  @builtin(local_invocation_index) lid: u32) {
  let b = wid.y * grid.x + wid.x;
  if (b >= call.point_count) {
    return;
  }
  var s = 0.0;
  var compensation = 0.0;
  for (var g = lid; g < sim.total_groups; g += WG) {
    let term = partials[g * sim.partial_stride + b] - compensation;
    let t = s + term;
    compensation = (t - s) - term;
    s = t;
  }
  let total = workgroup_sum(s, lid);
  if (lid == 0u) {
    let f = total / f32(sim.total_n);
    let r = data_y[batch_point(b, call.k)] - f;
    weights[b] = loss_slope(r, sim.huber_delta);
    loss_terms[b] = loss_value(r, sim.huber_delta);
  }
}
