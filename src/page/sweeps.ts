// The experiments panel: the study of the parameter panel for each value of n or σ, K seeds
// each, one simulation at a time on the page's backend (src/study/sweep.ts, as `mfld sweep`).
// Each swept value is checked by the panel's own validation (config-parse) with that value
// put in its field. At the end of each completed run the particles are read once for the
// free energy (contract/observables.ts), up to the page's readback limit.
import type { RunConfig } from '../contract/config';
import { configToJson } from '../contract/config-parse';
import { noiseLevel, type Simulation } from '../contract/simulation';
import { dynamicsFromConfig } from '../study/run-study';
import {
  fitLossAgainstN,
  runSweep,
  sweepCsv,
  sweepMeans,
  sweepPlans,
  type SweepField,
  type SweepFit,
  type SweepRun,
} from '../study/sweep';
import { activation as activationOf } from '../contract/model';
import { freeEnergy, networkOutputs } from '../contract/observables';
import type { Problem } from '../contract/simulation';
import { buildProblem } from '../data/datasets';
import { meanFieldGap, stationaryReferences, type MeanFieldGap } from '../study/mean-field-gap';
import { download } from './exports';
import { validate, type RawValues } from './fields';
import { SweepChart } from './sweep-chart';

/** The largest n the page sweeps over (the panel's n goes higher, one run at a time). */
export const SWEEP_MAX_N = 2 ** 20;
export const SWEEP_MAX_VALUES = 50;
export const SWEEP_MAX_SEEDS = 100;
/** Particle floats read back at a run's end for the free energy; as main.ts READBACK_FLOATS. */
const FREE_ENERGY_FLOATS = 2 ** 22;

export const SWEEP_DEFAULTS: Record<SweepField, string> = {
  n: '2^8, 2^9, 2^10, 2^11, 2^12',
  sigma: '0, 0.05, 0.1, 0.2',
};

export interface SweepHost {
  /** The parameter panel's values now. */
  raw(): RawValues;
  /** A simulation of `config` on the page's backend. */
  open(config: RunConfig): Promise<Simulation>;
  /** Called when a sweep starts, ends, or has new results. */
  onChange(): void;
}

export interface ParsedSweep {
  readonly over: SweepField;
  readonly seeds: number;
  readonly configs: { value: number; config: RunConfig }[];
}

/** The sweep's inputs, each value checked as its field; a message instead when any fails. */
export function parseSweep(
  raw: RawValues,
  over: SweepField,
  valuesText: string,
  seedsText: string,
): ParsedSweep | { error: string } {
  if (!validate(raw).config) return { error: 'fix the parameter panel first: it has errors' };
  const pieces = valuesText.split(',').map((piece) => piece.trim());
  if (pieces.length > SWEEP_MAX_VALUES) {
    return { error: `at most ${SWEEP_MAX_VALUES} values, got ${pieces.length}` };
  }
  const configs: { value: number; config: RunConfig }[] = [];
  for (const piece of pieces) {
    if (piece === '') return { error: `values: an empty value in "${valuesText}"` };
    // 2^k for powers of two.
    const power = /^2\s*\^\s*(\d{1,2})$/.exec(piece);
    const text = power ? String(2 ** Number(power[1])) : piece;
    const { config, errors } = validate({ ...raw, [over]: text });
    if (!config) {
      const message = errors.get(over) ?? [...errors.values()].join('; ');
      return { error: `value ${piece}: ${message}` };
    }
    if (over === 'n' && config.n > SWEEP_MAX_N) {
      return { error: `value ${piece}: a sweep takes n up to ${SWEEP_MAX_N} (2^20)` };
    }
    if (configs.some((c) => c.value === config[over])) {
      return { error: `value ${piece} is given twice` };
    }
    configs.push({ value: config[over], config });
  }
  const seeds = /^\d+$/.test(seedsText.trim()) ? Number(seedsText.trim()) : NaN;
  if (!(Number.isInteger(seeds) && seeds >= 1 && seeds <= SWEEP_MAX_SEEDS)) {
    return { error: `seeds must be an integer from 1 to ${SWEEP_MAX_SEEDS}, got "${seedsText}"` };
  }
  if (configs[0]!.config.seed + seeds - 1 > Number.MAX_SAFE_INTEGER) {
    return { error: 'seed plus seeds passes 2^53 − 1' };
  }
  return { over, seeds, configs };
}

class SweepCancelled extends Error {}

interface SweepResult {
  readonly over: SweepField;
  readonly seeds: number;
  readonly values: number[];
  readonly base: RunConfig;
  readonly runs: SweepRun[];
  /** Per run, in the order of runs; null where not computed. */
  readonly freeEnergy: (number | null)[];
  /** Per run of an n-sweep, f at the training points at its end; null where not read. */
  readonly outputs: (Float64Array | null)[];
  /** The gap to the mean-field limit (n-sweeps), once the sweep has ended. */
  gap: MeanFieldGap | null;
  backend: string;
  adapter: string;
  state: 'running' | 'done' | 'cancelled' | 'error';
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const format = (v: number | null): string =>
  v === null ? '–' : Number.isFinite(v) ? v.toPrecision(4) : String(v);

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
}

export class SweepPanel {
  private readonly over = $<HTMLSelectElement>('sweep-over');
  private readonly values = $<HTMLInputElement>('sweep-values');
  private readonly seeds = $<HTMLInputElement>('sweep-seeds');
  private readonly runButton = $<HTMLButtonElement>('sweep-run');
  private readonly cancelButton = $<HTMLButtonElement>('sweep-cancel');
  private readonly csvButton = $<HTMLButtonElement>('sweep-csv');
  private readonly error = $('sweep-error');
  private readonly progress = $<HTMLProgressElement>('sweep-progress');
  private readonly status = $('sweep-status');
  private readonly slope = $('sweep-slope');
  private readonly gapLine = $('sweep-gap');
  private readonly table = $<HTMLTableSectionElement>('sweep-rows');
  private readonly chart = new SweepChart($('sweep-chart'));
  private result: SweepResult | null = null;
  private cancelRequested = false;

  constructor(private readonly host: SweepHost) {
    this.values.value = SWEEP_DEFAULTS.n;
    this.over.addEventListener('change', () => {
      const other: SweepField = this.over.value === 'n' ? 'sigma' : 'n';
      if (this.values.value === SWEEP_DEFAULTS[other]) {
        this.values.value = SWEEP_DEFAULTS[this.over.value as SweepField];
      }
      this.check();
    });
    this.values.addEventListener('input', () => this.check());
    this.seeds.addEventListener('input', () => this.check());
    this.runButton.addEventListener('click', () => void this.start());
    this.csvButton.addEventListener('click', () => {
      const file = this.csv();
      if (file) download(file.name, file.text, 'text/csv');
    });
    this.cancelButton.addEventListener('click', () => {
      this.cancelRequested = true;
      this.status.textContent = 'cancelling after this chunk';
    });
  }

  get running(): boolean {
    return this.result?.state === 'running';
  }

  hasResults(): boolean {
    return this.result !== null && this.result.runs.length > 0;
  }

  /** Shows the inputs' message, if any; returns the parsed sweep. */
  check(): ParsedSweep | null {
    const parsed = parseSweep(
      this.host.raw(),
      this.over.value as SweepField,
      this.values.value,
      this.seeds.value,
    );
    const error = 'error' in parsed ? parsed.error : '';
    this.error.textContent = error;
    this.values.setAttribute('aria-invalid', String(error !== ''));
    this.runButton.disabled = this.running || error !== '';
    return 'error' in parsed ? null : parsed;
  }

  private async start(): Promise<void> {
    const parsed = this.check();
    if (!parsed || this.running) return;
    const plans = sweepPlans(parsed.configs, parsed.seeds);
    const problems = new Map<number, Problem>();
    /** The data set of a seed (the seed fixes it; n does not). */
    const problemOf = (config: RunConfig): Problem => {
      let problem = problems.get(config.seed);
      if (!problem) {
        problem = buildProblem(config);
        problems.set(config.seed, problem);
      }
      return problem;
    };
    const result: SweepResult = {
      over: parsed.over,
      seeds: parsed.seeds,
      values: parsed.configs.map((c) => c.value),
      base: parsed.configs[0]!.config,
      runs: [],
      freeEnergy: [],
      outputs: [],
      gap: null,
      backend: '',
      adapter: '',
      state: 'running',
    };
    this.result = result;
    this.cancelRequested = false;
    this.setRunning(true);
    this.chart.clear();
    this.render();
    this.progress.max = plans.length;
    this.progress.value = 0;
    const cancelPoint = (): void => {
      if (this.cancelRequested) throw new SweepCancelled('cancelled');
    };
    try {
      await runSweep(
        plans,
        async (config) => {
          cancelPoint();
          const sim = await this.host.open(config);
          result.backend = sim.backend;
          result.adapter = sim.device;
          return sim;
        },
        {
          onStart: (plan, index) => {
            cancelPoint();
            this.status.textContent = `run ${index + 1} of ${plans.length}: ${parsed.over} ${plan.value}, seed ${plan.seed}`;
          },
          onLog: (entry, progress) => {
            cancelPoint();
            const index = result.runs.length;
            this.progress.value = index + progress.stepsDone / Math.max(progress.stepsTotal, 1);
            const plan = plans[index]!;
            this.status.textContent =
              `run ${index + 1} of ${plans.length}: ${parsed.over} ${plan.value}, seed ` +
              `${plan.seed}, step ${entry.step} / ${plan.config.steps}`;
          },
          onFinish: async (sim, summary, index) => {
            const train = summary.final.loss.train;
            const config = plans[index]!.config;
            if (sim.n * sim.d > FREE_ENERGY_FLOATS) return;
            const x = await sim.particles();
            const sigma = noiseLevel(dynamicsFromConfig(config), sim.step);
            const energy = freeEnergy(x, sim.n, sim.d, train, sigma, config.priorStd);
            result.freeEnergy[index] = energy.value;
            if (parsed.over === 'n') {
              const { z, count } = problemOf(config).train;
              const { phi } = activationOf(config.activation);
              result.outputs[index] = networkOutputs(x, sim.n, sim.d, z, count, phi);
            }
          },
          onDone: (run, index) => {
            result.freeEnergy[index] ??= null;
            result.outputs[index] ??= null;
            result.runs.push(run);
            this.progress.value = index + 1;
            this.render();
            this.host.onChange();
          },
        },
      );
      result.state = 'done';
      const diverged = result.runs.filter((r) => r.status === 'diverged').length;
      this.status.textContent =
        `done: ${result.runs.length} runs` +
        (diverged > 0 ? `, ${diverged} diverged (lower τ)` : '');
    } catch (error) {
      if (error instanceof SweepCancelled) {
        result.state = 'cancelled';
        this.status.textContent = `cancelled after ${result.runs.length} of ${plans.length} runs`;
      } else {
        result.state = 'error';
        const message = error instanceof Error ? error.message : String(error);
        this.status.textContent = 'error';
        this.error.textContent = `the sweep stopped: ${message}`;
      }
    }
    if (parsed.over === 'n' && result.runs.length > 0) {
      // m* is solved here, on the page's thread: about a second per seed at σ = 1.
      const configs = plans.slice(0, result.runs.length).map((plan) => plan.config);
      const notes: string[] = [];
      const stationary = stationaryReferences(configs, problemOf, (m) => notes.push(m));
      result.gap = meanFieldGap(result.runs, result.outputs, result.values, stationary);
      if (notes.length > 0) this.error.textContent = notes.join('; ');
    }
    this.status.dataset['state'] = result.state;
    this.setRunning(false);
    this.render();
    this.host.onChange();
  }

  private setRunning(on: boolean): void {
    this.runButton.disabled = on;
    this.cancelButton.disabled = !on;
    this.csvButton.disabled = on || !this.hasResults();
    for (const input of [this.over, this.values, this.seeds]) input.disabled = on;
    this.status.dataset['state'] = on ? 'running' : (this.result?.state ?? 'idle');
  }

  private summary(): {
    rows: {
      value: number;
      completed: number;
      train: number | null;
      sd: number | null;
      test: number | null;
      freeEnergy: number | null;
    }[];
    fit: SweepFit | { error: string } | null;
  } {
    const r = this.result!;
    const means = sweepMeans(r.runs, r.values);
    const rows = means.map((m) => {
      const energies = r.runs.flatMap((run, i) => {
        const v = r.freeEnergy[i];
        return run.value === m.value &&
          run.status === 'completed' &&
          v != null &&
          Number.isFinite(v)
          ? [v]
          : [];
      });
      return {
        value: m.value,
        completed: m.completed,
        train: m.train,
        sd: m.trainStd,
        test: m.test,
        freeEnergy: mean(energies),
      };
    });
    return { rows, fit: r.over === 'n' ? fitLossAgainstN(means) : null };
  }

  private render(): void {
    const r = this.result;
    this.table.replaceChildren();
    if (!r) return;
    const { rows, fit } = this.summary();
    for (const row of rows) {
      const tr = this.table.insertRow();
      tr.dataset['value'] = String(row.value);
      const cells = [
        String(row.value),
        String(row.completed),
        format(row.train),
        format(row.sd),
        format(row.test),
        format(row.freeEnergy),
      ];
      for (const text of cells) tr.insertCell().textContent = text;
    }
    this.slope.replaceChildren();
    if (fit && 'slope' in fit) {
      this.slope.dataset['value'] = String(fit.slope);
      this.slope.textContent =
        `log–log slope of the mean final train loss against n: ${format(fit.slope)} ` +
        `(R² ${format(fit.r2)}, ${fit.points} values). The particle gap alone shrinks like ` +
        '1/n (slope −1); a loss floor (label noise, finite time) flattens it.';
    } else if (fit) {
      delete this.slope.dataset['value'];
      this.slope.textContent = r.runs.length > 0 ? `no fit yet: ${fit.error}` : '';
    } else {
      delete this.slope.dataset['value'];
    }
    this.renderGap(r.gap);
    const hasPoints = rows.some((row) => row.train !== null);
    if (hasPoints) {
      this.chart.update(
        r.over,
        rows.filter((row) => row.completed > 0),
        fit && 'slope' in fit ? fit : null,
      );
    }
    this.csvButton.disabled = this.running || !this.hasResults();
  }

  /** One line on the gap to the mean-field limit (docs/mean-field-gap.md), with its slopes. */
  private renderGap(gap: MeanFieldGap | null): void {
    this.gapLine.textContent = '';
    delete this.gapLine.dataset['kind'];
    if (!gap) return;
    this.gapLine.dataset['kind'] = gap.reference.kind;
    const target =
      gap.reference.kind === 'stationary' ? 'the exact m*' : `the largest n (${gap.reference.n})`;
    const fit = gap.fits.variancePart;
    const parts = gap.rows.map(
      (row) =>
        `n ${row.n}: F − F_ref ${format(row.trainGap)}, variance part ${format(row.variancePart)}`,
    );
    this.gapLine.textContent =
      `Gap to ${target}: ${parts.join('; ')}. ` +
      ('slope' in fit
        ? `Variance part against n: slope ${format(fit.slope)} (theory −1).`
        : `No slope: ${fit.error}.`);
  }

  /** The sweep for the study JSON: inputs, every run (with its free energy), means, fit. */
  toJson(): object | null {
    const r = this.result;
    if (!r || r.runs.length === 0) return null;
    const { rows, fit } = this.summary();
    return {
      over: r.over,
      values: r.values,
      seeds: r.seeds,
      state: r.state,
      backend: r.backend,
      adapter: r.adapter,
      config: configToJson(r.base),
      runs: r.runs.map((run, i) => ({ ...run, freeEnergy: r.freeEnergy[i] ?? null })),
      means: rows,
      fit,
      gap: r.gap,
    };
  }

  /** One row per run, as `mfld sweep --csv`, with the free energy last. */
  csv(): { name: string; text: string } | null {
    const r = this.result;
    if (!r || r.runs.length === 0) return null;
    return { name: `mfld-sweep-${r.over}.csv`, text: sweepCsv(r.over, r.runs, r.freeEnergy) };
  }
}
