// Activations φ and losses Φ of SPEC §1, chosen by the ACTIVATION and LOSS constants
// (indices into ACTIVATIONS and LOSSES of src/contract/model.ts), folded at compile time.

fn phi(u: f32) -> f32 {
  switch ACTIVATION {
    case 1u: { return 1.0 / (1.0 + exp(-u)); }
    case 2u: { return max(u, 0.0); }
    default: { return safe_tanh(u); }
  }
}

// tanh saturates to ±1 in float32 past |u| = 9; some drivers return NaN for large |u|.
fn safe_tanh(u: f32) -> f32 {
  return tanh(clamp(u, -15.0, 15.0));
}

fn dphi(u: f32) -> f32 {
  switch ACTIVATION {
    case 1u: { let s = 1.0 / (1.0 + exp(-u)); return s * (1.0 - s); }
    case 2u: { return select(0.0, 1.0, u > 0.0); }
    default: { let t = safe_tanh(u); return 1.0 - t * t; }
  }
}

// Φ(r); log cosh written to stay finite for large |r|.
fn loss_value(r: f32, delta: f32) -> f32 {
  switch LOSS {
    case 1u: {
      let a = abs(r);
      return select(delta * (a - 0.5 * delta), 0.5 * r * r, a <= delta);
    }
    case 2u: { let a = abs(r); return a + log(1.0 + exp(-2.0 * a)) - 0.6931471805599453; }
    default: { return r * r; }
  }
}

// Φ'(r); the square loss's factor 2 lives here only (SPEC §2).
fn loss_slope(r: f32, delta: f32) -> f32 {
  switch LOSS {
    case 1u: { return clamp(r, -delta, delta); }
    case 2u: { return safe_tanh(r); }
    default: { return 2.0 * r; }
  }
}
