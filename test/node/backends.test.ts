// Which backend `auto` takes: a hardware adapter's WebGPU, else the CPU reference, which is
// faster than a software adapter on the same cores. Fake adapters and the environment's mark
// stand in for the machines; the library's openSimulation opens this machine's adapter.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/contract/config';
import { buildProblem } from '../../src/data/datasets';
import { autoBackend, autoBackendLine } from '../../src/gpu/device';
import { decideBackend, openSimulation } from '../../src/node/backends';
import { RESOLVED_MARK } from '../../src/node/webgpu-env';
import { dynamicsFromConfig } from '../../src/study/run-study';

function fakeAdapter(info: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }): GPUAdapter {
  return {
    info: { vendor: '', architecture: '', device: '', description: '', ...info },
  } as unknown as GPUAdapter;
}

describe('autoBackend', () => {
  it.each([
    ['SwiftShader', { vendor: 'google', architecture: 'swiftshader' }],
    ['llvmpipe', { vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }],
    ['WARP', { vendor: 'microsoft', description: 'Microsoft Basic Render Driver (WARP)' }],
    ['a fallback adapter', { vendor: 'x', isFallbackAdapter: true }],
  ])('%s: the CPU reference, saying the adapter is software', (_name, info) => {
    const auto = autoBackend(fakeAdapter(info));
    expect(auto.backend).toBe('cpu');
    expect(autoBackendLine(auto)).toMatch(
      /^cpu: auto chose the CPU reference: the WebGPU adapter \(.+\) renders in software/,
    );
  });

  it('a hardware adapter: WebGPU, naming it', () => {
    const auto = autoBackend(fakeAdapter({ vendor: 'nvidia', architecture: 'hopper' }));
    expect(autoBackendLine(auto)).toBe(
      'webgpu: auto chose WebGPU: nvidia hopper is a hardware adapter',
    );
  });

  it('no adapter: the CPU reference', () => {
    expect(autoBackendLine(autoBackend(null))).toBe(
      'cpu: auto chose the CPU reference: no WebGPU adapter here',
    );
  });
});

describe('decideBackend', () => {
  const saved = process.env[RESOLVED_MARK];
  afterEach(() => {
    if (saved === undefined) delete process.env[RESOLVED_MARK];
    else process.env[RESOLVED_MARK] = saved;
  });

  it.each(['cpu', 'webgpu'] as const)('--backend %s is taken as asked', async (choice) => {
    expect(await decideBackend(choice)).toEqual({
      choice,
      line: `${choice}, as asked by --backend ${choice}`,
    });
  });

  it('auto where the only adapter is SwiftShader: the CPU, without starting Dawn', async () => {
    process.env[RESOLVED_MARK] = 'swiftshader';
    const decision = await decideBackend('auto');
    expect(decision.choice).toBe('cpu');
    expect(decision.line).toBe(
      'cpu: auto chose the CPU reference: the WebGPU adapter (SwiftShader from the installed ' +
        'Chrome or Chromium) renders in software on these same cores, where the CPU reference ' +
        'runs faster; --backend webgpu forces the GPU',
    );
  });

  it('auto without an adapter: the CPU', async () => {
    process.env[RESOLVED_MARK] = 'none';
    expect(await decideBackend('auto')).toEqual({
      choice: 'cpu',
      line: 'cpu: auto chose the CPU reference: no WebGPU adapter here',
    });
  });
});

describe('openSimulation (the library API)', () => {
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    dataset: { ...DEFAULT_CONFIG.dataset, dim: 2, samples: 16, testSamples: 8 },
    n: 8,
  };
  const problem = buildProblem(config);
  const dynamics = dynamicsFromConfig(config);

  // The adapter the test environment found: SwiftShader on a machine without a GPU.
  it.each(['auto', 'webgpu'] as const)('%s takes what auto and the adapter say', async (choice) => {
    const notices: string[] = [];
    const sim = await openSimulation(problem, dynamics, choice, {
      threads: 1,
      notice: (message) => notices.push(message),
    });
    try {
      const software = process.env[RESOLVED_MARK] === 'swiftshader';
      expect(sim.backend).toBe(choice === 'auto' && software ? 'cpu' : 'webgpu');
      if (choice === 'auto' && software) {
        expect(notices).toEqual([
          expect.stringMatching(/^cpu: auto chose the CPU reference: .*--backend webgpu forces/),
        ]);
      } else expect(notices).toEqual([]);
    } finally {
      sim.destroy();
    }
  });
});
