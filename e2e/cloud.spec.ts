// The study page's 3-D view (src/page/cloud-panel.ts). Its drawing is tested in Node by
// test/gpu/point-cloud.test.ts, rendering into an offscreen texture: headless Chromium on
// SwiftShader loses its WebGPU device when a WebGPU canvas is presented, so a browser test
// of the pixels could not pass here. This checks what the page says where it cannot draw.
import { expect, test } from '@playwright/test';

test('on the CPU backend the 3-D view says it needs WebGPU', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  await page.goto('/?n=256&steps=20&logEvery=10&samples=128&testSamples=64&backend=cpu&autorun=1');
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(page.locator('#cloud-note')).toContainText('not available on the CPU backend');
  expect(errors).toEqual([]);
});
