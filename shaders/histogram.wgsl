// A 2-D histogram of the particles over two projections, each a weight vector over the
// D coordinates (a unit vector picks a coordinate; (e, 0) gives α·e). One invocation per
// particle; the last counter counts particles outside the range on either axis.

struct HistogramParams {
  n: u32,
  bins: u32,
  _pad0: u32,
  _pad1: u32,
  x_min: f32,
  x_scale: f32,
  y_min: f32,
  y_scale: f32,
}

@group(0) @binding(0) var<uniform> params: HistogramParams;
@group(0) @binding(1) var<storage, read> particles: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32, 2 * D>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

/** The bin of v, or `bins` when v is outside [min, min + bins / scale) or NaN. */
fn bin_of(v: f32, lo: f32, scale: f32) -> u32 {
  let t = (v - lo) * scale;
  if (!(t >= 0.0 && t < f32(params.bins))) {
    return params.bins;
  }
  return min(u32(t), params.bins - 1u);
}

@compute @workgroup_size(WG)
fn histogram(@builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= params.n) {
    return;
  }
  var x = 0.0;
  var y = 0.0;
  for (var j = 0u; j < D; j++) {
    let value = particles[i * D + j];
    x += weights[j] * value;
    y += weights[D + j] * value;
  }
  let bx = bin_of(x, params.x_min, params.x_scale);
  let by = bin_of(y, params.y_min, params.y_scale);
  let outside = params.bins * params.bins;
  if (bx == params.bins || by == params.bins) {
    atomicAdd(&counts[outside], 1u);
  } else {
    atomicAdd(&counts[by * params.bins + bx], 1u);
  }
}
