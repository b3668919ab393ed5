// The study page's tests share this: a page that fails its test on any console error or
// uncaught exception, and leaves a full-page screenshot as an artefact.
import { expect, test as base, type Page } from '@playwright/test';

export const test = base.extend<{ studyPage: Page }>({
  studyPage: async ({ page }, use, testInfo) => {
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
    await use(page);
    const screenshot = testInfo.outputPath('study.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    await testInfo.attach('study page', { path: screenshot, contentType: 'image/png' });
    expect(errors, 'console errors and uncaught exceptions on the page').toEqual([]);
  },
});

export { expect };
