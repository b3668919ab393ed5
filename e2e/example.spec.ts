// examples/minimal/ runs: WebGPU, a study, its loss drawn. SwiftShader is a CPU driver, so the
// test asks for n = 4096 and 200 steps through the URL instead of the example's 2^20 and 400.
import { expect, test } from './study-fixture';

test('the minimal example runs a study and draws its falling loss', async ({ studyPage: page }) => {
  await page.goto('/examples/minimal/?n=4096&steps=200');
  const status = page.locator('#status');
  await expect(status).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(status).toContainText('n = 4096, step 200');
  const first = Number(await status.getAttribute('data-first'));
  const last = Number(await status.getAttribute('data-last'));
  expect(last).toBeLessThan(first);
  const painted = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#loss')!;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) count++;
    return count;
  });
  expect(painted).toBeGreaterThan(200);
});

test('the minimal example names a bad field of its URL', async ({ page }) => {
  await page.goto('/examples/minimal/?n=0');
  await expect(page.locator('#status')).toContainText('"n" must be an integer from 1');
});
