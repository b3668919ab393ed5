// The study page: the parameter panel (kept in the URL), the simulation loop in chunks of
// logEvery steps, the loss chart, the particle heat map, the exports, and checkpoints (the
// CLI's format, src/io/checkpoint.ts): saved and loaded by hand, and the last good state
// kept in memory so a run survives a lost GPU device.
import type { RunConfig } from '../contract/config';
import { configToJson } from '../contract/config-parse';
import { noiseLevel, type Moments, type Problem, type Simulation } from '../contract/simulation';
import { createCpuSimulation } from '../cpu/reference';
import { buildProblem, testSplitSize } from '../data/datasets';
import { openBrowserGpu, type EngineGpu } from '../gpu/device';
import { createHistogram, rangeFromMoments, type ParticleHistogram } from '../gpu/histogram';
import { browserShaderSources } from '../gpu/shader-sources.browser';
import { createGpuSimulation, GpuDeviceLostError } from '../gpu/simulation';
import {
  CheckpointError,
  checkResumable,
  decodeCheckpoint,
  encodeCheckpoint,
  problemCrc32,
  type Checkpoint,
} from '../io/checkpoint';
import { dynamicsFromConfig } from '../study/run-study';
import { LossChart, type MetricRow } from './charts';
import { CloudPanel } from './cloud-panel';
import { freeEnergy } from '../contract/observables';
import { download, metricsCsv, particlesNpy, studyJson } from './exports';
import {
  FIELDS,
  queryFromRaw,
  rawFromConfig,
  rawFromQuery,
  validate,
  type RawValues,
} from './fields';
import { FunctionPlot } from './function-plot';
import { drawHeatmap, HEATMAP_BINS, histogram2d } from './heatmap';
import { drawStationaryOverlay, stationaryLawFor } from './stationary-overlay';
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
const heatCanvas = $<HTMLCanvasElement>('heatmap');
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

const query = rawFromQuery(location.search);
const raw: RawValues = { ...query.raw };
let config: RunConfig | null = null;

function buildForm(): void {
  for (const spec of FIELDS) {
    const id = `field-${spec.key}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = spec.label;
    label.title = spec.title;
    let input: HTMLInputElement | HTMLSelectElement;
    if (spec.options) {
      input = document.createElement('select');
      const values = [...spec.options];
      const current = raw[spec.key] ?? '';
      if (!values.includes(current)) values.push(current);
      for (const value of values) input.add(new Option(value, value));
      input.value = current;
    } else {
      input = document.createElement('input');
      if (spec.checkbox) {
        input.type = 'checkbox';
        input.checked = raw[spec.key] === 'true';
      } else {
        input.type = 'text';
        input.value = raw[spec.key] ?? '';
        input.inputMode = 'decimal';
      }
    }
    input.id = id;
    input.name = spec.key;
    input.title = spec.title;
    input.setAttribute('aria-describedby', `error-${spec.key}`);
    input.addEventListener('input', () => {
      raw[spec.key] =
        input instanceof HTMLInputElement && input.type === 'checkbox'
          ? String(input.checked)
          : input.value;
      history.replaceState(null, '', `?${queryFromRaw(raw)}`);
      revalidate();
      sweeps.check();
    });
    const error = document.createElement('span');
    error.className = 'error';
    error.id = `error-${spec.key}`;
    error.setAttribute('role', 'alert');
    form.append(label, input, error);
  }
}

/** Puts `c` in the panel (and the URL), as if typed. */
function setPanel(c: RunConfig): void {
  Object.assign(raw, rawFromConfig(c));
  query.unknown.length = 0;
  for (const { key } of FIELDS) {
    const input = $<HTMLInputElement | HTMLSelectElement>(`field-${key}`);
    const value = raw[key] ?? '';
    if (input instanceof HTMLSelectElement) {
      if (![...input.options].some((option) => option.value === value)) {
        input.add(new Option(value, value));
      }
      input.value = value;
    } else if (input.type === 'checkbox') {
      input.checked = value === 'true';
    } else {
      input.value = value;
    }
  }
  history.replaceState(null, '', `?${queryFromRaw(raw)}`);
  revalidate();
  sweeps.check();
}

function revalidate(): void {
  const { config: parsed, errors } = validate(raw);
  for (const { key } of FIELDS) {
    const message = errors.get(key) ?? '';
    $(`error-${key}`).textContent = message;
    $(`field-${key}`).setAttribute('aria-invalid', String(message !== ''));
  }
  generalError.textContent = [...query.unknown, errors.get('') ?? ''].filter(Boolean).join('; ');
  config = query.unknown.length === 0 ? parsed : null;
  updateButtons();
}

// ---------------------------------------------------------------------------------------
// The simulation

let gpuPromise: Promise<EngineGpu | null> | null = null;
/** The device gpuPromise resolved to; a new one is opened once it fails. */
let currentGpu: EngineGpu | null = null;
/**
 * Devices the page destroyed itself. Their loss is no failure; any other loss is, whatever
 * its reason (`destroy()` by a driver reset or by a test reads 'destroyed' too).
 */
const retiredDevices = new WeakSet<GPUDevice>();

function browserGpu(): Promise<EngineGpu | null> {
  gpuPromise ??= openBrowserGpu()
    .catch(() => null)
    .then((gpu) => {
      if (gpu) watchDevice(gpu);
      currentGpu = gpu;
      return gpu;
    });
  return gpuPromise;
}

/** A browser's message without its final full stop, to go inside ours. */
const sentence = (text: string): string => text.trim().replace(/\.$/, '');

function watchDevice(gpu: EngineGpu): void {
  gpu.device.addEventListener('uncapturederror', (event) => {
    const message = `WebGPU error: ${sentence((event as GPUUncapturedErrorEvent).error.message)}`;
    // Shown in the page instead of the browser's console line.
    event.preventDefault();
    console.warn(message);
    gpuError.textContent = message;
    gpuFailed(gpu, message, false);
  });
  void gpu.device.lost.then((info) => {
    if (retiredDevices.has(gpu.device)) return;
    const message = `the GPU device was lost (${info.reason}): ${sentence(info.message) || 'no detail given'}`;
    gpuFailed(gpu, message, true);
  });
}

/** Lets go of the current device (destroying it when nothing else uses it): the next run opens a new one. */
function retireDevice(gpu: EngineGpu | null): void {
  if (gpu === null || gpu !== currentGpu) return;
  gpuPromise = null;
  currentGpu = null;
  if (!sweeps.running) {
    retiredDevices.add(gpu.device);
    gpu.device.destroy();
  }
}

/**
 * A device failed: lost, or an uncaptured error (after which its results cannot be trusted).
 * When it is the run's, the run stops (now, or at its next await: the simulation rejects its
 * operations with GpuDeviceLostError) and the last good state is offered for a restart.
 */
function gpuFailed(gpu: EngineGpu, message: string, lost: boolean): void {
  if (lost && gpu === currentGpu) {
    gpuPromise = null;
    currentGpu = null;
  }
  if (gpu !== simGpu) {
    if (lost) notice.textContent = `${message}. The next run opens a new device.`;
    return;
  }
  if (fault !== null) return;
  fault = message;
  pauseRequested = true;
  if (!running) showFault();
}

const NO_WEBGPU =
  'WebGPU is not available in this browser (no navigator.gpu, or no adapter). The CPU ' +
  'reference (backend cpu) runs here on Web Workers: fine for small n (a few thousand).';

let sim: Simulation | null = null;
/** The config the simulation was made for. */
let simConfig: RunConfig | null = null;
/** Its data (for the checksum of a checkpoint) and, on WebGPU, its device. */
let simProblem: Problem | null = null;
let simGpu: EngineGpu | null = null;
/** Why the simulation's device failed (lost, or an uncaptured error); null while it works. */
let fault: string | null = null;
let rows: MetricRow[] = [];
/** Read-back particles of the last log point (for the entropy estimate and the CPU heat map). */
let particles: Float32Array | null = null;
let moments: Moments | null = null;
/** The GPU heat-map kernel, on the WebGPU backend. */
let gpuHistogram: ParticleHistogram | null = null;

/** A state of a run that passed the checks of its log point: what a checkpoint holds. */
interface GoodState {
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

/**
 * The state of the last log point that passed its checks, for a restart after the device
 * fails. Kept where the particles are read back anyway (n·d up to READBACK_FLOATS), so it
 * costs no transfer; above that a read-back of 16 MiB or more at every log point would
 * stall large runs, and a failed device means starting over (or a checkpoint saved by hand).
 */
let lastGood: GoodState | null = null;

/**
 * Above this many floats (16 MiB) the particles are not read back at every log point: the
 * free energy estimate is then left out, and the export reads them when asked.
 */
const READBACK_FLOATS = 2 ** 22;
let running = false;
let pauseRequested = false;
let state: 'idle' | 'running' | 'paused' | 'done' | 'error' = 'idle';

/** Same trajectory: every field but how far it goes and how often it logs. */
function trajectoryKey(c: RunConfig): string {
  const { steps: _s, logEvery: _l, ...rest } = configToJson(c);
  return JSON.stringify(rest);
}

function setState(next: typeof state, text?: string): void {
  state = next;
  statusText.dataset['state'] = next;
  statusText.textContent = text ?? next;
  updateButtons();
}

function fail(message: string): void {
  running = false;
  setState('error', `error: ${message}`);
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** The end of a run that threw: a device failure keeps its last good state, else an error. */
function runFailed(error: unknown): void {
  running = false;
  if (fault !== null || error instanceof GpuDeviceLostError) {
    fault ??= messageOf(error);
    showFault();
  } else {
    fail(messageOf(error));
  }
}

function showFault(): void {
  setState('error', `error: ${fault ?? 'the GPU failed'}. The run stopped.`);
  const good = lastGood;
  recovery.hidden = false;
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
  const valid = config !== null;
  const finished = sim !== null && config !== null && sim.step >= config.steps && sameSim();
  runButton.disabled = !valid || running || finished;
  runButton.textContent = state === 'paused' ? 'Resume' : 'Run';
  pauseButton.disabled = !running;
  stepButton.disabled = !valid || running || finished;
  resetButton.disabled = running;
  for (const button of exportButtons) button.disabled = running || rows.length === 0;
  exportButtons[2]!.disabled = running || (rows.length === 0 && !sweeps.hasResults());
  saveButton.disabled = running || ((sim === null || rows.length === 0) && lastGood === null);
  loadInput.disabled = running;
  restartButton.disabled = running || lastGood === null;
  recoveryDownload.disabled = lastGood === null;
}

const sameSim = (): boolean =>
  simConfig !== null && config !== null && trajectoryKey(simConfig) === trajectoryKey(config);

function resetSimulation(): void {
  cloudPanel.detach();
  gpuHistogram?.destroy();
  gpuHistogram = null;
  moments = null;
  sim?.destroy();
  // A device that failed is not used again: lost, or its results are not to be trusted.
  if (fault !== null) retireDevice(simGpu);
  sim = null;
  simConfig = null;
  simProblem = null;
  simGpu = null;
  fault = null;
  lastGood = null;
  recovery.hidden = true;
  gpuError.textContent = '';
  rows = [];
  particles = null;
  chart.update(rows);
  progress.value = 0;
  stepText.textContent = 'step 0';
  rateText.textContent = '';
  for (const id of ['train-loss', 'test-loss', 'free-energy']) $(id).textContent = '–';
  clearHeatmap();
  functionPlot.clear();
  setState('idle');
}

/**
 * A simulation of `c`. The page's own (`main`) also gets the heat-map kernel and the 3-D
 * view, and its data and device are kept (simProblem, simGpu); the sweeps' do not.
 */
async function createSimulation(c: RunConfig, main = true): Promise<Simulation> {
  const problem = buildProblem(c);
  const dynamics = dynamicsFromConfig(c);
  if (main) simProblem = problem;
  const cpu = (): Promise<Simulation> =>
    createCpuSimulation(problem, dynamics, { threads: navigator.hardwareConcurrency || 2 });
  if (c.backend === 'cpu') return cpu();
  const gpu = await browserGpu();
  if (!gpu) {
    if (c.backend === 'webgpu') throw new Error(NO_WEBGPU);
    notice.textContent = `${NO_WEBGPU} Running on the CPU reference.`;
    return cpu();
  }
  if (main) simGpu = gpu;
  const gpuSim = await createGpuSimulation(gpu, problem, dynamics, browserShaderSources);
  if (!main) return gpuSim;
  gpuHistogram = createHistogram(gpu, gpuSim, {
    bins: HEATMAP_BINS,
    shaders: browserShaderSources,
  });
  cloudPanel.attach(gpu, gpuSim);
  return gpuSim;
}

const format = (v: number | null): string =>
  v === null ? '–' : Number.isFinite(v) ? v.toPrecision(5) : String(v);

/** Reads the loss and the particles now, and draws them. */
async function logPoint(s: Simulation, c: RunConfig): Promise<void> {
  const hasData = c.dataset.name !== 'none';
  const train = hasData ? await s.loss('train') : 0;
  const test = hasData && testSplitSize(c) > 0 ? await s.loss('test') : null;
  moments = await s.moments();
  cloudPanel.update(s, moments);
  particles = s.n * s.d <= READBACK_FLOATS ? await s.particles() : null;
  const energy = particles
    ? freeEnergy(particles, s.n, s.d, train, noiseLevel(dynamicsFromConfig(c), s.step), c.priorStd)
        .value
    : null;
  // Where m* is known (d = 2, full batch), V − V(m*) shows how far the particles are from it.
  const law = simProblem ? stationaryLawFor(c, simProblem) : null;
  const energyGap = energy !== null && law ? energy - law.freeEnergy : null;
  rows.push({ step: s.step, time: s.step * c.tau, train, test, freeEnergy: energy, energyGap });
  chart.update(rows);
  $('train-loss').textContent = format(train);
  $('train-loss').dataset['value'] = String(train);
  $('test-loss').textContent = format(test);
  $('free-energy').textContent = format(energy);
  progress.max = Math.max(c.steps, 1);
  progress.value = s.step;
  progress.dataset['step'] = String(s.step);
  stepText.textContent = `step ${s.step} / ${c.steps}, t = ${format(s.step * c.tau)}`;
  const finite = Number.isFinite(train) && (test === null || Number.isFinite(test));
  // Kept before drawing, which may be where a lost device is noticed. An uncaptured error is
  // reported some time after the work that raised it, so this state may already be one it
  // touched; the finite checks are what we can do.
  if (finite && particles && simProblem && fault === null && particles.every(Number.isFinite)) {
    lastGood = {
      config: c,
      problem: simProblem,
      step: s.step,
      particles,
      rows: [...rows],
      backend: s.backend,
      device: s.device,
    };
  }
  await drawParticles();
  functionPlot.update(particles, s.n, s.d, c);
  if (!finite) {
    throw new Error(`the dynamics diverged by step ${s.step} (the loss is not finite): lower τ`);
  }
}

/** Runs up to `maxChunks` chunks of logEvery steps, or to the end, or until paused. */
async function run(maxChunks: number): Promise<void> {
  const c = config;
  if (!c || running) return;
  running = true;
  pauseRequested = false;
  setState('running', 'running');
  try {
    if (!sim || !sameSim() || fault !== null) {
      resetSimulation();
      setState('running', 'starting');
      notice.textContent = '';
      sim = await createSimulation(c);
      simConfig = c;
      $('device').textContent = `on ${sim.device}`;
      await logPoint(sim, c);
      setState('running', 'running');
    }
    simConfig = c;
    const s = sim;
    let chunks = 0;
    while (!pauseRequested && s.step < c.steps && chunks < maxChunks) {
      const next = Math.min(c.steps, (Math.floor(s.step / c.logEvery) + 1) * c.logEvery);
      const steps = next - s.step;
      const start = performance.now();
      await s.run(steps);
      if (fault !== null) throw new Error(fault);
      const seconds = (performance.now() - start) / 1000;
      rateText.textContent = `${format((c.n * steps) / Math.max(seconds, 1e-6))} particle-steps/s`;
      await logPoint(s, c);
      chunks++;
    }
    if (fault !== null) throw new Error(fault);
    running = false;
    setState(s.step >= c.steps ? 'done' : 'paused');
  } catch (error) {
    runFailed(error);
  }
}

// ---------------------------------------------------------------------------------------
// Checkpoints

function checkpointOf(state: GoodState): Checkpoint {
  const { config: c, particles: x, rows: logged } = state;
  return {
    config: c,
    step: state.step,
    n: c.n,
    d: x.length / c.n,
    particles: x,
    lossHistory: logged.map(({ step, time, train, test }) => ({ step, time, train, test })),
    backend: state.backend,
    device: state.device,
    dataCrc32: problemCrc32(state.problem),
  };
}

/** The state now (not running: that of the last log point), or else the last good one. */
async function stateNow(): Promise<GoodState | null> {
  const s = sim;
  if (running || !s || !simConfig || !simProblem || state === 'error' || rows.length === 0) {
    return lastGood;
  }
  const x = particles ?? (await s.particles());
  return {
    config: simConfig,
    problem: simProblem,
    step: s.step,
    particles: x,
    rows,
    backend: s.backend,
    device: s.device,
  };
}

function downloadCheckpoint(good: GoodState): void {
  const bytes = encodeCheckpoint(checkpointOf(good)) as Uint8Array<ArrayBuffer>;
  download(`mfld-step${good.step}.ckpt`, bytes, 'application/octet-stream');
}

/**
 * Continues a run from `from`: the panel takes its config, a new simulation its particles
 * and global step (SPEC §3), so the run goes on as the uninterrupted one would. Then Run
 * continues it (`thenRun`), or it waits paused.
 */
async function resumeFrom(from: GoodState, source: string, thenRun: boolean): Promise<void> {
  resetSimulation();
  notice.textContent = '';
  setPanel(from.config);
  const c = config;
  if (!c) {
    checkpointError.textContent = `${source}: its config does not fit this page (see the panel)`;
    return;
  }
  running = true;
  pauseRequested = false;
  setState('running', `resuming from step ${from.step}`);
  try {
    const s = await createSimulation(c);
    sim = s;
    simConfig = c;
    $('device').textContent = `on ${s.device}`;
    if (from.backend !== s.backend) {
      notice.textContent =
        `${source} was written on the ${from.backend} backend, this run is on ${s.backend}: ` +
        'it continues the same dynamics, but not bit for bit';
    }
    await s.setParticles(from.particles, from.step);
    rows = from.rows.filter((row) => row.step < from.step);
    await logPoint(s, c);
    if (fault !== null) throw new Error(fault);
    running = false;
    if (thenRun) {
      void run(Infinity);
    } else {
      setState(s.step >= c.steps ? 'done' : 'paused', `resumed at step ${s.step} from ${source}`);
    }
  } catch (error) {
    runFailed(error);
  }
}

/** Reads, checks and resumes a checkpoint file; a bad one is refused with the reason. */
async function loadCheckpoint(file: File): Promise<void> {
  checkpointError.textContent = '';
  if (running) return;
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
  const logged = lossHistory.map((entry) => ({ ...entry, freeEnergy: null }));
  const from = { config: c, problem, step, particles: x, rows: logged, backend, device };
  await resumeFrom(from, file.name, false);
}

// ---------------------------------------------------------------------------------------
// Heat map

const coordinateName = (j: number, d: number): string => (j === d - 1 ? 'c' : `α_${j + 1}`);

function fillHeatSelects(d: number): void {
  if (heatX.options.length === d) return;
  for (const select of [heatX, heatY]) {
    select.replaceChildren();
    for (let j = 0; j < d; j++) select.add(new Option(coordinateName(j, d), String(j)));
  }
  heatX.value = '0';
  heatY.value = String(d - 1);
}

function clearHeatmap(): void {
  const ctx = heatCanvas.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, heatCanvas.width, heatCanvas.height);
}

/** The heat map of the particles now: binned on the GPU on WebGPU, else from the read-back. */
async function drawParticles(): Promise<void> {
  if (!sim || !moments) return;
  const d = sim.d;
  fillHeatSelects(d);
  const xj = Number(heatX.value);
  const yj = Number(heatY.value);
  const range = rangeFromMoments(moments, xj, yj);
  let hist;
  if (gpuHistogram) {
    const { counts } = await gpuHistogram.compute(xj, yj, range);
    hist = { bins: gpuHistogram.bins, counts, xRange: range.x, yRange: range.y };
  } else if (particles) {
    hist = histogram2d(particles, sim.n, d, xj, yj, HEATMAP_BINS, range);
  } else {
    return;
  }
  drawHeatmap(heatCanvas, hist, coordinateName(xj, d), coordinateName(yj, d));
  const law = simConfig && simProblem ? stationaryLawFor(simConfig, simProblem) : null;
  if (law) drawStationaryOverlay(heatCanvas, hist, law, xj, yj);
  heatCanvas.dataset['stationary'] = law ? 'drawn' : 'none';
  heatCanvas.setAttribute(
    'aria-label',
    `2-D histogram of ${sim.n} particles: ${coordinateName(yj, d)} against ${coordinateName(xj, d)} at step ${sim.step}`,
  );
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

runButton.addEventListener('click', () => void run(Infinity));
stepButton.addEventListener('click', () => void run(1));
pauseButton.addEventListener('click', () => {
  pauseRequested = true;
  statusText.textContent = 'pausing after this chunk';
});
resetButton.addEventListener('click', () => {
  resetSimulation();
  notice.textContent = '';
});

saveButton.addEventListener('click', () => {
  checkpointError.textContent = '';
  stateNow()
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
  // On a new device: resetSimulation lets go of the one that failed.
  if (lastGood && !running) void resumeFrom(lastGood, `step ${lastGood.step}`, true);
});
recoveryDownload.addEventListener('click', () => {
  if (lastGood) downloadCheckpoint(lastGood);
});

exportButtons[0]!.addEventListener('click', () => {
  const s = sim;
  if (!s || running) return;
  // Not running, so the particles are those of the last log point.
  void (particles ? Promise.resolve(particles) : s.particles()).then((x) => {
    download(
      `mfld-particles-step${s.step}.npy`,
      particlesNpy(x, s.n, s.d),
      'application/octet-stream',
    );
  });
});
exportButtons[1]!.addEventListener('click', () => {
  download('mfld-metrics.csv', metricsCsv(rows), 'text/csv');
});
exportButtons[2]!.addEventListener('click', () => {
  const c = simConfig ?? config;
  if (!c) return;
  const json = studyJson(c, rows, sim?.device ?? '', sim?.backend ?? '', sweeps.toJson());
  download('mfld-study.json', json, 'application/json');
});

// Sweeps run their own simulations (no heat-map kernel) on the backend of the panel.
const sweeps = new SweepPanel({
  raw: () => raw,
  open: (c) => createSimulation(c, false),
  onChange: updateButtons,
});
const functionPlot = new FunctionPlot($('function-plot'), $('function-note'));

buildForm();
revalidate();
sweeps.check();
clearHeatmap();
chart.update(rows);
// Say at once whether WebGPU is here, and offer the CPU reference where it is not.
void browserGpu().then((gpu) => {
  if (gpu || config?.backend === 'cpu') return;
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
if (query.autorun && config) void run(Infinity);
