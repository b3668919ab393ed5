// Activations φ and φ' of SPEC §1, chosen by the ACTIVATION constant (an index into
// ACTIVATIONS of src/contract/model.ts), folded at compile time. They act on PV, the
// particles an invocation holds (src/gpu/particle-rows.ts), component by component.

fn phi(u: PV) -> PV {
  switch ACTIVATION {
    case 1u: { return 1.0 / (1.0 + exp(-u)); }
    case 2u: { return max(u, PV(0.0)); }
    default: { return safe_tanh(u); }
  }
}

// tanh saturates to ±1 in float32 past |u| = 9; some drivers return NaN for large |u|.
// From e^{2u}: SwiftShader's builtin tanh is slower (the step is faster with this; figures in
// bench/RESULTS.md); within 2e-7 of it, and e^{30} is far from float32's overflow.
fn safe_tanh(u: PV) -> PV {
  let e = exp(2.0 * clamp(u, PV(-15.0), PV(15.0)));
  return (e - 1.0) / (e + 1.0);
}

// φ' from φ(u) alone, as the CPU reference does: the same bits as dphi(u).
fn dphi_from_phi(f: PV) -> PV {
  switch ACTIVATION {
    case 1u: { return f * (1.0 - f); }
    case 2u: { return select(PV(0.0), PV(1.0), f > PV(0.0)); }
    default: { return 1.0 - f * f; }
  }
}

fn dphi(u: PV) -> PV {
  switch ACTIVATION {
    case 1u: { let s = 1.0 / (1.0 + exp(-u)); return s * (1.0 - s); }
    case 2u: { return select(PV(0.0), PV(1.0), u > PV(0.0)); }
    default: { let t = safe_tanh(u); return 1.0 - t * t; }
  }
}
