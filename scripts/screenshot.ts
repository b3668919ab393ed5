// Regenerates docs/study-page.png, the README's picture of the study page: a small d = 2 study
// (sine data, no bias, full batch, so the page overlays the exact m*) run to the end in
// headless Chromium against Vite's dev server, then the top of the page captured at a size
// that keeps the file small. `npm run screenshot`; needs the Chrome or Chromium the e2e
// tests use (CHROME_PATH overrides).
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { statSync } from 'node:fs';
import { browserPath, args } from '../playwright.config';

const OUTPUT = 'docs/study-page.png';
const STUDY =
  'dataset=sine&bias=false&batch=full&n=16384&steps=400&logEvery=10&sigma=0.5&tau=0.05' +
  '&samples=128&testSamples=64&backend=cpu&autorun=1';

const server = await createServer({ server: { port: 0, strictPort: false }, logLevel: 'error' });
await server.listen();
const browser = await chromium.launch({ executablePath: browserPath(), args });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1160 } });
  await page.goto(`${server.resolvedUrls!.local[0]}?${STUDY}`);
  await page.locator('#status[data-state="done"]').waitFor({ state: 'attached', timeout: 600_000 });
  await page.screenshot({ path: OUTPUT });
  console.log(`${OUTPUT}: ${Math.round(statSync(OUTPUT).size / 1024)} KiB`);
} finally {
  await browser.close();
  await server.close();
}
