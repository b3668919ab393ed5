// The particles' contributions c·φ(α·z_b) to the network outputs, summed over a workgroup
// through workgroup memory alone (adapters without subgroups): SUM_ROWS batch slots at a
// time, one barrier pair each.

struct Lane {
  @builtin(local_invocation_index) lid: u32,
}

// Without subgroups every lane reads a data row's quads itself (src/gpu/particle-rows.ts).
fn quad_lane(lane: Lane) -> u32 {
  return 0u;
}

// Contributions of the WG invocations' particles to SUM_ROWS batch slots, padded against
// bank conflicts.
const CONTRIBUTION_STRIDE: u32 = SUM_ROWS + 1u;
var<workgroup> contributions: array<f32, WG * CONTRIBUTION_STRIDE>;

// Adds the invocation's particles' c·φ(α·z_b) for the batch of step k to the workgroup's
// partial sums (and keeps φ for the next step's drift where PHI_CACHE).
fn accumulate_outputs(x: ptr<function, array<PV, D>>, live: LIVE, k: u32, group: u32,
                      sub: u32, lane: Lane) {
  let lid = lane.lid;
  let chunk = group * sim.sub_chunks + sub;
  let first_chunk = sub == 0u;
  let count = call.point_count;
  for (var first = 0u; first < count; first += Z_TILE_ROWS) {
    let rows = min(Z_TILE_ROWS, count - first);
    load_tile(first, rows, k, lid, false);
    for (var r0 = 0u; r0 < rows; r0 += SUM_ROWS) {
      let sum_rows = min(SUM_ROWS, rows - r0);
      for (var r = 0u; r < sum_rows; r++) {
        let value = (*x)[P] * output_phi(x, r0 + r, first + r0 + r, chunk, lane);
        contributions[lid * CONTRIBUTION_STRIDE + r] = lane_sum(select(PV(0.0), value, live));
      }
      workgroupBarrier();
      if (lid < sum_rows) {
        var s = 0.0;
        for (var q = 0u; q < WG; q++) {
          s += contributions[q * CONTRIBUTION_STRIDE + lid];
        }
        let slot = partial_row(group) + first + r0 + lid;
        partials[slot] = select(partials[slot] + s, s, first_chunk);
      }
      workgroupBarrier();
    }
  }
}
