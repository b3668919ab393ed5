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
fn safe_tanh(u: PV) -> PV {
  return tanh(clamp(u, PV(-15.0), PV(15.0)));
}

fn dphi(u: PV) -> PV {
  switch ACTIVATION {
    case 1u: { let s = 1.0 / (1.0 + exp(-u)); return s * (1.0 - s); }
    case 2u: { return select(PV(0.0), PV(1.0), u > PV(0.0)); }
    default: { let t = safe_tanh(u); return 1.0 - t * t; }
  }
}
