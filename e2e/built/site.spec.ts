// The built site (`npm run build`) as a static host serves it: no COOP/COEP headers, under a
// project path (/mfld/, as GitHub Pages has /REPO/). WebGPU needs nothing; the CPU reference
// gets its shared memory from the service worker (coi-serviceworker), whose first visit
// reloads the page once.
import type { Page } from '@playwright/test';
import { expect, test } from '../study-fixture';

const SMALL = 'n=256&steps=100&logEvery=50&samples=128&testSamples=64';

async function finishedStudy(page: Page): Promise<{ train: number; device: string }> {
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  return {
    train: Number(await page.locator('#train-loss').getAttribute('data-value')),
    device: (await page.locator('#device').textContent()) ?? '',
  };
}

test('the static server sends no isolation headers', async ({ request }) => {
  const response = await request.get('./');
  expect(response.ok()).toBe(true);
  expect(response.headers()['cross-origin-opener-policy']).toBeUndefined();
  expect(response.headers()['cross-origin-embedder-policy']).toBeUndefined();
});

test('a study runs on WebGPU', async ({ studyPage: page }) => {
  await page.goto(`./?${SMALL}&backend=webgpu&autorun=1`);
  const { train, device } = await finishedStudy(page);
  expect(train).toBeGreaterThan(0);
  expect(Number.isFinite(train)).toBe(true);
  expect(device).toContain('on WebGPU');
});

test('a study runs on the CPU reference, isolated by the service worker', async ({
  studyPage: page,
}) => {
  await page.goto(`./?${SMALL}&backend=cpu&autorun=1`);
  const { train, device } = await finishedStudy(page);
  expect(Number.isFinite(train)).toBe(true);
  expect(device).toContain('CPU reference');
  expect(device).toContain('a service worker (coi-serviceworker) adds them');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
});

test('the benchmark runs on both backends', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto('bench/');
  // The first visit reloads once the service worker is in control; fill the form after that.
  await page.waitForFunction(() => crossOriginIsolated, null, { timeout: 30_000 });
  await expect(page.locator('#status')).toHaveText('ready');
  await expect(page.locator('#machine')).toContainText('a service worker (coi-serviceworker)');
  for (const [id, value] of Object.entries({
    sizes: '256',
    dim: '4',
    batch: '8',
    steps: '2',
    repeats: '1',
  }))
    await page.fill(`#${id}`, value);
  await page.click('#run');
  await expect(page.locator('#status')).toHaveText('done', { timeout: 120_000 });
  await expect(page.locator('#error')).toHaveText('');
  await expect(page.locator('#table tbody tr[data-n="256"]')).toHaveCount(1);
  const backends = await page.locator('#table tbody td:nth-child(2)').allTextContents();
  expect(backends.map((name) => name.toLowerCase())).toEqual(
    expect.arrayContaining([expect.stringContaining('gpu'), expect.stringContaining('cpu')]),
  );
  expect(errors).toEqual([]);
});

test.describe('where no service worker can run', () => {
  test.use({ serviceWorkers: 'block' });

  test('the CPU reference says why it cannot run', async ({ page }) => {
    await page.goto(`./?${SMALL}&backend=cpu&autorun=1`);
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'error', {
      timeout: 60_000,
    });
    const status = page.locator('#status');
    await expect(status).toContainText('The CPU reference needs shared memory (SharedArrayBuffer)');
    await expect(status).toContainText('the service worker that adds them did not start');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  });
});
