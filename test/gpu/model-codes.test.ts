// The shaders pick an activation and a loss by the named codes the host emits from the tables
// of src/contract/model.ts: every table entry has a case in every switch of
// shaders/activation.wgsl and loss.wgsl, no case is a bare number, and the composed kernels
// declare each name with its code. (test/gpu/model.test.ts runs each case on a device.)
import { describe, expect, it } from 'vitest';
import {
  ACTIVATIONS,
  LOSSES,
  activationCode,
  activationConstantName,
  lossCode,
  lossConstantName,
} from '../../src/contract/model';
import { composeEngineModule, type KernelShape } from '../../src/gpu/kernels';
import { readShaderSources } from '../../src/node/gpu';

const sources = readShaderSources();

/** The case labels of every `switch NAME { … }` in a WGSL source, switch by switch. */
function switchCases(source: string, selector: string): string[][] {
  const switches = source.split(`switch ${selector} {`).slice(1);
  return switches.map((body) => {
    // The cases end where the switch's closing brace sits at its own indent ("  }" then a line
    // with the function's closing brace).
    const block = body.slice(0, body.search(/\n {2}\}\n\}/));
    return [...block.matchAll(/^\s*case ([^:{]+):/gm)].flatMap((match) =>
      match[1]!.split(',').map((label) => label.trim()),
    );
  });
}

describe.each([
  {
    piece: 'activation',
    selector: 'ACTIVATION',
    names: ACTIVATIONS.map(activationConstantName),
    switches: 2,
  },
  { piece: 'loss', selector: 'LOSS', names: LOSSES.map(lossConstantName), switches: 2 },
])('the switches of shaders/ $piece', ({ piece, selector, names, switches }) => {
  const cases = switchCases(sources[piece]!, selector);

  it(`has its ${switches} switches over ${selector}`, () => {
    expect(cases).toHaveLength(switches);
  });

  it.each(names)('has a case %s in every switch', (name) => {
    for (const labels of cases) expect(labels.filter((label) => label === name)).toHaveLength(1);
  });

  it('switches over the named codes only (and default)', () => {
    for (const labels of cases) {
      expect([...labels].sort()).toEqual([...names, 'default'].sort());
    }
  });
});

const shape = (activation: (typeof ACTIVATIONS)[number], loss: (typeof LOSSES)[number]) =>
  ({
    d: 5,
    laneParticles: 1,
    subgroupMin: null,
    zTileRows: 32,
    phiCacheRows: null,
    quadLanes: null,
    activation,
    loss,
  }) satisfies KernelShape;

describe('composed kernels', () => {
  it.each(ACTIVATIONS.flatMap((a) => LOSSES.map((l) => [a, l] as const)))(
    'with %s and %s declare every code by name and select theirs',
    (activation, loss) => {
      for (const module of ['particles', 'reduce'] as const) {
        const code = composeEngineModule(sources, module, shape(activation, loss));
        for (const a of ACTIVATIONS) {
          expect(code).toContain(
            `const ${activationConstantName(a)}: u32 = ${activationCode(a)}u;`,
          );
        }
        for (const l of LOSSES) {
          expect(code).toContain(`const ${lossConstantName(l)}: u32 = ${lossCode(l)}u;`);
        }
        expect(code).toContain(`const ACTIVATION: u32 = ${activationCode(activation)}u;`);
        expect(code).toContain(`const LOSS: u32 = ${lossCode(loss)}u;`);
      }
    },
  );
});
