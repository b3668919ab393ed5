// Activations φ and φ' of SPEC §1, chosen by the ACTIVATION constant, folded at compile time.
// The cases are the named codes ACTIVATION_TANH, … that the host emits from the table of
// src/contract/model.ts (modelShaderConstants); each switch has one case per entry. They act
// on PV, the particles an invocation holds (src/gpu/particle-rows.ts), component by component.

fn phi(u: PV) -> PV {
  switch ACTIVATION {
    case ACTIVATION_TANH, default: { return safe_tanh(u); }
    case ACTIVATION_SIGMOID: { return 1.0 / (1.0 + exp(-u)); }
    case ACTIVATION_RELU: { return max(u, PV(0.0)); }
  }
}

// tanh saturates to ±1 in float32 past |u| = 9; some drivers return NaN for large |u|.
// From e^{2u}: SwiftShader's builtin tanh is slower (the step is faster with this; figures in
// bench/RESULTS.md); within 2e-7 of it, and e^{30} is far from float32's overflow.
fn safe_tanh(u: PV) -> PV {
  let e = exp(2.0 * clamp(u, PV(-15.0), PV(15.0)));
  return (e - 1.0) / (e + 1.0);
}

// φ' from f = φ(u) alone, as the CPU kernel computes it (dphiFromPhi of model.ts).
fn dphi_from_phi(f: PV) -> PV {
  switch ACTIVATION {
    case ACTIVATION_TANH, default: { return 1.0 - f * f; }
    case ACTIVATION_SIGMOID: { return f * (1.0 - f); }
    case ACTIVATION_RELU: { return select(PV(0.0), PV(1.0), f > PV(0.0)); }
  }
}

