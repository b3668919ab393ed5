// PacedWait sleeps through SLEEP_FRACTION of a block's expected length, learnt from the
// fastest block so far, before it asks the queue. Fake timers: no wall clock is measured.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSoftwareAdapter } from '../../src/gpu/device';
import { PacedWait, SLEEP_FRACTION } from '../../src/gpu/paced-wait';
import { openNodeGpu } from '../../src/node/gpu';

/** A queue whose work finishes `ms` (fake) milliseconds after it is asked. */
function queueTaking(ms: number, asked: number[]): () => Promise<void> {
  return () => {
    asked.push(performance.now());
    return new Promise((done) => setTimeout(done, ms));
  };
}

describe('PacedWait', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('asks the queue at once for the first block, whose speed it does not know', async () => {
    const asked: number[] = [];
    const waited = new PacedWait().wait(4, queueTaking(100, asked));
    await vi.advanceTimersByTimeAsync(100);
    expect(asked).toEqual([0]);
    expect(await waited).toBeCloseTo(0.1, 9);
  });

  it('sleeps SLEEP_FRACTION of the fastest seconds per unit times the block size first', async () => {
    const pace = new PacedWait();
    const asked: number[] = [];
    const first = pace.wait(4, queueTaking(100, asked)); // 25 ms per unit
    await vi.advanceTimersByTimeAsync(100);
    await first;
    const start = performance.now();
    const second = pace.wait(8, queueTaking(10, asked));
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked[1]! - start).toBeCloseTo(SLEEP_FRACTION * 25 * 8, 6);
    expect(await second).toBeCloseTo((SLEEP_FRACTION * 200 + 10) / 1000, 9);
  });

  it('without sleeps asks the queue at once every time', async () => {
    const pace = new PacedWait(false);
    const asked: number[] = [];
    for (const size of [1, 2]) {
      const start = performance.now();
      const waited = pace.wait(size, queueTaking(50, asked));
      await vi.advanceTimersByTimeAsync(50);
      await waited;
      expect(asked.at(-1)).toBe(start);
    }
  });
});

describe('the Node engine', () => {
  it('paces its waits exactly on a software adapter, whose cores Dawn polls on', async () => {
    const gpu = await openNodeGpu();
    if (!gpu) throw new Error('no WebGPU adapter: install Chrome or Chromium (SwiftShader)');
    try {
      expect(gpu.pollingWait).toBe(isSoftwareAdapter(gpu.adapter));
    } finally {
      gpu.device.destroy();
    }
  });
});
