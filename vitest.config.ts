import { defineConfig } from 'vitest/config';
import { resolveWebGpuEnv } from './src/node/webgpu-env.ts';

// Test workers are forked after this runs, so they inherit the environment in which Dawn
// finds an adapter (a real GPU, else SwiftShader from the installed Chromium).
Object.assign(process.env, resolveWebGpuEnv());

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: 'reports/unit.json' }]],
  },
});
