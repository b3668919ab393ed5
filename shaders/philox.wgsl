// Philox4x32-10 and its uniforms and Gaussians (SPEC §3). CPU twin: src/contract/philox.ts.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

const STREAM_NOISE: u32 = 0u;
const STREAM_INIT: u32 = 1u;
const STREAM_MINIBATCH: u32 = 2u;

// (high, low) words of the 64-bit product a·b; WGSL has no 64-bit integers.
fn mul_hi_lo(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xFFFFu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xFFFFu;
  let b_hi = b >> 16u;
  let lolo = a_lo * b_lo;
  let mid1 = a_hi * b_lo;
  let mid2 = a_lo * b_hi;
  let carry = ((lolo >> 16u) + (mid1 & 0xFFFFu) + (mid2 & 0xFFFFu)) >> 16u;
  let hi = a_hi * b_hi + (mid1 >> 16u) + (mid2 >> 16u) + carry;
  return vec2<u32>(hi, a * b);
}

fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var x = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let p0 = mul_hi_lo(PHILOX_M0, x.x);
    let p1 = mul_hi_lo(PHILOX_M1, x.z);
    x = vec4<u32>(p1.x ^ x.y ^ k.x, p1.y, p0.x ^ x.w ^ k.y, p0.y);
    k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return x;
}

// Exact in float32, in (0, 1).
fn uniform_from_word(w: u32) -> f32 {
  return (f32(w >> 9u) + 0.5) * 1.1920928955078125e-7;
}

// Box–Muller on (u0, u1) and (u2, u3). GPUs may compute log, sin and cos with absolute
// errors up to 2^-11 (Vulkan's bound), far from SPEC §3's 1e-5, so the radius and the angle
// are evaluated here in plain float32 arithmetic instead.
fn gaussians_from_words(w: vec4<u32>) -> vec4<f32> {
  let r01 = box_muller_radius(uniform_from_word(w.x));
  let r23 = box_muller_radius(uniform_from_word(w.z));
  let a01 = cos_sin_two_pi(uniform_from_word(w.y));
  let a23 = cos_sin_two_pi(uniform_from_word(w.w));
  return vec4<f32>(r01 * a01.x, r01 * a01.y, r23 * a23.x, r23 * a23.y);
}

// √(−2 ln u). Near u = 1 the radius is small and an absolute error in ln u would dominate
// it, so ln u = ln(1 + x) with x = u − 1 (exact) = 2 atanh(s), s = x / (2 + x), |s| ≤ 1/3.
fn box_muller_radius(u: f32) -> f32 {
  var log_u: f32;
  if (u < 0.5) {
    log_u = log(u);
  } else {
    let x = u - 1.0;
    let s = x / (2.0 + x);
    let s2 = s * s;
    let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0
      + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 * (1.0 / 15.0)))))));
    log_u = 2.0 * s * series;
  }
  return sqrt(-2.0 * log_u);
}

// (cos 2πu, sin 2πu) for u in (0, 1): quadrant q = round(4u), then f = u − q/4 in
// [−1/8, 1/8] (exact) and Taylor series of x = 2πf in [−π/4, π/4].
fn cos_sin_two_pi(u: f32) -> vec2<f32> {
  let q = round(4.0 * u);
  let x = 6.283185307179586 * (u - 0.25 * q);
  let x2 = x * x;
  let c = 1.0 - x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0 * (1.0 - x2 / 90.0))));
  let s = x * (1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0 * (1.0 - x2 / 72.0))));
  switch (u32(q) % 4u) {
    case 1u: { return vec2<f32>(-s, c); }
    case 2u: { return vec2<f32>(-c, -s); }
    case 3u: { return vec2<f32>(s, -c); }
    default: { return vec2<f32>(c, s); }
  }
}
