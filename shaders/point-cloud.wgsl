// The particle cloud as round points in 3-D, read straight from the particle buffer (rows
// [α_1 … α_p, c] of D floats): one instance per particle, two triangles per instance. Three
// coordinates, centred and scaled from the moments, go through the camera's view-projection;
// each quad keeps a fixed size in pixels. The colour is a quantity of the particle mapped to
// [0, 1] by (q − lo) / (hi − lo): c on a diverging blue–grey–orange map, |α| and |c|·|α| on
// viridis (both readable with colour-blind vision).

struct CloudParams {
  view_proj: mat4x4<f32>,
  centre: vec4<f32>,
  inv_scale: vec4<f32>,
  // x, y, z coordinate indices, then the colour quantity (COLOUR_C, COLOUR_ALPHA, COLOUR_WEIGHT).
  axes: vec4<u32>,
  // lo, 1 / (hi − lo), then the quad's half size in clip units along x and y.
  colour: vec4<f32>,
}

const COLOUR_C = 0u;
const COLOUR_ALPHA = 1u;

@group(0) @binding(0) var<uniform> params: CloudParams;
@group(0) @binding(1) var<storage, read> particles: array<f32>;

struct CloudVertex {
  @builtin(position) position: vec4<f32>,
  @location(0) corner: vec2<f32>,
  @location(1) colour: vec3<f32>,
}

fn viridis(t: f32) -> vec3<f32> {
  var stops = array<vec3<f32>, 5>(
    vec3(0.267, 0.004, 0.329),
    vec3(0.231, 0.322, 0.545),
    vec3(0.129, 0.569, 0.549),
    vec3(0.369, 0.788, 0.384),
    vec3(0.992, 0.906, 0.145),
  );
  let x = clamp(t, 0.0, 1.0) * 4.0;
  let k = min(u32(x), 3u);
  return mix(stops[k], stops[k + 1u], x - f32(k));
}

/** Blue (negative) through grey (zero) to orange (positive), the Okabe–Ito hues. */
fn blue_orange(t: f32) -> vec3<f32> {
  let blue = vec3(0.0, 0.447, 0.698);
  let grey = vec3(0.72, 0.72, 0.72);
  let orange = vec3(0.902, 0.624, 0.0);
  let x = clamp(t, 0.0, 1.0);
  if (x < 0.5) {
    return mix(blue, grey, 2.0 * x);
  }
  return mix(grey, orange, 2.0 * x - 1.0);
}

@vertex
fn cloud_vertex(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> CloudVertex {
  var corners = array<vec2<f32>, 6>(
    vec2(-1.0, -1.0), vec2(1.0, -1.0), vec2(-1.0, 1.0),
    vec2(-1.0, 1.0), vec2(1.0, -1.0), vec2(1.0, 1.0),
  );
  let row = i * D;
  let a = params.axes;
  let x = vec3(particles[row + a.x], particles[row + a.y], particles[row + a.z]);
  let position = (x - params.centre.xyz) * params.inv_scale.xyz;
  let corner = corners[v];
  var clip = params.view_proj * vec4(position, 1.0);
  // Offsetting by w keeps the quad the same size on screen at every depth.
  clip = vec4(clip.xy + corner * params.colour.zw * clip.w, clip.zw);

  let c = particles[row + D - 1u];
  var alpha_sq = 0.0;
  for (var j = 0u; j < D - 1u; j++) {
    let value = particles[row + j];
    alpha_sq += value * value;
  }
  var q = abs(c) * sqrt(alpha_sq);
  if (a.w == COLOUR_C) {
    q = c;
  } else if (a.w == COLOUR_ALPHA) {
    q = sqrt(alpha_sq);
  }
  let t = (q - params.colour.x) * params.colour.y;
  var out: CloudVertex;
  out.position = clip;
  out.corner = corner;
  out.colour = select(viridis(t), blue_orange(t), a.w == COLOUR_C);
  return out;
}

@fragment
fn cloud_fragment(in: CloudVertex) -> @location(0) vec4<f32> {
  if (dot(in.corner, in.corner) > 1.0) {
    discard;
  }
  return vec4(in.colour, 1.0);
}
