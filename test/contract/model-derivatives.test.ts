// The model's scalar functions (src/contract/model.ts) against SPEC §1 on their own: each φ′
// and Φ′ against a finite difference of its φ or Φ, in double precision, and the kinks of relu
// and huber by the SPEC's conventions. The CPU reference of the tests takes these functions
// from model.ts too, so the GPU–CPU agreement tests cannot catch a wrong derivative.
import { describe, expect, it } from 'vitest';
import {
  ACTIVATIONS,
  LOSSES,
  activation,
  loss,
  type Activation,
  type Loss,
} from '../../src/contract/model';

/** Central difference (f(x + h) − f(x − h)) / 2h: error h²f‴/6 + rounding ε|f|/h, ~1e-10 here. */
function centralDifference(f: (x: number) => number, x: number): number {
  const h = 1e-5;
  return (f(x + h) - f(x - h)) / (2 * h);
}

/** Away from relu's kink at 0 and huber's at ±δ by far more than the difference's step. */
const POINTS = [-7.5, -3, -1.25, -0.6, -0.1, 0.05, 0.3, 0.9, 1.7, 4, 9];
const HUBER_DELTAS = [0.25, 1, 2.5];

const TOLERANCE = 1e-8;

describe('φ′ is the derivative of φ', () => {
  it.each(ACTIVATIONS)('%s, at points away from kinks', (name) => {
    const { phi, dphi } = activation(name);
    for (const u of POINTS) {
      expect(Math.abs(dphi(u) - centralDifference(phi, u)), `u = ${u}`).toBeLessThan(TOLERANCE);
    }
  });
});

describe('Φ′ is the derivative of Φ', () => {
  const cases = LOSSES.flatMap((name) =>
    (name === 'huber' ? HUBER_DELTAS : [1]).map((delta): [Loss, number] => [name, delta]),
  );
  it.each(cases)('%s (δ = %d), at points away from kinks', (name, delta) => {
    const { value, slope } = loss(name, delta);
    for (const r of POINTS) {
      const step = centralDifference(value, r);
      expect(Math.abs(slope(r) - step), `r = ${r}`).toBeLessThan(TOLERANCE * (1 + Math.abs(step)));
    }
  });
});

describe('φ and Φ are the formulas of SPEC §1', () => {
  const phiCases: [Activation, (u: number) => number][] = [
    ['tanh', Math.tanh],
    ['sigmoid', (u) => 1 / (1 + Math.exp(-u))],
    ['relu', (u) => Math.max(u, 0)],
  ];
  it.each(phiCases)('%s', (name, formula) => {
    const { phi } = activation(name);
    for (const u of POINTS) expect(phi(u), `u = ${u}`).toBeCloseTo(formula(u), 14);
  });

  const lossCases: [Loss, number, (r: number) => number][] = [
    ['square', 1, (r) => r * r],
    ...HUBER_DELTAS.map((d): [Loss, number, (r: number) => number] => [
      'huber',
      d,
      (r) => (Math.abs(r) <= d ? (r * r) / 2 : d * (Math.abs(r) - d / 2)),
    ]),
    ['logcosh', 1, (r) => Math.log(Math.cosh(r))],
  ];
  it.each(lossCases)('%s (δ = %d)', (name, delta, formula) => {
    const { value } = loss(name, delta);
    for (const r of POINTS) expect(value(r), `r = ${r}`).toBeCloseTo(formula(r), 12);
  });

  it.each([800, -800, 1e300])(
    'logcosh stays finite where cosh overflows (r = %d), as |r| − log 2',
    (r) => {
      const { value, slope } = loss('logcosh', 1);
      expect(value(r)).toBe(Math.abs(r) - Math.LN2);
      expect(slope(r)).toBe(Math.sign(r));
    },
  );
});

describe('the kinks of SPEC §1', () => {
  it('relu: φ(0) = 0 and φ′(u) = 1 for u > 0, else 0 (so φ′(0) = 0)', () => {
    const { phi, dphi } = activation('relu');
    expect(phi(0)).toBe(0);
    expect(dphi(0)).toBe(0);
    expect(dphi(-0)).toBe(0);
    expect(dphi(Number.MIN_VALUE)).toBe(1);
    expect(dphi(-Number.MIN_VALUE)).toBe(0);
  });

  it.each(HUBER_DELTAS)('huber, δ = %d: Φ is continuous at ±δ and Φ′(±δ) = ±δ (clamp)', (d) => {
    const { value, slope } = loss('huber', d);
    for (const edge of [d, -d]) {
      expect(value(edge)).toBe((d * d) / 2);
      // Both branches meet at the kink: the outer one, taken just past it, tends to δ²/2.
      expect(value(edge * (1 + 1e-12))).toBeCloseTo((d * d) / 2, 10);
      expect(slope(edge)).toBe(edge);
      expect(slope(edge * 10)).toBe(edge);
    }
  });

  it.each(LOSSES)('%s: Φ(0) = 0 and Φ′(0) = 0', (name) => {
    const { value, slope } = loss(name, 1);
    expect(value(0)).toBe(0);
    expect(slope(0)).toBe(0);
  });
});
