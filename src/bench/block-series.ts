// Timing one backend at one size: blocks of steps, each followed by a measurement of the
// device's FMA limit, and the figures made of them (Timing).
import type { Simulation } from '../contract/simulation';
import { runTimedOnGpu } from '../gpu/simulation';
import { medianRatio, summarize } from './counts';
import type { BenchConfig, Clock, Timing } from './measurement';

/** With --steps unset, a timed block lasts about this long. */
const TARGET_BLOCK_SECONDS = 0.5;
const MAX_AUTO_STEPS = 1000;

export interface TimedBlocks {
  readonly steps: number;
  readonly seconds: number[];
  /** The device's FMA rate measured right after each block, GFLOP/s. */
  readonly limitGflops: number[];
  /** When each block started, seconds from the measurement's origin. */
  readonly starts: number[];
  readonly clock: Clock;
}

/** What one particle's step computes and moves (counts.ts), for the rates of a Timing. */
export interface StepCounts {
  readonly flop: number;
  readonly bytes: number;
}

/** The figures of one backend's blocks at size n; `limitGbps` is its device's bandwidth. */
export function timingOf(
  { seconds, steps, clock, limitGflops, starts }: TimedBlocks,
  { flop, bytes }: StepCounts,
  limitGbps: number,
  n: number,
): Timing {
  const perStep = summarize(seconds.map((s) => s / steps));
  const gflops = (flop * n) / perStep.median / 1e9;
  const gbps = (bytes * n) / perStep.median / 1e9;
  const blockGflops = seconds.map((s) => (flop * n * steps) / s / 1e9);
  return {
    steps,
    blocks: seconds.length,
    particleStepsPerSecond: n / perStep.median,
    secondsPerStep: perStep,
    gflops,
    gbps,
    limitGflops: summarize(limitGflops),
    blockLimitGflops: limitGflops,
    fractionOfLimit: medianRatio(blockGflops, limitGflops),
    bandwidthFraction: gbps / limitGbps,
    blockSeconds: seconds.map((s) => s / steps),
    blockStarts: starts,
    clock,
  };
}

/**
 * The timed blocks of one backend at one size: one warm-up block (which, with --steps unset,
 * also picks the block length), then blocks one at a time, each followed by a block of
 * `limitRate` (the device's FMA limit now). The GPU's blocks are timed by its timestamp
 * queries where it has them (every block, or none: one clock per size), else like the CPU's
 * by the host's clock.
 */
export class BlockSeries {
  private steps: number;
  private readonly timed: { start: number; seconds: number; clock: Clock; limit: number }[] = [];

  /** `origin`: performance.now() at the start of the measurement. */
  constructor(
    private readonly sim: Simulation,
    private readonly config: BenchConfig,
    private readonly limitRate: () => Promise<number>,
    private readonly origin: number,
  ) {
    this.steps = config.steps ?? 1;
  }

  async warmUp(): Promise<void> {
    const warmUp = await timeRun(this.sim, this.steps);
    if (this.config.steps === null) {
      this.steps = Math.max(
        1,
        Math.min(MAX_AUTO_STEPS, Math.round(TARGET_BLOCK_SECONDS / warmUp.seconds)),
      );
      if (this.steps > 1) await timeRun(this.sim, this.steps);
    }
  }

  async timeBlock(clock?: Clock): Promise<void> {
    const start = (performance.now() - this.origin) / 1000;
    const { seconds, clock: used } = await timeRun(this.sim, this.steps, clock);
    this.timed.push({ start, seconds, clock: used, limit: await this.limitRate() });
  }

  /** The blocks timed so far, all by one clock: mixed ones are timed again by the host's. */
  async blocks(): Promise<TimedBlocks> {
    const clock = this.timed.every((block) => block.clock === 'gpu-timestamps')
      ? 'gpu-timestamps'
      : 'host';
    if (clock === 'host' && this.timed.some((block) => block.clock === 'gpu-timestamps')) {
      // A block whose timestamps were unusable: time them all again by the host's clock.
      const count = this.timed.length;
      this.timed.length = 0;
      for (let r = 0; r < count; r++) await this.timeBlock('host');
    }
    return {
      steps: this.steps,
      seconds: this.timed.map((block) => block.seconds),
      limitGflops: this.timed.map((block) => block.limit),
      starts: this.timed.map((block) => block.start),
      clock,
    };
  }
}

async function timeRun(
  sim: Simulation,
  steps: number,
  clock: Clock = sim.backend === 'webgpu' ? 'gpu-timestamps' : 'host',
): Promise<{ seconds: number; clock: Clock }> {
  const start = performance.now();
  if (clock === 'gpu-timestamps') {
    const seconds = await runTimedOnGpu(sim, steps);
    if (seconds !== null && seconds > 0) return { seconds, clock };
  } else {
    await sim.run(steps);
  }
  return { seconds: (performance.now() - start) / 1000, clock: 'host' };
}
