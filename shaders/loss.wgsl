// Losses Φ and Φ' of SPEC §1, chosen by the LOSS constant, folded at compile time. The cases
// are the named codes LOSS_SQUARE, … that the host emits from the table of
// src/contract/model.ts (modelShaderConstants); each switch has one case per entry.

// Φ(r); log cosh written to stay finite for large |r|.
fn loss_value(r: f32, delta: f32) -> f32 {
  switch LOSS {
    case LOSS_SQUARE, default: { return r * r; }
    case LOSS_HUBER: {
      let a = abs(r);
      return select(delta * (a - 0.5 * delta), 0.5 * r * r, a <= delta);
    }
    case LOSS_LOGCOSH: { let a = abs(r); return a + log(1.0 + exp(-2.0 * a)) - 0.6931471805599453; }
  }
}

// Φ'(r); the square loss's factor 2 lives here only (SPEC §2).
fn loss_slope(r: f32, delta: f32) -> f32 {
  switch LOSS {
    case LOSS_SQUARE, default: { return 2.0 * r; }
    case LOSS_HUBER: { return clamp(r, -delta, delta); }
    // Clamped to stay finite on every driver, as safe_tanh.
    case LOSS_LOGCOSH: { return tanh(clamp(r, -15.0, 15.0)); }
  }
}
