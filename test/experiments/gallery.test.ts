// Each gallery entry of docs/experiments.md at a small size: its numbers against the theory,
// with the tolerances of the docs' tables.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GALLERY, gaussiansBayesRisk, rowHolds } from '../../experiments/gallery';

describe('the gallery', () => {
  it.each(GALLERY.map((entry) => [entry.id, entry] as const))(
    '%s agrees with the theory at a small size',
    async (_, entry) => {
      const result = await entry.run('small', 2);
      expect(result.rows.length).toBeGreaterThan(0);
      for (const row of result.rows) {
        expect({ row: row.quantity, holds: rowHolds(row) }).toEqual({
          row: row.quantity,
          holds: true,
        });
      }
      for (const figure of result.figures) expect(figure.svg).toMatch(/<path/);
    },
  );

  it.each(GALLERY.map((entry) => entry.id))(
    '%s has a section with its command in docs/experiments.md',
    (id) => {
      const doc = readFileSync('docs/experiments.md', 'utf8');
      expect(doc).toContain(`<!-- gallery:${id} `);
      expect(doc).toContain(`npm run experiments -- ${id}`);
    },
  );

  it.each([
    // Δ = 0: the classes are one law, E[y|z] = 0, the Bayes risk is the risk of f ≡ 0.
    [0, 4, 1, 1e-9],
    // Δ → 1: the class −1 collapses to 0, |z| tells the classes apart almost surely.
    [0.999, 4, 0, 0.01],
  ])('Bayes risk of the two Gaussians at Δ %d, d %d is %d', (separation, dim, risk, tolerance) => {
    expect(Math.abs(gaussiansBayesRisk(separation, dim) - risk)).toBeLessThan(tolerance);
  });

  it('Bayes risk agrees with a Monte Carlo estimate at Δ 0.5, d 4', () => {
    // E[y|z] = (p₊ − p₋)/(p₊ + p₋) at Gaussian samples of each class, by a seeded generator.
    let state = 12345;
    const uniform = (): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return (state + 0.5) / 2 ** 31;
    };
    const gauss = (): number =>
      Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const dim = 4;
    const samples = 40000;
    let sum = 0;
    for (let i = 0; i < samples; i++) {
      const y = i % 2 === 0 ? 1 : -1;
      const s = 1 + 0.5 * y;
      let r2 = 0;
      for (let t = 0; t < dim; t++) r2 += (s * gauss()) ** 2;
      const logDensity = (std: number): number => -r2 / (2 * std * std) - dim * Math.log(std);
      const p = Math.exp(logDensity(1.5));
      const m = Math.exp(logDensity(0.5));
      sum += (y - (p - m) / (p + m)) ** 2;
    }
    expect(Math.abs(sum / samples - gaussiansBayesRisk(0.5, dim))).toBeLessThan(0.02);
  });
});
