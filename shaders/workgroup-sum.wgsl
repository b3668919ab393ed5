// Sum of one value per invocation over the workgroup, returned to every invocation.
// The whole workgroup must call it (it holds barriers).

var<workgroup> sum_scratch: array<f32, WG>;

fn workgroup_sum(value: f32, lid: u32) -> f32 {
  workgroupBarrier();
  sum_scratch[lid] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      sum_scratch[lid] += sum_scratch[lid + stride];
    }
    workgroupBarrier();
  }
  return sum_scratch[0];
}
