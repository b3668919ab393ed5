// Losses Φ and Φ' of SPEC §1, chosen by the LOSS constant (an index into LOSSES of
// src/contract/model.ts), folded at compile time.

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
    case 2u: { return tanh(clamp(r, -15.0, 15.0)); } // finite on every driver, as safe_tanh
    default: { return 2.0 * r; }
  }
}
