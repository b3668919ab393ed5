// Waiting on the queue without taking a core from a software adapter.

/** The fraction of a block's expected length slept through before waiting on the queue. */
export const SLEEP_FRACTION = 0.8;

/**
 * Waits for blocks of submitted work, sleeping through most of each block first. Dawn in
 * Node (npm `webgpu`) polls for completion with setImmediate for as long as a promise is
 * pending, which keeps a core busy that a software adapter would compute on (on 2 cores
 * that costs SwiftShader up to a third of its rate; bench/RESULTS.md). The sleep is
 * SLEEP_FRACTION of the block's size times the fewest seconds per unit seen so far, so it
 * ends before the block does unless the device got 1.25× faster meanwhile.
 */
export class PacedWait {
  private fastest = Infinity;

  /** `sleeps` false: wait at once (a browser, whose timers a background tab slows down). */
  constructor(private readonly sleeps = true) {}

  /** Seconds until `done` resolves, for a block of `size` units submitted just now. */
  async wait(size: number, done: () => Promise<unknown>): Promise<number> {
    const start = performance.now();
    if (this.sleeps && Number.isFinite(this.fastest)) {
      const sleepMs = SLEEP_FRACTION * this.fastest * size * 1000;
      await new Promise((wake) => setTimeout(wake, sleepMs));
    }
    await done();
    const seconds = (performance.now() - start) / 1000;
    this.fastest = Math.min(this.fastest, seconds / size);
    return seconds;
  }
}
