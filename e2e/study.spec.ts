// The study page (index.html at /) in a real browser: WebGPU through SwiftShader here, so the
// studies are small. Each test names its backend: backend=webgpu where it means to cover the
// GPU path, since `auto` leaves a software adapter such as SwiftShader for the CPU reference.
// Each test fails on any console error or uncaught exception.
import type { Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { expect, test } from './study-fixture';

const SMALL = 'n=512&steps=200&logEvery=50&samples=256&testSamples=128&backend=webgpu';

/** Waits for the run to end and returns the final training loss. */
async function finalLoss(page: Page): Promise<number> {
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  return Number(await page.locator('#train-loss').getAttribute('data-value'));
}

test('the page loads with its panel, and WebGPU or the CPU offer', async ({ studyPage: page }) => {
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  await expect(page.locator('#field-n')).toHaveValue('1024');
  await expect(page.locator('#field-dataset')).toHaveValue('teacher');
});

test('a URL reproduces its config in the form fields', async ({ studyPage: page }) => {
  await page.goto('/?dataset=sine&n=300&sigma=0.2&batch=full&activation=relu&bias=false&seed=9');
  await expect(page.locator('#field-dataset')).toHaveValue('sine');
  await expect(page.locator('#field-n')).toHaveValue('300');
  await expect(page.locator('#field-sigma')).toHaveValue('0.2');
  await expect(page.locator('#field-batch')).toHaveValue('full');
  await expect(page.locator('#field-activation')).toHaveValue('relu');
  await expect(page.locator('#field-bias')).not.toBeChecked();
  await expect(page.locator('#field-seed')).toHaveValue('9');
  // and an edit goes back into the URL
  await page.locator('#field-n').fill('640');
  await expect(page).toHaveURL(/[?&]n=640(&|$)/);
});

test('invalid input names the field and blocks the run', async ({ studyPage: page }) => {
  await page.goto('/?tau=-1&autorun=1');
  await expect(page.locator('#error-tau')).toContainText('tau');
  await expect(page.locator('#error-tau')).toContainText('> 0');
  await expect(page.locator('#run')).toBeDisabled();
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'idle');
  // τ past the prior's bound, a check across fields, names τ too
  await page.locator('#field-tau').fill('0.5');
  await expect(page.locator('#run')).toBeEnabled();
  await page.locator('#field-sigma').fill('10');
  await expect(page.locator('#error-tau')).toContainText('must be <');
  await expect(page.locator('#run')).toBeDisabled();
});

test('a small study runs, its loss falls, the heat map is drawn and the exports parse', async ({
  studyPage: page,
}) => {
  await page.goto(`/?${SMALL}&autorun=1`);
  const last = await finalLoss(page);
  const rows = await page.evaluate(() =>
    document.querySelector('#progress')!.getAttribute('data-step'),
  );
  expect(rows).toBe('200');

  // Non-background pixels in the heat map's plot area.
  const painted = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#heatmap')!;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] !== 255 || data[i + 1] !== 255 || data[i + 2] !== 255) count++;
    }
    return count;
  });
  expect(painted).toBeGreaterThan(1000);

  const save = async (name: string): Promise<Buffer> => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name }).click(),
    ]);
    return readFile(await download.path());
  };

  const csv = (await save('Export metrics (CSV)')).toString('utf8').trim().split('\n');
  expect(csv[0]).toBe('step,time,train_loss,test_loss,free_energy');
  expect(csv).toHaveLength(1 + 5);
  const first = Number(csv[1]!.split(',')[2]);
  expect(Number(csv.at(-1)!.split(',')[2])).toBe(last);
  expect(last).toBeLessThan(first / 2);
  for (const line of csv.slice(1)) expect(Number.isFinite(Number(line.split(',')[4]))).toBe(true);

  const npy = await save('Export particles (.npy)');
  const headerLength = npy.readUInt16LE(8);
  const header = npy.subarray(10, 10 + headerLength).toString('latin1');
  // d = dim 4 + bias + c
  expect(header).toContain("'shape': (512, 6)");
  expect(npy.length).toBe(10 + headerLength + 512 * 6 * 4);

  const json = JSON.parse((await save('Export JSON')).toString('utf8')) as Record<string, unknown>;
  expect(json['version']).toEqual(expect.any(String));
  expect(json['adapter']).toEqual(expect.any(String));
  expect((json['config'] as Record<string, unknown>)['n']).toBe(512);
  expect(json['metrics']).toHaveLength(5);
});

test('pause then resume gives the loss of the uninterrupted run', async ({ studyPage: page }) => {
  await page.goto(`/?${SMALL}&autorun=1`);
  const uninterrupted = await finalLoss(page);

  await page.goto(`/?${SMALL}`);
  // Pause in the same task as Run, so that it lands before the run's first chunk however fast
  // the device: two clicks from here would race 200 steps.
  await page.evaluate(() => {
    document.querySelector<HTMLButtonElement>('#run')!.click();
    document.querySelector<HTMLButtonElement>('#pause')!.click();
  });
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'paused', {
    timeout: 60_000,
  });
  const pausedAt = Number(await page.locator('#progress').getAttribute('data-step'));
  expect(pausedAt).toBeLessThan(200);
  await page.locator('#step').click();
  await expect(page.locator('#progress')).toHaveAttribute('data-step', String(pausedAt + 50));
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'paused');
  await page.locator('#run').click();
  const resumed = await finalLoss(page);
  expect(resumed).toBe(uninterrupted);
});

test('the CPU reference (backend cpu) runs a study on Web Workers and draws its heat map', async ({
  studyPage: page,
}) => {
  await page.goto('/?n=256&steps=100&logEvery=50&samples=128&testSamples=64&backend=cpu&autorun=1');
  const last = await finalLoss(page);
  expect(Number.isFinite(last)).toBe(true);
  await expect(page.locator('#device')).toContainText('thread');
  const painted = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#heatmap')!;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] !== 255) count++;
    return count;
  });
  expect(painted).toBeGreaterThan(1000);
});

test('without WebGPU the page says so and offers the CPU reference', async ({
  studyPage: page,
}) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
  await page.goto('/?backend=webgpu');
  await expect(page.locator('#notice')).toContainText('WebGPU is not available');
  await page.getByRole('button', { name: 'Use the CPU reference' }).click();
  await expect(page.locator('#field-backend')).toHaveValue('cpu');
  await expect(page).toHaveURL(/[?&]backend=cpu(&|$)/);
});

test('backend auto runs on the CPU reference where the adapter is software, and says why', async ({
  studyPage: page,
}) => {
  await page.goto('/?n=256&steps=100&logEvery=50&samples=128&testSamples=64&autorun=1');
  await finalLoss(page);
  // Headless Chromium here has SwiftShader only.
  await expect(page.locator('#notice')).toHaveText(
    /^Backend cpu: auto chose the CPU reference: the WebGPU adapter \(.*swiftshader.*\) renders in software .*; backend webgpu forces the GPU\.$/i,
  );
  await expect(page.locator('#device')).toContainText('CPU reference');
});

test('the log-scale toggle redraws the chart, and back', async ({ studyPage: page }) => {
  await page.goto('/?n=256&steps=100&logEvery=50&samples=128&testSamples=64&backend=cpu&autorun=1');
  await finalLoss(page);
  const plot = page.locator('#chart canvas');
  const linear = await plot.screenshot();
  const toggle = page.getByLabel('logarithmic y axis');
  await toggle.check();
  await expect(page.locator('#chart .u-wrap')).toHaveCount(1);
  await expect(page.locator('#chart .u-legend')).toContainText('train loss');
  // Another y axis moves the curves and the tick labels: the drawing must change.
  expect((await plot.screenshot()).equals(linear)).toBe(false);
  await toggle.uncheck();
  await expect(page.locator('#chart .u-wrap')).toHaveCount(1);
  expect((await plot.screenshot()).equals(linear)).toBe(true);
});
