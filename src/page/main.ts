// The study page: the parameter panel (kept in the URL), the loss chart, the particle heat
// map, the exports, and checkpoints (the CLI's format, src/io/checkpoint.ts) saved and loaded
// by hand. The run itself, with its checks and the last good state kept so that a run
// survives a lost GPU device, is run-controller.ts over the CLI's runStudy; this file binds
// it to the DOM.
import type { RunConfig } from '../contract/config';
import type { Problem, Simulation } from '../contract/simulation';
import { createCpuSimulation } from '../cpu/reference';
import { buildProblem } from '../data/datasets';
import { autoBackend, autoBackendLine, type EngineGpu } from '../gpu/device';
import { createHistogram, type ParticleHistogram } from '../gpu/histogram';
import { browserShaderSources } from '../gpu/shader-sources.browser';
import { createGpuSimulation } from '../gpu/simulation';
import {
  CheckpointError,
  checkpointOf,
  checkResumable,
  decodeCheckpoint,
  encodeCheckpoint,
  problemCrc32,
  type Checkpoint,
} from '../io/checkpoint';
import { dynamicsFromConfig } from '../study/run-study';
import { BrowserGpu } from './browser-gpu';
import { LossChart } from './charts';
import { CloudPanel } from './cloud-panel';
import { download, metricsCsv, particlesNpy, studyJson } from './exports';
import { FunctionPlot } from './function-plot';
import { HeatPanel } from './heat-panel';
import { HEATMAP_BINS } from './heatmap';
import { stationaryLawFor } from './stationary-overlay';
import { awaitIsolation, isolationNote } from './isolation';
import { ParamPanel } from './panel';
import { READBACK_FLOATS, RunController, type KeptState, type ShownPoint } from './run-controller';
import { SweepPanel } from './sweeps';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const form = $<HTMLFormElement>('params');
const runButton = $<HTMLButtonElement>('run');
const pauseButton = $<HTMLButtonElement>('pause');
const stepButton = $<HTMLButtonElement>('step');
const resetButton = $<HTMLButtonElement>('reset');
const exportButtons = ['export-npy', 'export-csv', 'export-json'].map((id) =>
  $<HTMLButtonElement>(id),
);
const statusText = $('status');
const progress = $<HTMLProgressElement>('progress');
const stepText = $('step-text');
const rateText = $('rate');
const notice = $('notice');
const generalError = $('general-error');
const heatX = $<HTMLSelectElement>('heat-x');
const heatY = $<HTMLSelectElement>('heat-y');
const heat = new HeatPanel($<HTMLCanvasElement>('heatmap'), heatX, heatY);
const saveButton = $<HTMLButtonElement>('save-checkpoint');
const loadInput = $<HTMLInputElement>('load-checkpoint');
const checkpointError = $('checkpoint-error');
const gpuError = $('gpu-error');
const recovery = $('recovery');
const recoveryText = $('recovery-text');
const restartButton = $<HTMLButtonElement>('restart');
const recoveryDownload = $<HTMLButtonElement>('recovery-download');

// ---------------------------------------------------------------------------------------
// Parameters

const panel = new ParamPanel(form, generalError, () => {
  updateButtons();
  sweeps.check();
});

// ---------------------------------------------------------------------------------------
// The simulation

const NO_WEBGPU =
  'WebGPU is not available in this browser (no navigator.gpu, or no adapter). The CPU ' +
  'reference (backend cpu) runs here on Web Workers: fine for small n (a few thousand).';

/** What the page attached to the run's simulation on WebGPU: its device and heat-map kernel. */
const attached: { gpu: EngineGpu | null; histogram: ParticleHistogram | null } = {
  gpu: null,
  histogram: null,
};

const browserGpu = new BrowserGpu(({ gpu, message, lost }) => {
  if (!lost) gpuError.textContent = message;
  if (gpu !== attached.gpu) {
    if (lost) notice.textContent = `${message}. The next run opens a new device.`;
    return;
  }
  controller.deviceFailed(message);
});

/**
 * A simulation of `c`. The run's own (`main`) also gets the heat-map kernel and the 3-D
 * view; the sweeps' do not.
 */
async function createSimulation(
  c: RunConfig,
  main = true,
): Promise<{ sim: Simulation; problem: Problem }> {
  const problem = buildProblem(c);
  const dynamics = dynamicsFromConfig(c);
  const cpu = async (): Promise<{ sim: Simulation; problem: Problem }> => {
    await awaitIsolation();
    const sim = await createCpuSimulation(problem, dynamics, {
      threads: navigator.hardwareConcurrency || 2,
    });
    return { sim, problem };
  };
  if (c.backend === 'cpu') return cpu();
  const gpu = await browserGpu.get();
  if (!gpu) {
    if (c.backend === 'webgpu') throw new Error(NO_WEBGPU);
    notice.textContent = `${NO_WEBGPU} Running on the CPU reference.`;
    return cpu();
  }
  if (c.backend === 'auto') {
    // A software adapter runs on the same cores as the CPU reference, and slower.
    const auto = autoBackend(gpu.adapter);
    if (main) {
      const force = auto.backend === 'cpu' ? '; backend webgpu forces the GPU' : '';
      notice.textContent = `Backend ${autoBackendLine(auto)}${force}.`;
    }
    if (auto.backend === 'cpu') return cpu();
  }
  if (main) attached.gpu = gpu;
  const sim = await createGpuSimulation(gpu, problem, dynamics, browserShaderSources);
  if (main) {
    attached.histogram = createHistogram(gpu, sim, {
      bins: HEATMAP_BINS,
      shaders: browserShaderSources,
    });
    cloudPanel.attach(gpu, sim);
  }
  return { sim, problem };
}

/** What the run runs on, and why there (the CPU reference: where its shared memory comes from). */
function showDevice(s: Simulation): void {
  $('device').textContent =
    s.backend === 'cpu' ? `on ${s.device}; ${isolationNote()}` : `on WebGPU: ${s.device}`;
}

const format = (v: number | null): string =>
  v === null ? '–' : Number.isFinite(v) ? v.toPrecision(5) : String(v);

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** Empties the chart, the figures and the drawings. */
function clearView(): void {
  recovery.hidden = true;
  gpuError.textContent = '';
  chart.update([]);
  progress.value = 0;
  stepText.textContent = 'step 0';
  rateText.textContent = '';
  for (const id of ['train-loss', 'test-loss', 'free-energy']) $(id).textContent = '–';
  heat.clear();
  functionPlot.clear();
}

/** Draws a log point that passed its checks. */
async function showPoint(point: ShownPoint): Promise<void> {
  const { sim, config: c, problem, moments, particles } = point;
  // Where m* is known (d = 2, full batch), V − V(m*) shows how far the particles are from it.
  const law = stationaryLawFor(c, problem);
  const rows = point.rows.map((r) => ({
    ...r,
    energyGap: r.freeEnergy !== null && law ? r.freeEnergy - law.freeEnergy : null,
  }));
  const row = rows.at(-1)!;
  cloudPanel.update(sim, moments);
  chart.update(rows);
  $('train-loss').textContent = format(row.train);
  $('train-loss').dataset['value'] = String(row.train);
  $('test-loss').textContent = format(row.test);
  $('free-energy').textContent = format(row.freeEnergy);
  progress.max = Math.max(c.steps, 1);
  progress.value = sim.step;
  progress.dataset['step'] = String(sim.step);
  stepText.textContent = `step ${sim.step} / ${c.steps}, t = ${format(sim.step * c.tau)}`;
  await drawParticles();
  functionPlot.update(particles, sim.n, sim.d, c);
}

/** The status line, the buttons and the recovery offer, from the controller's state. */
function showState(): void {
  statusText.dataset['state'] = controller.state;
  statusText.textContent = controller.status;
  updateButtons();
  const good = controller.lastGood;
  recovery.hidden = !(controller.state === 'error' && controller.fault !== null);
  restartButton.hidden = recoveryDownload.hidden = good === null;
  if (good) {
    recoveryText.textContent =
      `The last good state, step ${good.step}, is kept: restart from it on a new device, ` +
      'or download it as a checkpoint.';
    restartButton.textContent = `Restart from step ${good.step}`;
    recoveryDownload.textContent = `Download checkpoint (step ${good.step})`;
  } else {
    recoveryText.textContent =
      `No state of this run was kept (n·d is above the ${READBACK_FLOATS} floats read back ` +
      'at log points): Run starts it again on a new device.';
  }
}

function updateButtons(): void {
  const config = panel.config;
  const running = controller.running;
  const rows = controller.rows;
  const finished = config !== null && controller.finished(config);
  runButton.disabled = config === null || running || finished;
  runButton.textContent = controller.state === 'paused' ? 'Resume' : 'Run';
  pauseButton.disabled = !running;
  stepButton.disabled = config === null || running || finished;
  resetButton.disabled = running;
  for (const button of exportButtons) button.disabled = running || rows.length === 0;
  exportButtons[2]!.disabled = running || (rows.length === 0 && !sweeps.hasResults());
  const lastGood = controller.lastGood;
  saveButton.disabled =
    running || ((controller.sim === null || rows.length === 0) && lastGood === null);
  loadInput.disabled = running;
  restartButton.disabled = running || lastGood === null;
  recoveryDownload.disabled = lastGood === null;
}

const controller = new RunController({
  open: async (c) => {
    const opened = await createSimulation(c);
    showDevice(opened.sim);
    return opened;
  },
  close: (sim, failed) => {
    cloudPanel.detach();
    attached.histogram?.destroy();
    sim.destroy();
    // A device that failed is not used again: lost, or its results are not to be trusted.
    if (failed) browserGpu.retire(attached.gpu, sweeps.running);
    attached.gpu = null;
    attached.histogram = null;
    clearView();
  },
  show: showPoint,
  rate: (perSecond) => {
    rateText.textContent = `${format(perSecond)} particle-steps/s`;
  },
  changed: showState,
  notice: (text) => {
    notice.textContent = text;
  },
});

// ---------------------------------------------------------------------------------------
// Checkpoints

function downloadCheckpoint(good: KeptState): void {
  const state = { ...good, lossHistory: good.rows };
  const checkpoint = checkpointOf(good.config, state, good, problemCrc32(good.problem));
  const bytes = encodeCheckpoint(checkpoint) as Uint8Array<ArrayBuffer>;
  download(`mfld-step${good.step}.ckpt`, bytes, 'application/octet-stream');
}

/** Continues a run from `from` with the panel set to its config: see RunController.resume. */
async function resumeFrom(from: KeptState, source: string, thenRun: boolean): Promise<void> {
  notice.textContent = '';
  panel.set(from.config);
  const c = panel.config;
  if (!c) {
    controller.reset();
    checkpointError.textContent = `${source}: its config does not fit this page (see the panel)`;
    return;
  }
  await controller.resume(from, c, source, thenRun);
}

/** Reads, checks and resumes a checkpoint file; a bad one is refused with the reason. */
async function loadCheckpoint(file: File): Promise<void> {
  checkpointError.textContent = '';
  if (controller.running) return;
  let checkpoint: Checkpoint;
  let problem: Problem;
  try {
    checkpoint = decodeCheckpoint(new Uint8Array(await file.arrayBuffer()), file.name);
    const { dataset } = checkpoint.config;
    if (dataset.name === 'csv') {
      throw new CheckpointError(
        `${file.name}: it trained on the CSV file ${dataset.path ?? ''}, which only the CLI ` +
          'reads: continue it with mfld run --resume',
      );
    }
    problem = buildProblem(checkpoint.config);
    checkResumable(checkpoint, problem, file.name);
  } catch (error) {
    const message = messageOf(error);
    checkpointError.textContent =
      error instanceof CheckpointError ? message : `${file.name}: ${message}`;
    return;
  }
  const { config: c, step, particles: x, lossHistory, backend, device } = checkpoint;
  const rows = lossHistory.map((entry) => ({ ...entry, freeEnergy: null }));
  const from = { config: c, problem, step, particles: x, rows, backend, device };
  await resumeFrom(from, file.name, false);
}

/** The heat map of the last log point. */
async function drawParticles(): Promise<void> {
  const point = controller.lastPoint;
  if (point) await heat.draw(point, attached.histogram);
}

// ---------------------------------------------------------------------------------------
// Wiring

const chart = new LossChart($('chart'));
const cloudPanel = new CloudPanel();
$<HTMLInputElement>('log-scale').addEventListener('change', (event) => {
  chart.setLogScale((event.target as HTMLInputElement).checked);
});
window.addEventListener('resize', () => chart.resize());
const redraw = (): void => {
  drawParticles().catch((error: unknown) => console.error(error));
};
heatX.addEventListener('change', redraw);
heatY.addEventListener('change', redraw);

const run = (pieces: number): void => {
  if (panel.config) void controller.run(panel.config, pieces);
};
runButton.addEventListener('click', () => run(Infinity));
stepButton.addEventListener('click', () => run(1));
pauseButton.addEventListener('click', () => controller.pause());
resetButton.addEventListener('click', () => {
  controller.reset();
  clearView();
  notice.textContent = '';
});

saveButton.addEventListener('click', () => {
  checkpointError.textContent = '';
  controller
    .stateNow()
    .then((good) => {
      if (good) downloadCheckpoint(good);
    })
    .catch((error: unknown) => {
      checkpointError.textContent = `cannot save a checkpoint: ${messageOf(error)}`;
    });
});
loadInput.addEventListener('change', () => {
  const file = loadInput.files?.[0];
  loadInput.value = ''; // so that the same file can be loaded again
  if (file) void loadCheckpoint(file);
});
restartButton.addEventListener('click', () => {
  // On a new device: the controller lets go of the one that failed.
  const good = controller.lastGood;
  if (good && !controller.running) void resumeFrom(good, `step ${good.step}`, true);
});
recoveryDownload.addEventListener('click', () => {
  const good = controller.lastGood;
  if (good) downloadCheckpoint(good);
});

exportButtons[0]!.addEventListener('click', () => {
  const s = controller.sim;
  if (!s || controller.running) return;
  void controller.particlesNow(s).then((x) => {
    download(
      `mfld-particles-step${s.step}.npy`,
      particlesNpy(x, s.n, s.d),
      'application/octet-stream',
    );
  });
});
exportButtons[1]!.addEventListener('click', () => {
  download('mfld-metrics.csv', metricsCsv(controller.rows), 'text/csv');
});
exportButtons[2]!.addEventListener('click', () => {
  const c = controller.config ?? panel.config;
  if (!c) return;
  const sim = controller.sim;
  const json = studyJson(
    c,
    controller.rows,
    sim?.device ?? '',
    sim?.backend ?? '',
    sweeps.toJson(),
  );
  download('mfld-study.json', json, 'application/json');
});

// Sweeps run their own simulations (no heat-map kernel) on the backend of the panel.
const sweeps = new SweepPanel({
  raw: () => panel.raw,
  open: async (c) => (await createSimulation(c, false)).sim,
  onChange: updateButtons,
});
const functionPlot = new FunctionPlot($('function-plot'), $('function-note'));

panel.build();
panel.revalidate();
heat.clear();
chart.update([]);
// Say at once whether WebGPU is here, and offer the CPU reference where it is not.
void browserGpu.get().then((gpu) => {
  if (gpu || panel.config?.backend === 'cpu') return;
  notice.textContent = NO_WEBGPU;
  const useCpu = document.createElement('button');
  useCpu.type = 'button';
  useCpu.textContent = 'Use the CPU reference';
  useCpu.addEventListener('click', () => {
    const select = $<HTMLSelectElement>('field-backend');
    select.value = 'cpu';
    select.dispatchEvent(new Event('input'));
  });
  notice.append(' ', useCpu);
});
if (panel.autorun) run(Infinity);
