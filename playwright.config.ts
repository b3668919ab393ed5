// Headless browser tests of the WebGPU engine (e2e/): an installed Chrome or Chromium, never a
// downloaded one, with WebGPU on (SwiftShader where there is no GPU), against Vite's dev
// server, which serves e2e/engine-check.html with the COOP/COEP headers of vite.config.ts;
// e2e/built/ against the built site on a static server without them.
import { defineConfig } from '@playwright/test';
import { existsSync } from 'node:fs';

// MFLD_E2E_PORT lets two checkouts run their browser tests side by side, each with its own server.
const PORT = Number(process.env['MFLD_E2E_PORT'] ?? 5183);
const BASE_URL = `http://localhost:${PORT}`;
// The built site (`npm run build`, in site/) on a plain static server that sends no COOP/COEP
// headers, under a path as a GitHub Pages project site is: e2e/built/ runs against it.
const STATIC_PORT = Number(process.env['MFLD_E2E_STATIC_PORT'] ?? PORT + 1);
const STATIC_URL = `http://localhost:${STATIC_PORT}/mfld/`;

const BROWSER_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
];

/** CHROME_PATH or PLAYWRIGHT_CHROMIUM_PATH, else the first installed Chrome or Chromium. */
export function browserPath(): string {
  for (const name of ['CHROME_PATH', 'PLAYWRIGHT_CHROMIUM_PATH']) {
    const path = process.env[name];
    if (path) {
      if (!existsSync(path)) throw new Error(`${name}=${path}: no such file`);
      return path;
    }
  }
  const found = BROWSER_PATHS.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      'e2e tests need an installed Chrome or Chromium (Debian/Ubuntu: apt-get install chromium), ' +
        'or its path in CHROME_PATH; Playwright browser downloads are not used. Looked in:\n  ' +
        BROWSER_PATHS.join('\n  '),
    );
  }
  return found;
}

// WebGPU is off by default on Linux; with this flag Chromium offers SwiftShader's Vulkan as a
// fallback adapter where there is no GPU (--enable-features=Vulkan is not needed for that).
export const args = ['--enable-unsafe-webgpu'];
if (process.getuid?.() === 0) {
  // Chromium refuses to run as root inside its sandbox; and nothing should phone home from CI.
  args.push(
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  );
}

export default defineConfig({
  testDir: 'e2e',
  // SwiftShader runs the shaders on the CPU: slow, so the limits are generous.
  timeout: 180_000,
  expect: { timeout: 30_000 },
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env['CI'],
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'reports/e2e.json' }]],
  use: {
    baseURL: BASE_URL,
    headless: true,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      testIgnore: 'built/**',
      use: {
        browserName: 'chromium',
        launchOptions: { executablePath: browserPath(), args },
      },
    },
    {
      name: 'built-site',
      testMatch: 'built/**/*.spec.ts',
      use: {
        baseURL: STATIC_URL,
        browserName: 'chromium',
        launchOptions: { executablePath: browserPath(), args },
      },
    },
  ],
  webServer: [
    {
      command: `npx vite --port ${PORT} --strictPort`,
      url: `${BASE_URL}/e2e/engine-check.html`,
      reuseExistingServer: !process.env['CI'],
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `npx vite build --logLevel error && node e2e/static-server.mjs site ${STATIC_PORT} /mfld/`,
      url: STATIC_URL,
      reuseExistingServer: !process.env['CI'],
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
