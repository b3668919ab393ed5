// The study page's experiments panel (sweeps over n and σ) and the f(z) plot of a 1-D data
// set, in a real browser (WebGPU through SwiftShader here, so everything is tiny). Each test
// fails on any console error or uncaught exception, and attaches a screenshot.
import type { Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { expect, test } from './study-fixture';

const TINY = 'steps=40&logEvery=20&samples=64&testSamples=32';

/** Non-white pixels of a canvas. */
function painted(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const canvas = document.querySelector<HTMLCanvasElement>(sel)!;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] !== 255 || data[i + 1] !== 255 || data[i + 2] !== 255) count++;
    }
    return count;
  }, selector);
}

async function runSweep(page: Page, over: string, values: string, seeds = '1'): Promise<void> {
  await page.locator('#sweep-over').selectOption(over);
  await page.locator('#sweep-values').fill(values);
  await page.locator('#sweep-seeds').fill(seeds);
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(page.locator('#sweep-status')).toHaveAttribute('data-state', 'done', {
    timeout: 150_000,
  });
}

test('an n sweep finishes with a row per value, a chart, a finite slope and the exports', async ({
  studyPage: page,
}) => {
  await page.goto(`/?${TINY}`);
  await runSweep(page, 'n', '64, 2^7');
  await expect(page.locator('#sweep-rows tr')).toHaveCount(2);
  await expect(page.locator('#sweep-rows tr[data-value="64"]')).toBeVisible();
  await expect(page.locator('#sweep-rows tr[data-value="128"]')).toBeVisible();
  const slope = Number(await page.locator('#sweep-slope').getAttribute('data-value'));
  expect(Number.isFinite(slope)).toBe(true);
  await expect(page.locator('#sweep-slope')).toContainText('slope');
  // The teacher set has d = 6: no exact m*, so the gap is to the largest n, and says so.
  await expect(page.locator('#sweep-gap')).toHaveAttribute('data-kind', 'largest-n');
  await expect(page.locator('#sweep-gap')).toContainText(
    'Gap to the largest n (128): n 64: F − F_ref',
  );
  await expect(page.locator('#sweep-chart canvas')).toHaveCount(1);
  // Two means and the fit's two points are in the chart's data.
  await expect(page.locator('#sweep-chart .u-legend')).toContainText('least-squares fit');

  const csvDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export sweep (CSV)' }).click();
  const csv = await readFile(await (await csvDownload).path(), 'utf8');
  const lines = csv.trim().split('\n');
  expect(lines[0]).toBe('n,seed,status,steps,train_loss,test_loss,seconds,free_energy');
  expect(lines).toHaveLength(3);

  const jsonDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export JSON' }).click();
  const json = JSON.parse(await readFile(await (await jsonDownload).path(), 'utf8'));
  expect(json.sweep.over).toBe('n');
  expect(json.sweep.runs).toHaveLength(2);
  expect(json.sweep.fit.slope).toBeCloseTo(slope, 10);
  expect(json.sweep.gap.reference).toMatchObject({ kind: 'largest-n', n: 128 });
  expect(json.sweep.gap.rows).toHaveLength(1);
});

test('an n sweep of a d = 2 full-batch study measures its gap to the exact m*', async ({
  studyPage: page,
}) => {
  await page.goto(
    '/?dataset=sine&bias=false&batch=full&sigma=1&tau=0.05&steps=40&logEvery=20&samples=32&testSamples=0',
  );
  await runSweep(page, 'n', '32, 128', '2');
  await expect(page.locator('#sweep-gap')).toHaveAttribute('data-kind', 'stationary');
  await expect(page.locator('#sweep-gap')).toContainText('Gap to the exact m*: n 32:');
  await expect(page.locator('#sweep-gap')).toContainText('Variance part against n: slope');
});

test('a σ sweep of two values finishes with final loss and free energy', async ({
  studyPage: page,
}) => {
  await page.goto(`/?n=64&${TINY}`);
  await runSweep(page, 'sigma', '0.05,0.2');
  await expect(page.locator('#sweep-rows tr')).toHaveCount(2);
  const cells = await page.locator('#sweep-rows tr').first().locator('td').allTextContents();
  expect(Number(cells[2])).toBeGreaterThan(0);
  expect(Number.isFinite(Number(cells[5]))).toBe(true);
  await expect(page.locator('#sweep-chart .u-legend')).toContainText('free energy');
});

test('invalid sweep values show a message and block the sweep', async ({ studyPage: page }) => {
  await page.goto(`/?${TINY}`);
  await page.locator('#sweep-values').fill('64,0');
  await expect(page.locator('#sweep-error')).toContainText('value 0');
  await expect(page.locator('#sweep-error')).toContainText('"n"');
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeDisabled();
  await page.locator('#sweep-values').fill('64,abc');
  await expect(page.locator('#sweep-error')).toContainText('value abc');
  await page.locator('#sweep-values').fill(String(2 ** 21));
  await expect(page.locator('#sweep-error')).toContainText('2^20');
  await page.locator('#sweep-values').fill('64,64');
  await expect(page.locator('#sweep-error')).toContainText('twice');
  await page.locator('#sweep-values').fill('64');
  await page.locator('#sweep-seeds').fill('0');
  await expect(page.locator('#sweep-error')).toContainText('seeds');
  await page.locator('#sweep-seeds').fill('1');
  await expect(page.locator('#sweep-error')).toBeEmpty();
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeEnabled();
  await page.locator('#sweep-over').selectOption('sigma');
  await expect(page.locator('#sweep-values')).toHaveValue('64');
  await page.locator('#sweep-values').fill('-1');
  await expect(page.locator('#sweep-error')).toContainText('sigma');
});

test('for the sine data set the f(z) plot is drawn after a short run', async ({
  studyPage: page,
}) => {
  await page.goto(`/?dataset=sine&n=128&${TINY}&autorun=1`);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(page.locator('#function-plot')).toHaveAttribute('data-drawn', 'true');
  expect(await painted(page, '#function-plot')).toBeGreaterThan(1000);
  await expect(page.locator('#function-note')).toBeEmpty();
});
