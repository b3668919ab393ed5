// When the page knows m*: particles of d = 2, a full batch, a constant σ > 0.
import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../../src/contract/config-parse';
import { buildProblem } from '../../src/data/datasets';
import { stationaryLawFor } from '../../src/page/stationary-overlay';

const D2 = { dataset: 'sine', bias: false, batch: 'full', samples: 32, sigma: 1 };

describe('stationaryLawFor', () => {
  it('solves m* for d = 2 with a full batch', () => {
    const config = parseConfigObject(D2);
    const law = stationaryLawFor(config, buildProblem(config));
    expect(law).not.toBeNull();
    expect(law!.freeEnergy).toBeGreaterThan(law!.trainLoss);
  });

  it.each([
    ['the bias feature (d = 3)', { bias: true }],
    ['a minibatch', { batch: 16 }],
    ['an annealed σ', { sigmaFinal: 0.5 }],
    ['σ = 0', { sigma: 0 }],
    ['no data', { dataset: 'none' }],
  ])('is null with %s', (_, change) => {
    const config = parseConfigObject({ ...D2, ...change });
    expect(stationaryLawFor(config, buildProblem(config))).toBeNull();
  });
});
