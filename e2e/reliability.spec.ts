// The study page's checkpoints and its recovery from GPU failures, in a real browser (WebGPU on
// SwiftShader here, so the runs are small): a checkpoint saved by the page resumes after a
// reload to the uninterrupted run, and one of the CLI's resumes in the page and back; damaged
// or mismatching files are refused with the reason; a device lost mid-run (destroyed by the
// test) or an uncaptured WebGPU error stops the run, and "Restart from step K" finishes it on
// a new device. Each test fails on any console error or uncaught exception.
import type { Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { parseConfigObject } from '../src/contract/config-parse';
import { buildProblem } from '../src/data/datasets';
import { decodeCheckpoint, encodeCheckpoint, problemCrc32 } from '../src/io/checkpoint';
import { expect, test } from './study-fixture';

const SMALL = 'n=512&steps=200&logEvery=50&samples=256&testSamples=128&backend=webgpu';

async function waitDone(page: Page): Promise<void> {
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
}

async function save(page: Page, name: string | RegExp): Promise<Buffer> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name }).click(),
  ]);
  return readFile(await download.path());
}

/** The training loss by step, from the page's metrics export. */
async function trainLosses(page: Page): Promise<Map<number, number>> {
  const lines = (await save(page, 'Export metrics (CSV)')).toString('utf8').trim().split('\n');
  return new Map(
    lines.slice(1).map((line) => {
      const [step, , train] = line.split(',');
      return [Number(step), Number(train)];
    }),
  );
}

/** Same steps, and losses within 1e-6 relative (bit for bit is what we expect). */
function expectSameLosses(actual: Map<number, number>, expected: Map<number, number>): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [step, loss] of expected) {
    const got = actual.get(step)!;
    expect(Math.abs(got - loss), `train loss at step ${step}`).toBeLessThanOrEqual(
      1e-6 * Math.abs(loss),
    );
  }
}

/**
 * Steps the page's run one log interval at a time (the Step button) up to each of `steps`,
 * pausing at each: a known step however fast the device, where a running study would race it.
 */
async function pauseAt(page: Page, steps: readonly number[]): Promise<void> {
  for (const step of steps) {
    await page.locator('#step').click();
    await expect(page.locator('#progress')).toHaveAttribute('data-step', String(step));
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'paused');
  }
}

/** A valid checkpoint made here in Node: random particles of a small CPU study at step 40. */
function nodeCheckpoint(): Uint8Array {
  const config = parseConfigObject({
    n: 64,
    steps: 100,
    logEvery: 20,
    samples: 64,
    testSamples: 32,
    backend: 'cpu',
  });
  const d = buildProblem(config).p + 1;
  const particles = Float32Array.from({ length: 64 * d }, (_, i) => Math.sin(i) * 0.5);
  return encodeCheckpoint({
    config,
    step: 40,
    n: 64,
    d,
    particles,
    lossHistory: [0, 20, 40].map((step) => ({ step, time: step * 0.1, train: 1, test: 1 })),
    backend: 'cpu',
    device: 'node test',
    dataCrc32: problemCrc32(buildProblem(config)),
  });
}

/** Stores every GPUDevice the page opens on window.__devices, for the test to destroy. */
async function captureDevices(page: Page): Promise<void> {
  await page.addInitScript(() => {
    if (typeof GPUAdapter === 'undefined') return;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .apply(this) below
    const requestDevice = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = async function (
      this: GPUAdapter,
      ...args: Parameters<GPUAdapter['requestDevice']>
    ): Promise<GPUDevice> {
      const device = await requestDevice.apply(this, args);
      const w = window as unknown as { __devices?: GPUDevice[] };
      (w.__devices ??= []).push(device);
      return device;
    };
  });
}

const deviceCount = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { __devices?: GPUDevice[] }).__devices?.length ?? 0);

test('a checkpoint saved at step 100 resumes after a reload to the uninterrupted run', async ({
  studyPage: page,
}, testInfo) => {
  await page.goto(`/?${SMALL}&autorun=1`);
  await waitDone(page);
  const whole = await trainLosses(page);

  await page.goto(`/?${SMALL}`);
  await expect(page.getByRole('button', { name: 'Save checkpoint' })).toBeDisabled();
  await pauseAt(page, [50, 100]);
  const bytes = await save(page, 'Save checkpoint');
  const checkpoint = decodeCheckpoint(new Uint8Array(bytes), 'page.ckpt');
  expect(checkpoint.step).toBe(100);
  expect(checkpoint.n).toBe(512);
  expect(checkpoint.backend).toBe('webgpu');
  expect(checkpoint.lossHistory.map((entry) => entry.step)).toEqual([0, 50, 100]);
  expect(checkpoint.lossHistory[2]!.train).toBe(whole.get(100));
  const file = testInfo.outputPath('page-step100.ckpt');
  await writeFile(file, bytes);

  // A fresh page with the default panel takes the checkpoint's config and step.
  await page.goto('/');
  await page.locator('#load-checkpoint').setInputFiles(file);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'paused');
  await expect(page.locator('#status')).toContainText('resumed at step 100');
  await expect(page.locator('#progress')).toHaveAttribute('data-step', '100');
  await expect(page.locator('#field-n')).toHaveValue('512');
  await expect(page).toHaveURL(/[?&]n=512(&|$)/);
  await expect(page.locator('#checkpoint-error')).toBeEmpty();
  await page.locator('#run').click();
  await waitDone(page);
  expectSameLosses(await trainLosses(page), whole);
});

test('damaged or mismatching checkpoints are refused with the reason', async ({
  studyPage: page,
}, testInfo) => {
  const good = nodeCheckpoint();
  const flipped = good.slice();
  flipped[flipped.length - 3]! ^= 0x10;
  const otherData = decodeCheckpoint(good, 'good.ckpt');
  const cases: [string, Uint8Array, string][] = [
    ['flipped.ckpt', flipped, 'flipped.ckpt: checksum mismatch: the file is corrupted'],
    [
      'truncated.ckpt',
      good.subarray(0, good.length - 100),
      'truncated.ckpt: the file is truncated',
    ],
    ['notes.txt', new TextEncoder().encode('hello'), 'notes.txt: not an mfld checkpoint'],
    [
      'other-data.ckpt',
      encodeCheckpoint({ ...otherData, dataCrc32: (otherData.dataCrc32 + 1) >>> 0 }),
      'other-data.ckpt: the data set differs from the data the checkpoint was trained on',
    ],
  ];

  await page.goto('/?n=300');
  for (const [name, bytes, message] of cases) {
    const file = testInfo.outputPath(name);
    await writeFile(file, bytes);
    await page.locator('#load-checkpoint').setInputFiles(file);
    await expect(page.locator('#checkpoint-error')).toContainText(message);
    // Refused before anything changed.
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'idle');
    await expect(page.locator('#field-n')).toHaveValue('300');
  }

  // The intact file loads, and clears the message.
  const file = testInfo.outputPath('good.ckpt');
  await writeFile(file, good);
  await page.locator('#load-checkpoint').setInputFiles(file);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'paused');
  await expect(page.locator('#progress')).toHaveAttribute('data-step', '40');
  await expect(page.locator('#field-n')).toHaveValue('64');
  await expect(page.locator('#checkpoint-error')).toBeEmpty();
});

test('a CLI checkpoint resumes in the page, and a page checkpoint in the CLI', async ({
  studyPage: page,
}, testInfo) => {
  const config = [
    '--backend=cpu',
    '--n=128',
    '--samples=128',
    '--test-samples=64',
    '--log-every=50',
  ];
  const mfld = (...args: string[]): void => {
    const result = spawnSync(process.execPath, ['bin/mfld.mjs', 'run', '--threads=2', ...args], {
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
  };
  const finalLoss = async (path: string): Promise<number> =>
    (JSON.parse(await readFile(path, 'utf8')) as { final: { loss: { train: number } } }).final.loss
      .train;
  const cliFile = testInfo.outputPath('cli-step100.ckpt');
  const wholeJson = testInfo.outputPath('whole.json');
  mfld(...config, '--steps=200', `--json=${wholeJson}`);
  mfld(...config, '--steps=100', `--checkpoint=${cliFile}`);
  const whole = await finalLoss(wholeJson);

  // CLI → page: the checkpoint ended its run at 100 steps; the page goes on to 200.
  await page.goto('/');
  await page.locator('#load-checkpoint').setInputFiles(cliFile);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'done');
  await expect(page.locator('#field-backend')).toHaveValue('cpu');
  await page.locator('#field-steps').fill('200');
  await page.locator('#step').click();
  await expect(page.locator('#progress')).toHaveAttribute('data-step', '150');
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'paused');
  const pageFile = testInfo.outputPath('page-step150.ckpt');
  await writeFile(pageFile, await save(page, 'Save checkpoint'));
  await page.locator('#run').click();
  await waitDone(page);
  const losses = await trainLosses(page);
  expect([...losses.keys()]).toEqual([0, 50, 100, 150, 200]);
  expect(Math.abs(losses.get(200)! - whole)).toBeLessThanOrEqual(1e-6 * whole);

  // page → CLI: a resumed run keeps the checkpoint's config
  const resumedJson = testInfo.outputPath('resumed.json');
  mfld('--steps=200', `--resume=${pageFile}`, `--json=${resumedJson}`);
  const resumed = await finalLoss(resumedJson);
  expect(Math.abs(resumed - whole)).toBeLessThanOrEqual(1e-6 * whole);
});

test('a device lost mid-run stops the run, and Restart from step K finishes it', async ({
  studyPage: page,
}, testInfo) => {
  const study = 'n=512&steps=600&logEvery=50&samples=256&testSamples=128&backend=webgpu';
  await page.goto(`/?${study}&autorun=1`);
  await waitDone(page);
  const whole = await trainLosses(page);

  await captureDevices(page);
  await page.goto(`/?${study}`);
  await pauseAt(page, [50, 100]);
  expect(await deviceCount(page)).toBe(1);
  // Resumed and lost in one task: the loss lands in the chunk after step 100 however fast the
  // device, and nothing is read back from a destroyed device, so 100 is the last good step.
  await page.evaluate(() => {
    document.querySelector<HTMLButtonElement>('#run')!.click();
    (window as unknown as { __devices: GPUDevice[] }).__devices[0]!.destroy();
  });

  await expect(page.locator('#status')).toHaveAttribute('data-state', 'error');
  await expect(page.locator('#status')).toContainText('the GPU device was lost');
  const restart = page.getByRole('button', { name: /^Restart from step \d+$/ });
  await expect(restart).toBeEnabled();
  await expect(restart).toHaveText('Restart from step 100');

  const screenshot = testInfo.outputPath('device-lost.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  await testInfo.attach('device lost', { path: screenshot, contentType: 'image/png' });
  const kept = decodeCheckpoint(new Uint8Array(await save(page, /^Download checkpoint/)), 'kept');
  expect(kept.step).toBe(100);

  await restart.click();
  await waitDone(page);
  expect(await deviceCount(page)).toBe(2);
  await expect(page.locator('#recovery')).toBeHidden();
  expectSameLosses(await trainLosses(page), whole);
});

test('an uncaptured WebGPU error is shown, stops the run, and the run restarts', async ({
  studyPage: page,
}) => {
  await captureDevices(page);
  await page.goto('/?n=512&steps=600&logEvery=50&samples=256&testSamples=128&backend=webgpu');
  // Paused at a known step: the error is reported some time after it is raised, so a running
  // study could pass its next log point first. MAP_READ with MAP_WRITE is a validation error,
  // raised outside any error scope; waiting on the queue makes the browser deliver it now.
  await pauseAt(page, [50, 100]);
  await page.evaluate(async () => {
    const device = (window as unknown as { __devices: GPUDevice[] }).__devices[0]!;
    device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE });
    await device.queue.onSubmittedWorkDone();
  });
  await expect(page.locator('#gpu-error')).toContainText('WebGPU error');
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'error');
  await expect(page.locator('#status')).toContainText('WebGPU error');
  const restart = page.getByRole('button', { name: 'Restart from step 100' });
  await restart.click();
  await waitDone(page);
  expect(await deviceCount(page)).toBe(2);
  await expect(page.locator('#gpu-error')).toBeEmpty();
});
