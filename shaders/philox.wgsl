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

const TWO_PI: f32 = 6.283185307179586;

// Box–Muller on (u0, u1) and (u2, u3).
fn gaussians_from_words(w: vec4<u32>) -> vec4<f32> {
  let u = vec4<f32>(uniform_from_word(w.x), uniform_from_word(w.y),
                    uniform_from_word(w.z), uniform_from_word(w.w));
  let r01 = sqrt(-2.0 * log(u.x));
  let r23 = sqrt(-2.0 * log(u.z));
  return vec4<f32>(r01 * cos(TWO_PI * u.y), r01 * sin(TWO_PI * u.y),
                   r23 * cos(TWO_PI * u.w), r23 * sin(TWO_PI * u.w));
}
