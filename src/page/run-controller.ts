// The study page's run loop: Run, Pause, Step, Reset and the restart after a device failure,
// as a state machine over runStudy (src/study/run-study.ts). The page therefore stops where
// `mfld run` stops, with the same checks, and keeps the same last good state. No DOM here: the
// page's host opens the simulations and draws what was read.
import type { RunConfig } from '../contract/config';
import { configToJson } from '../contract/config-parse';
import {
  GpuDeviceLostError,
  noiseLevel,
  type LossEntry,
  type Moments,
  type Problem,
  type Simulation,
} from '../contract/simulation';
import {
  DivergenceError,
  dynamicsFromConfig,
  runStudy,
  StudyInterruptedError,
  type CheckedPoint,
  type StudyHooks,
} from '../study/run-study';
import type { MetricRow } from './charts';
import { freeEnergy } from './entropy';

export type RunState = 'idle' | 'running' | 'paused' | 'done' | 'error';

/**
 * Above this many floats (16 MiB) the particles are not read back at every log point: the
 * free energy estimate and the last good state are then left out, and the export reads them
 * when asked.
 */
export const READBACK_FLOATS = 2 ** 22;

/** A state of a run that passed the checks of its log point: what a checkpoint holds. */
export interface KeptState {
  readonly config: RunConfig;
  readonly problem: Problem;
  readonly step: number;
  /** `n × d`, all finite. */
  readonly particles: Float32Array;
  /** The log points up to `step`. */
  readonly rows: readonly MetricRow[];
  readonly backend: 'webgpu' | 'cpu';
  readonly device: string;
}

/** A log point that passed its checks, for the page to draw. */
export interface ShownPoint {
  readonly sim: Simulation;
  readonly config: RunConfig;
  readonly rows: readonly MetricRow[];
  readonly moments: Moments;
  /** Read back where n·d ≤ READBACK_FLOATS, else null. */
  readonly particles: Float32Array | null;
}

export interface RunHost {
  /** A simulation of `config`, with the data it trains on. */
  open(config: RunConfig): Promise<{ sim: Simulation; problem: Problem }>;
  /** Lets go of `sim`; `failed`: its device failed, and is not to be used again. */
  close(sim: Simulation, failed: boolean): void;
  /** Draws a log point that passed its checks (a lost device may be noticed here). */
  show(point: ShownPoint): Promise<void>;
  /** Particle-steps per second of the last piece of the run. */
  rate(particleStepsPerSecond: number): void;
  /** The state, the status text, the rows or the recovery offer changed. */
  changed(): void;
  notice(text: string): void;
}

interface Session {
  readonly sim: Simulation;
  readonly problem: Problem;
  /** The config it runs to: steps and logEvery may change between runs. */
  config: RunConfig;
}

/** Same trajectory: every field but how far it goes and how often it logs. */
function trajectoryKey(c: RunConfig): string {
  const { steps: _s, logEvery: _l, ...rest } = configToJson(c);
  return JSON.stringify(rest);
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

const entryOf = ({ step, time, train, test }: MetricRow): LossEntry => ({
  step,
  time,
  train,
  test,
});

export class RunController {
  private session: Session | null = null;
  private currentState: RunState = 'idle';
  private text = 'idle';
  private busy = false;
  private pauseAsked = false;
  /** The session diverged: the next run starts again. */
  private diverged = false;
  private failure: string | null = null;
  private kept: KeptState | null = null;
  private logged: MetricRow[] = [];
  private point: ShownPoint | null = null;

  constructor(private readonly host: RunHost) {}

  get state(): RunState {
    return this.currentState;
  }
  /** The status line. */
  get status(): string {
    return this.text;
  }
  get running(): boolean {
    return this.busy;
  }
  get sim(): Simulation | null {
    return this.session?.sim ?? null;
  }
  /** The config the simulation runs to, or null without one. */
  get config(): RunConfig | null {
    return this.session?.config ?? null;
  }
  get rows(): readonly MetricRow[] {
    return this.logged;
  }
  /** Why the simulation's device failed (lost, or an uncaptured error); null while it works. */
  get fault(): string | null {
    return this.failure;
  }
  /** The last state that passed its checks, kept for a restart after the device fails. */
  get lastGood(): KeptState | null {
    return this.kept;
  }
  /** The last log point shown, for redrawing. */
  get lastPoint(): ShownPoint | null {
    return this.point;
  }

  /** Whether the simulation has reached the end of `config`, on its trajectory. */
  finished(config: RunConfig): boolean {
    const s = this.session;
    return (
      s !== null && s.sim.step >= config.steps && trajectoryKey(s.config) === trajectoryKey(config)
    );
  }

  /**
   * Runs `config` up to `pieces` pieces (one piece: up to the next log point), or to the end,
   * or until paused. Continues the simulation where it is on the same trajectory, else starts
   * a new one.
   */
  async run(config: RunConfig, pieces = Infinity): Promise<void> {
    if (this.busy) return;
    this.begin();
    this.setState('running', 'running');
    try {
      const s = this.session;
      const fresh =
        s === null ||
        this.failure !== null ||
        this.diverged ||
        trajectoryKey(s.config) !== trajectoryKey(config);
      if (fresh) {
        this.reset();
        this.begin();
        this.setState('running', 'starting');
        this.host.notice('');
        await this.open(config);
      }
      await this.study(config, fresh ? {} : { history: this.logged.map(entryOf) }, pieces);
    } catch (error) {
      this.failed(error);
    }
  }

  /** Stops the run at its next log point. */
  pause(): void {
    if (!this.busy) return;
    this.pauseAsked = true;
    this.text = 'pausing after this chunk';
    this.host.changed();
  }

  /** Lets go of the simulation and everything it showed. */
  reset(): void {
    const s = this.session;
    if (s) this.host.close(s.sim, this.failure !== null);
    this.session = null;
    this.failure = null;
    this.diverged = false;
    this.kept = null;
    this.logged = [];
    this.point = null;
    this.busy = false;
    this.setState('idle', 'idle');
  }

  /**
   * Continues a run from `from` (a checkpoint, or the last good state) on a new simulation
   * of `config` (the panel's, which took from.config): its particles and global step (SPEC
   * §3), so the run goes on as the uninterrupted one would. Then runs on (`thenRun`), or
   * waits paused.
   */
  async resume(
    from: KeptState,
    config: RunConfig,
    source: string,
    thenRun: boolean,
  ): Promise<void> {
    if (this.busy) return;
    this.reset();
    this.begin();
    this.setState('running', `resuming from step ${from.step}`);
    try {
      const { sim } = await this.open(config);
      if (from.backend !== sim.backend) {
        this.host.notice(
          `${source} was written on the ${from.backend} backend, this run is on ${sim.backend}: ` +
            'it continues the same dynamics, but not bit for bit',
        );
      }
      await sim.setParticles(from.particles, from.step);
      this.logged = from.rows.filter((row) => row.step < from.step);
      const history = this.logged.map(entryOf);
      await this.study(config, { history, logStart: true }, thenRun ? Infinity : 0);
      if (!thenRun && this.currentState !== 'error') {
        this.text = `resumed at step ${sim.step} from ${source}`;
        this.host.changed();
      }
    } catch (error) {
      this.failed(error);
    }
  }

  /**
   * The simulation's device failed. The run stops (now, or at its next operation, which the
   * simulation rejects) and the last good state is offered for a restart.
   */
  deviceFailed(message: string): void {
    if (this.failure !== null) return;
    this.failure = message;
    this.pauseAsked = true;
    if (!this.busy) this.showFault();
  }

  /** The state now (not running: that of the last log point), or else the last good one. */
  async stateNow(): Promise<KeptState | null> {
    const s = this.session;
    if (this.busy || !s || this.currentState === 'error' || this.logged.length === 0) {
      return this.kept;
    }
    return {
      config: s.config,
      problem: s.problem,
      step: s.sim.step,
      particles: await this.particlesNow(s.sim),
      rows: this.logged,
      backend: s.sim.backend,
      device: s.sim.device,
    };
  }

  /** The particles now: those read back at the last log point, when that is now. */
  particlesNow(sim: Simulation): Promise<Float32Array> {
    const shown = this.point;
    return shown?.particles && shown.sim === sim && shown.rows.at(-1)?.step === sim.step
      ? Promise.resolve(shown.particles)
      : sim.particles();
  }

  /** A run starts: no pause asked of it yet (a device failure asks one of the run before). */
  private begin(): void {
    this.busy = true;
    this.pauseAsked = false;
  }

  private async open(config: RunConfig): Promise<Session> {
    const { sim, problem } = await this.host.open(config);
    this.session = { sim, problem, config };
    return this.session;
  }

  /** runStudy on the session up to `pieces` pieces after its start. */
  private async study(
    config: RunConfig,
    options: { history?: readonly LossEntry[]; logStart?: boolean },
    pieces: number,
  ): Promise<void> {
    const s = this.session!;
    s.config = config;
    const { sim } = s;
    const startStep = sim.step;
    let done = 0;
    let last = { steps: 0, seconds: 0 };
    const hooks: StudyHooks = {
      onLog: (entry, progress) => {
        if (entry.step > startStep) done++;
        const steps = progress.stepsDone - last.steps;
        if (steps > 0) {
          const seconds = progress.seconds - last.seconds;
          this.host.rate((sim.n * steps) / Math.max(seconds, 1e-6));
        }
        last = { steps: progress.stepsDone, seconds: progress.seconds };
      },
      onChecked: (point) => this.checked(s, config, point),
    };
    await runStudy(sim, config, hooks, {
      ...options,
      keepLastGood: sim.n * sim.d <= READBACK_FLOATS,
      stopRequested: () => this.pauseAsked || this.failure !== null || done >= pieces,
    });
    if (this.failure !== null) throw new GpuDeviceLostError(this.failure);
    this.busy = false;
    this.setState(sim.step >= config.steps ? 'done' : 'paused', undefined);
  }

  private async checked(s: Session, config: RunConfig, point: CheckedPoint): Promise<void> {
    const { sim } = s;
    const { entry, moments, good } = point;
    const particles = good?.particles ?? null;
    const sigma = noiseLevel(dynamicsFromConfig(config), entry.step);
    const energy = particles
      ? freeEnergy(particles, sim.n, sim.d, entry.train, sigma, config.priorStd).value
      : null;
    this.logged.push({ ...entry, freeEnergy: energy });
    // An uncaptured error is reported some time after the work that raised it, so a state
    // kept before it arrives may be one it touched; the checks are what we can do.
    if (good && this.failure === null) {
      this.kept = {
        config,
        problem: s.problem,
        step: good.step,
        particles: good.particles,
        rows: [...this.logged],
        backend: sim.backend,
        device: sim.device,
      };
    }
    this.point = { sim, config, rows: this.logged, moments, particles };
    this.host.changed();
    await this.host.show(this.point);
  }

  /** The end of a run that threw: a device failure keeps its last good state. */
  private failed(error: unknown): void {
    this.busy = false;
    if (
      this.failure !== null ||
      error instanceof StudyInterruptedError ||
      error instanceof GpuDeviceLostError
    ) {
      this.failure ??= messageOf(error instanceof StudyInterruptedError ? error.cause : error);
      this.showFault();
    } else if (error instanceof DivergenceError) {
      this.diverged = true;
      this.setState('error', `error: ${error.message}`);
    } else {
      this.setState('error', `error: ${messageOf(error)}`);
    }
  }

  private showFault(): void {
    this.setState('error', `error: ${this.failure ?? 'the GPU failed'}. The run stopped.`);
  }

  private setState(next: RunState, text: string | undefined): void {
    this.currentState = next;
    this.text = text ?? next;
    this.host.changed();
  }
}
