// The particles' contributions c·φ(α·z_b) to the network outputs, summed over a workgroup
// with subgroup operations: each subgroup adds its lanes' values in registers, then one
// barrier per tile of batch slots and a sum over the WG / subgroup_size subgroup totals.
// Subgroups are taken to hold consecutive invocations (lane 0 of subgroup q is invocation
// q·subgroup_size), as Vulkan, Metal and D3D12 lay out one-dimensional workgroups.

struct Lane {
  @builtin(local_invocation_index) lid: u32,
  @builtin(subgroup_invocation_id) sg_lane: u32,
  @builtin(subgroup_size) sg_size: u32,
}

// This lane's quad of a data row where the lanes share them (src/gpu/particle-rows.ts).
fn quad_lane(lane: Lane) -> u32 {
  return lane.sg_lane;
}

// Subgroup totals of Z_TILE_ROWS batch slots: at most WG / SUBGROUP_MIN subgroups.
var<workgroup> subgroup_totals: array<f32, (WG / SUBGROUP_MIN) * Z_TILE_ROWS>;

// Adds the invocation's particles' c·φ(α·z_b) for the batch of step k to the workgroup's
// partial sums (and keeps φ for the next step's drift where PHI_CACHE).
fn accumulate_outputs(x: ptr<function, array<PV, D>>, live: LIVE, k: u32, group: u32,
                      sub: u32, lane: Lane) {
  let lid = lane.lid;
  let chunk = group * sim.sub_chunks + sub;
  let first_chunk = sub == 0u;
  let subgroups = WG / lane.sg_size;
  let count = call.point_count;
  for (var first = 0u; first < count; first += Z_TILE_ROWS) {
    let rows = min(Z_TILE_ROWS, count - first);
    // Starts with a barrier: the totals of the previous tile have been read.
    load_tile(first, rows, k, lid, false);
    for (var r = 0u; r < rows; r++) {
      let f = output_phi(x, r, first + r, chunk, lane);
      let value = lane_sum(select(PV(0.0), (*x)[P] * f, live));
      let total = subgroupAdd(value);
      if (lane.sg_lane == 0u) {
        subgroup_totals[(lid / lane.sg_size) * Z_TILE_ROWS + r] = total;
      }
    }
    workgroupBarrier();
    for (var r = lid; r < rows; r += WG) {
      var s = 0.0;
      for (var q = 0u; q < subgroups; q++) {
        s += subgroup_totals[q * Z_TILE_ROWS + r];
      }
      let slot = partial_row(group) + first + r;
      partials[slot] = select(partials[slot] + s, s, first_chunk);
    }
  }
}
