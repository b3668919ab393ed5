// The study page's 3-D view (src/page/cloud-panel.ts): drawn on WebGPU from the particle
// buffer, it paints points, and a drag turns the camera. Pixels are read from screenshots of
// the canvas, decoded by the page itself (an <img> drawn into a 2-D canvas), since a WebGPU
// canvas's drawing buffer is gone once presented. Fails on any console error.
import { expect, test, type Page } from '@playwright/test';

const SMALL = 'n=512&steps=100&logEvery=50&samples=256&testSamples=128';

/** Non-white pixels of each PNG, and pixels that differ between the first two. */
async function pixelStats(
  page: Page,
  pngs: Buffer[],
): Promise<{ painted: number[]; diff: number }> {
  const urls = pngs.map((png) => `data:image/png;base64,${png.toString('base64')}`);
  return page.evaluate(async (sources) => {
    const images = await Promise.all(
      sources.map(async (src) => {
        const image = new Image();
        image.src = src;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.width;
        canvas.height = image.height;
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(image, 0, 0);
        return ctx.getImageData(0, 0, image.width, image.height).data;
      }),
    );
    const painted = images.map((data) => {
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i]! < 240 || data[i + 1]! < 240 || data[i + 2]! < 240) count++;
      }
      return count;
    });
    let diff = 0;
    const [a, b] = images;
    if (a && b && a.length === b.length) {
      for (let i = 0; i < a.length; i += 4) {
        if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) diff++;
      }
    }
    return { painted, diff };
  }, urls);
}

/** Whether this browser can present a WebGPU canvas and keep its device (SwiftShader under
 *  headless Chromium loses the device's connection on presenting, in some builds). */
async function canPresent(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const device = await (await navigator.gpu.requestAdapter())!.requestDevice();
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('webgpu')!;
    context.configure({ device, format: navigator.gpu.getPreferredCanvasFormat() });
    const encoder = device.createCommandEncoder();
    const view = context.getCurrentTexture().createView();
    encoder
      .beginRenderPass({ colorAttachments: [{ view, loadOp: 'clear', storeOp: 'store' }] })
      .end();
    device.queue.submit([encoder.finish()]);
    await new Promise((done) => requestAnimationFrame(done));
    const buffer = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ });
    try {
      await buffer.mapAsync(GPUMapMode.READ);
      return true;
    } catch {
      return false;
    } finally {
      device.destroy();
    }
  });
}

const frames = async (page: Page): Promise<number> =>
  Number((await page.locator('#cloud').getAttribute('data-frames')) ?? 0);

test('the 3-D view draws the particles on WebGPU and a drag turns it', async ({
  page,
}, testInfo) => {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));

  await page.goto('/e2e/engine-check.html');
  test.skip(
    !(await canPresent(page)),
    'this browser loses the WebGPU device on presenting a canvas',
  );
  await page.goto(`/?${SMALL}&backend=webgpu&autorun=1`);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await page.locator('#cloud-enable').check();
  await expect.poll(() => frames(page)).toBeGreaterThan(0);
  const canvas = page.locator('#cloud');
  await canvas.scrollIntoViewIfNeeded();
  await expect(page.locator('#cloud-note')).toBeEmpty();
  await expect(canvas).toHaveAttribute('aria-label', /512 particles at step 100/);

  const before = await canvas.screenshot();
  await testInfo.attach('3-D view', { body: before, contentType: 'image/png' });

  const drawn = await frames(page);
  const box = (await canvas.boundingBox())!;
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx + 120, cy + 40, { steps: 6 });
  await page.mouse.up();
  await expect.poll(() => frames(page)).toBeGreaterThan(drawn);
  // Let the last scheduled frame land before the screenshot.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => done(null))));
  const after = await canvas.screenshot();
  await testInfo.attach('3-D view after a drag', { body: after, contentType: 'image/png' });

  const { painted, diff } = await pixelStats(page, [before, after]);
  // At least a few hundred of the 512 points, each a few pixels across, are on screen.
  expect(painted[0]).toBeGreaterThan(500);
  expect(painted[1]).toBeGreaterThan(500);
  expect(diff).toBeGreaterThan(200);

  // A colour picker redraws too (keyboard camera: the arrow keys).
  await page.locator('#cloud-colour').selectOption('alpha');
  await canvas.focus();
  const keyed = await frames(page);
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => frames(page)).toBeGreaterThan(keyed);

  expect(errors, 'console errors and uncaught exceptions on the page').toEqual([]);
});

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
