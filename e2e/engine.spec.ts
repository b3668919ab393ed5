// The engine in a real browser: WebGPU (SwiftShader where there is no GPU) and the CPU
// reference on Web Workers, through e2e/engine-check.html. The Node twin of these checks is
// test/gpu/engine.test.ts; here they prove the bundled page runs the same.
import { expect, test as base, type Page } from '@playwright/test';
import { DEFAULT_CONFIG, type RunConfig } from '../src/contract/config';
import type { EngineCheck } from './engine-check';

const PAGE = '/e2e/engine-check.html';

/** A page on the engine check, failing the test on any console error or uncaught exception. */
const test = base.extend<{ enginePage: Page }>({
  enginePage: async ({ page }, use, testInfo) => {
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') {
        errors.push(`console.error: ${message.text()} (${message.location().url})`);
      }
    });
    page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
    page.on('crash', () => errors.push('the page crashed'));
    await page.goto(PAGE);
    await expect(page.locator('#status')).toHaveText('ready');
    await use(page);
    const screenshot = testInfo.outputPath('engine-check.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    await testInfo.attach('engine-check page', { path: screenshot, contentType: 'image/png' });
    expect(errors, 'console errors and uncaught exceptions on the page').toEqual([]);
  },
});

/** Calls window.engineCheck[name](...args) in the page; a rejection there fails the test. */
function check<K extends keyof EngineCheck>(
  page: Page,
  name: K,
  ...args: Parameters<EngineCheck[K]>
): Promise<Awaited<ReturnType<EngineCheck[K]>>> {
  return page.evaluate(
    ([name, args]) => {
      const engineCheck = window.engineCheck;
      if (!engineCheck) throw new Error('window.engineCheck is not set');
      const fn = engineCheck[name] as (...a: unknown[]) => Promise<unknown>;
      return fn(...args);
    },
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<EngineCheck[K]>>>;
}

function report(title: string, value: unknown): void {
  const text = JSON.stringify(value, null, 2);
  test.info().annotations.push({ type: title, description: JSON.stringify(value) });
  console.log(`${title}: ${text}`);
}

const teacher = (samples: number, testSamples: number): RunConfig['dataset'] => ({
  ...DEFAULT_CONFIG.dataset,
  name: 'teacher',
  samples,
  testSamples,
});

test('the page loads without console errors and navigator.gpu gives an adapter', async ({
  enginePage,
}) => {
  const info = await check(enginePage, 'adapterInfo');
  report('adapter', {
    description: info.description,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    isFallbackAdapter: info.isFallbackAdapter,
    limits: info.limits,
    userAgent: info.userAgent,
  });
  expect(info.description.length).toBeGreaterThan(0);
  expect(info.limits['maxComputeInvocationsPerWorkgroup']).toBeGreaterThanOrEqual(64);
});

test('the page is cross-origin isolated, so the CPU reference has SharedArrayBuffer', async ({
  enginePage,
}) => {
  const isolation = await enginePage.evaluate(() => ({
    crossOriginIsolated: globalThis.crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer,
  }));
  expect(isolation).toEqual({ crossOriginIsolated: true, sharedArrayBuffer: 'function' });
});

test('Philox4x32-10 in WGSL gives the SPEC §3 known answers and matches its CPU twin', async ({
  enginePage,
}) => {
  const philox = await check(enginePage, 'philoxKnownAnswers', [
    [0, 0, 0, 0, 0, 0],
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0],
  ]);
  report('philox', philox);
  expect(philox.knownAnswers).toEqual([
    '6627e8d5 e169c58d bc57ac4c 9b00dbd8',
    '408f276d 41c83b0e a20bc7c6 6d5451fd',
    'd16cfe09 94fdcceb 5001e420 24126ea1',
  ]);
  expect(philox.wordMismatches).toBe(0);
  expect(philox.worstGaussian).toBeLessThan(1e-5);
});

test('GPU and CPU reference (Web Workers) agree on the same seed after 5 steps', async ({
  enginePage,
}) => {
  const config: RunConfig = { ...DEFAULT_CONFIG, dataset: teacher(64, 32), n: 256 };
  const result = await check(enginePage, 'gpuVsCpu', config, 5, 2);
  report('gpuVsCpu', result);
  expect(result.cpuDevice).toContain('2 threads');
  expect(result.initialDifference).toBeLessThan(1e-6);
  expect(result.moved).toBeGreaterThan(1e-2);
  expect(result.worstDifference).toBeLessThan(2e-5);
  const { train, test: heldOut } = result.loss;
  expect(Math.abs(train.gpu - train.cpu) / train.cpu).toBeLessThan(1e-4);
  expect(heldOut).not.toBeNull();
  expect(Math.abs(heldOut!.gpu - heldOut!.cpu) / heldOut!.cpu).toBeLessThan(1e-4);
});

test.describe('exact law with no data (F ≡ 0, SPEC §2) on the GPU', () => {
  // a = τσ²/(2s²) = 0.1; initStd 2 is far from the stationary variance 2s²/(2 − a) ≈ 1.05.
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    dataset: { ...DEFAULT_CONFIG.dataset, name: 'none', dim: 3 },
    n: 4096,
    sigma: 1,
    tau: 0.2,
    priorStd: 1,
    initStd: 2,
  };
  for (const k of [5, 20]) {
    test(`mean 0 and the exact variance after k = ${k} steps, within 5 standard errors`, async ({
      enginePage,
    }) => {
      const law = await check(enginePage, 'exactLaw', config, k);
      report(`exactLaw k=${k}`, law);
      expect(law.k).toBe(k);
      const { samples, expectedVariance: v } = law;
      expect(Math.abs(law.pooledMean)).toBeLessThan(5 * Math.sqrt(v / samples));
      expect(Math.abs(law.pooledVariance - v)).toBeLessThan(5 * v * Math.sqrt(2 / samples));
      // and a chain that did not move would not meet it:
      expect(Math.abs(law.initialVariance - v)).toBeGreaterThan(20 * v * Math.sqrt(2 / samples));
    });
  }
});

test('a teacher network is learnt on the GPU: the training loss falls more than 5×', async ({
  enginePage,
}) => {
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    n: 512,
    steps: 300,
    tau: 0.1,
    batch: 32,
    logEvery: 50,
  };
  const training = await check(enginePage, 'training', config);
  report('training', training);
  const first = training.history[0]!;
  const last = training.history.at(-1)!;
  expect(training.steps).toBe(300);
  expect(last.step).toBe(300);
  for (const entry of training.history) expect(Number.isFinite(entry.train)).toBe(true);
  expect(last.train).toBeLessThan(first.train / 5);
});
