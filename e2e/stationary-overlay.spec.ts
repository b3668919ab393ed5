// The page overlays the exact stationary law m* (mfld stationary's solver) on the particle
// density where it is known (d = 2, full batch), and shows V − V(m*) in the chart; elsewhere
// it draws neither.
import { expect, test } from './study-fixture';

const D2_FULL_BATCH =
  'dataset=sine&bias=false&batch=full&n=1024&steps=60&logEvery=20&sigma=1&tau=0.05' +
  '&samples=64&testSamples=0&backend=cpu&autorun=1';

test('d = 2 with a full batch: m* over the density, and V − V(m*) in the chart', async ({
  studyPage: page,
}) => {
  await page.goto(`/?${D2_FULL_BATCH}`);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(page.locator('#heatmap')).toHaveAttribute('data-stationary', 'drawn');
  await expect(page.locator('#chart')).toContainText('V − V(m*)');
});

test('a minibatch study has no m* to draw', async ({ studyPage: page }) => {
  await page.goto(`/?${D2_FULL_BATCH.replace('batch=full', 'batch=16')}`);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(page.locator('#heatmap')).toHaveAttribute('data-stationary', 'none');
});
