// Device limit, memory: a streaming copy of one storage buffer into another, one vec4 per
// invocation, so each byte is read once and written once. Constants from the header: WG.

@group(0) @binding(0) var<storage, read> from_buffer: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> to_buffer: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn stream_copy(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let i = gid.y * groups.x * WG + gid.x;
  if (i >= arrayLength(&to_buffer)) {
    return;
  }
  to_buffer[i] = from_buffer[i];
}
