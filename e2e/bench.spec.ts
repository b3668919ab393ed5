// The benchmark page (/bench/) in a real browser: WebGPU (SwiftShader where there is no GPU)
// and the CPU reference and CPU limits on Web Workers. Tiny sizes: SwiftShader is a CPU driver.
import { expect, test as base, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';

/** The page, ready, failing the test on any console error or uncaught exception. */
const test = base.extend<{ benchPage: Page }>({
  benchPage: async ({ page }, use, testInfo) => {
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error')
        errors.push(`console.error: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
    page.on('crash', () => errors.push('the page crashed'));
    await page.goto('/bench/');
    await expect(page.locator('#status')).toHaveText('ready');
    await use(page);
    const screenshot = testInfo.outputPath('bench-page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    await testInfo.attach('bench page', { path: screenshot, contentType: 'image/png' });
    expect(errors, 'console errors and uncaught exceptions on the page').toEqual([]);
  },
});

async function fill(
  page: Page,
  fields: Partial<
    Record<
      'sizes' | 'dim' | 'batch' | 'steps' | 'repeats' | 'threads' | 'lanes' | 'group-chunks',
      string
    >
  >,
): Promise<void> {
  for (const [id, value] of Object.entries(fields)) await page.fill(`#${id}`, value);
}

async function downloaded(page: Page, button: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  return readFileSync(await download.path(), 'utf8');
}

test('runs tiny sizes: a table row per size, charts, JSON and CSV downloads', async ({
  benchPage: page,
}) => {
  test.setTimeout(150_000);
  await fill(page, { sizes: '256, 512', dim: '4', batch: '8', steps: '2', repeats: '2' });
  await page.click('#run');
  await expect(page.locator('#status')).toHaveText('done', { timeout: 120_000 });
  await expect(page.locator('#error')).toHaveText('');
  await expect(page.locator('#progress')).toHaveJSProperty('value', 1);

  await expect(page.locator('#table tbody tr[data-n="256"]')).toHaveCount(1);
  await expect(page.locator('#table tbody tr[data-n="512"]')).toHaveCount(1);
  for (const chart of ['#chart-throughput', '#chart-time']) {
    const canvas = page.locator(`${chart} canvas`);
    await expect(canvas).toHaveCount(1);
    const box = await canvas.boundingBox();
    expect(box?.width).toBeGreaterThan(0);
    expect(box?.height).toBeGreaterThan(0);
  }

  // The fitted exponents are drawn on the time chart and named in its legend.
  await expect(page.locator('#chart-time .u-legend')).toContainText(/GPU fit ∝ n\^-?\d\.\d{3}/);
  await expect(page.locator('#chart-time .u-legend')).toContainText(/CPU fit ∝ n\^-?\d\.\d{3}/);

  const json = JSON.parse(await downloaded(page, '#download-json'));
  for (const key of ['vendor', 'architecture', 'description'])
    expect(json.adapter.info).toHaveProperty(key);
  expect(json.browser.userAgent).toMatch(/Chrom/);
  expect(json.engine).toMatchObject({ workgroupSize: 64, laneParticles: 4 });
  expect(json.cpu.logicalCores).toBeGreaterThanOrEqual(1);
  expect(json.config).toMatchObject({ sizes: [256, 512], d: 4, batch: 8, steps: 2, repeats: 2 });
  for (const device of ['gpu', 'cpu']) {
    expect(json.limits[device].gflops).toBeGreaterThan(0);
    expect(json.limits[device].gbps).toBeGreaterThan(0);
    // The limit is the best of a sweep: its winning kernel is named, and none beat it.
    const { fmaConfig, fmaSweep } = json.limitDetails[device];
    expect(json.limits[device].fmaConfig).toBe(fmaConfig);
    for (const kernel of fmaSweep)
      expect(json.limits[device].gflops).toBeGreaterThanOrEqual(kernel.gflops.value);
  }
  // What backend auto takes on this adapter (SwiftShader here: the CPU reference), and why.
  await expect(page.locator('#summary')).toContainText(/auto +cpu: auto chose the CPU reference: /);
  // The page names each limit's kernel beside it.
  await expect(page.locator('#summary')).toContainText(
    /GPU [\d.]+ GFLOP\/s \(\d+ vec4 chains, workgroup \d+, (fma\(\)|a \* m \+ c)\)/,
  );
  await expect(page.locator('#summary')).toContainText(
    /CPU [\d.]+ GFLOP\/s \((JavaScript float64|WebAssembly f(64x2|32x4)), /,
  );
  expect(json.sizes.map((size: { n: number }) => size.n)).toEqual([256, 512]);
  for (const size of json.sizes) {
    expect(size.agreement.ok).toBe(true);
    expect(size.gpu.particleStepsPerSecond).toBeGreaterThan(0);
    expect(size.cpu.particleStepsPerSecond).toBeGreaterThan(0);
    expect(size.gpu.fractionOfLimit).toBeGreaterThan(0);
    expect(size.cpu.fractionOfLimit).toBeGreaterThan(0);
    // The FMA limit measured again after each timed block (what fractionOfLimit divides by).
    expect(size.gpu.limitGflops.min).toBeGreaterThan(0);
    expect(size.cpu.limitGflops.min).toBeLessThanOrEqual(size.cpu.limitGflops.max);
    expect(size.gpu.blockLimitGflops).toHaveLength(2);
    expect(size.gpu.blockStarts).toHaveLength(2);
    expect(size.ratio).toBeGreaterThan(0);
    expect(size.gpu.secondsPerStep.min).toBeLessThanOrEqual(size.gpu.secondsPerStep.max);
  }
  // Timed round by round: the GPU at both sizes, then the CPU, before the next round.
  const [small, large] = json.sizes;
  expect(large.gpu.blockStarts[0]).toBeLessThan(small.cpu.blockStarts[0]);
  expect(large.cpu.blockStarts[0]).toBeLessThan(small.gpu.blockStarts[1]);
  // Each exponent is the median of its rounds' own (two here: their mean), and finite.
  for (const { exponent, rounds } of [json.exponents.gpu, json.exponents.cpu]) {
    expect(rounds).toHaveLength(2);
    expect(rounds.every(Number.isFinite)).toBe(true);
    expect(exponent).toBeCloseTo((rounds[0] + rounds[1]) / 2, 9);
  }

  const csv = (await downloaded(page, '#download-csv')).trim().split('\n');
  expect(csv).toHaveLength(3);
  expect(csv[0]).toMatch(/^n,gpu_seconds_per_step_median,.*gpu_cpu_ratio/);
  expect(csv[1]).toMatch(/^256,/);
  expect(csv[2]).toMatch(/^512,/);
});

test('refuses a size past the adapter, and bad inputs, with clear messages', async ({
  benchPage: page,
}) => {
  await fill(page, { sizes: '256, 2000000000', dim: '4', batch: '8', steps: '2', repeats: '2' });
  await page.click('#run');
  await expect(page.locator('#status')).toHaveText('refused');
  await expect(page.locator('#error')).toContainText('n = 2000000000 is past this adapter');
  await expect(page.locator('#error')).toContainText('largest n that fits');
  await expect(page.locator('#results')).toBeHidden();

  const cases: [Parameters<typeof fill>[1], string][] = [
    [{ sizes: '256, abc' }, 'size "abc" must be a whole number'],
    [{ sizes: ' , ' }, 'sizes: give at least one particle count'],
    [{ sizes: '256', dim: '2' }, 'dim d must be a whole number from 3 to 256'],
    [{ dim: '4', batch: '0' }, 'batch B must be a whole number'],
    [{ batch: '8', repeats: '1.5' }, 'repeats must be a whole number from 1 to 1000'],
    [{ repeats: '2', lanes: '3' }, 'particles per invocation must be 1, 2, 4 or auto'],
    [{ lanes: '', 'group-chunks': '0' }, 'chunks per workgroup (or auto) must be a whole number'],
  ];
  for (const [fields, message] of cases) {
    await fill(page, fields);
    await page.click('#run');
    await expect(page.locator('#status')).toHaveText('invalid input');
    await expect(page.locator('#error')).toContainText(message);
  }
});

test('a link sets the fields and autorun runs them; a bad link runs nothing', async ({
  benchPage: page,
}) => {
  test.setTimeout(120_000);
  await page.goto('/bench/?sizes=256,512&dim=4&batch=8&steps=2&repeats=1&skip-cpu=1&autorun=1');
  await expect(page.locator('#status')).toHaveText('done', { timeout: 100_000 });
  await expect(page.locator('#dim')).toHaveValue('4');
  await expect(page.locator('#skip-cpu')).toBeChecked();
  await expect(page.locator('#table tbody tr[data-n="512"]')).toHaveCount(1);
  // GPU only, as the link asked: no CPU rows.
  await expect(page.locator('#table tbody')).not.toContainText('cpu');
  // The address bar now holds every field: opening it again is the same benchmark.
  const query = new URL(page.url()).searchParams;
  expect(Object.fromEntries(query)).toMatchObject({
    sizes: '256,512',
    dim: '4',
    batch: '8',
    steps: '2',
    repeats: '1',
    'skip-cpu': '1',
    lanes: '',
    'group-chunks': '',
  });

  await page.goto('/bench/?size=512&autorun=1');
  await expect(page.locator('#status')).toHaveText('invalid URL');
  await expect(page.locator('#error')).toContainText('unknown URL parameter "size"');
  await expect(page.locator('#results')).toBeHidden();

  await page.goto('/bench/?sizes=256&dim=2&autorun=1');
  await expect(page.locator('#status')).toHaveText('invalid input');
  await expect(page.locator('#error')).toContainText('dim d must be a whole number from 3 to 256');
  await expect(page.locator('#results')).toBeHidden();
});

test('Stop ends the run after its current round and shows the rounds done', async ({
  benchPage: page,
}) => {
  test.setTimeout(120_000);
  // Enough rounds (each a fraction of a second here) that Stop lands well before the last:
  // it is clicked once the status shows round 2 or a later one.
  await fill(page, { sizes: '256, 512', dim: '4', batch: '8', steps: '1', repeats: '200' });
  await page.check('#skip-cpu');
  await page.click('#run');
  await expect(page.locator('#status')).toContainText(/round ([2-9]|\d{2,}) of 200/, {
    timeout: 100_000,
  });
  await page.click('#stop');
  await expect(page.locator('#status')).toHaveText('stopped', { timeout: 60_000 });
  await expect(page.locator('#notices')).toContainText(/stopped after \d+ of 200 rounds/);
  await expect(page.locator('#table tbody tr[data-n="512"]')).toHaveCount(1);
  await expect(page.locator('#stop')).toBeDisabled();
  await expect(page.locator('#run')).toBeEnabled();
  const json = JSON.parse(await downloaded(page, '#download-json'));
  // Stopped during round 2 or later, soon after: the rounds done, not all 200.
  expect(json.roundsTimed).toBeGreaterThanOrEqual(2);
  expect(json.roundsTimed).toBeLessThan(200);
  expect(json.sizes[0].gpu.blocks).toBe(json.roundsTimed);
});
