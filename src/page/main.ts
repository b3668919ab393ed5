// The study page: the parameter panel (kept in the URL), the simulation loop in chunks of
// logEvery steps, the loss chart, the particle heat map and the exports.
import type { RunConfig } from '../contract/config';
import { configToJson } from '../contract/config-parse';
import { noiseLevel, type Moments, type Simulation } from '../contract/simulation';
import { createCpuSimulation } from '../cpu/reference';
import { buildProblem, testSplitSize } from '../data/datasets';
import { openBrowserGpu, type EngineGpu } from '../gpu/device';
import { createHistogram, rangeFromMoments, type ParticleHistogram } from '../gpu/histogram';
import { browserShaderSources } from '../gpu/shader-sources.browser';
import { createGpuSimulation } from '../gpu/simulation';
import { dynamicsFromConfig } from '../study/run-study';
import { LossChart, type MetricRow } from './charts';
import { CloudPanel } from './cloud-panel';
import { freeEnergy } from './entropy';
import { download, metricsCsv, particlesNpy, studyJson } from './exports';
import { FIELDS, queryFromRaw, rawFromQuery, validate, type RawValues } from './fields';
import { FunctionPlot } from './function-plot';
import { drawHeatmap, HEATMAP_BINS, histogram2d } from './heatmap';
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
function browserGpu(): Promise<EngineGpu | null> {
  gpuPromise ??= openBrowserGpu()
    .catch(() => null)
    .then((gpu) => {
      if (gpu) {
        gpu.device.addEventListener('uncapturederror', (event) => {
          console.error(`WebGPU error: ${(event as GPUUncapturedErrorEvent).error.message}`);
        });
        void gpu.device.lost.then((info) => {
          if (info.reason !== 'destroyed') fail(`the GPU device was lost: ${info.message}`);
        });
      }
      return gpu;
    });
  return gpuPromise;
}

const NO_WEBGPU =
  'WebGPU is not available in this browser (no navigator.gpu, or no adapter). The CPU ' +
  'reference (backend cpu) runs here on Web Workers: fine for small n (a few thousand).';

let sim: Simulation | null = null;
/** The config the simulation was made for. */
let simConfig: RunConfig | null = null;
let rows: MetricRow[] = [];
/** Read-back particles of the last log point (for the entropy estimate and the CPU heat map). */
let particles: Float32Array | null = null;
let moments: Moments | null = null;
/** The GPU heat-map kernel, on the WebGPU backend. */
let gpuHistogram: ParticleHistogram | null = null;

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
}

const sameSim = (): boolean =>
  simConfig !== null && config !== null && trajectoryKey(simConfig) === trajectoryKey(config);

function resetSimulation(): void {
  cloudPanel.detach();
  gpuHistogram?.destroy();
  gpuHistogram = null;
  moments = null;
  sim?.destroy();
  sim = null;
  simConfig = null;
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

async function createSimulation(c: RunConfig, withHistogram = true): Promise<Simulation> {
  const problem = buildProblem(c);
  const dynamics = dynamicsFromConfig(c);
  const cpu = (): Promise<Simulation> =>
    createCpuSimulation(problem, dynamics, { threads: navigator.hardwareConcurrency || 2 });
  if (c.backend === 'cpu') return cpu();
  const gpu = await browserGpu();
  if (!gpu) {
    if (c.backend === 'webgpu') throw new Error(NO_WEBGPU);
    notice.textContent = `${NO_WEBGPU} Running on the CPU reference.`;
    return cpu();
  }
  const gpuSim = await createGpuSimulation(gpu, problem, dynamics, browserShaderSources);
  if (!withHistogram) return gpuSim;
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
  rows.push({ step: s.step, time: s.step * c.tau, train, test, freeEnergy: energy });
  chart.update(rows);
  $('train-loss').textContent = format(train);
  $('train-loss').dataset['value'] = String(train);
  $('test-loss').textContent = format(test);
  $('free-energy').textContent = format(energy);
  progress.max = Math.max(c.steps, 1);
  progress.value = s.step;
  progress.dataset['step'] = String(s.step);
  stepText.textContent = `step ${s.step} / ${c.steps}, t = ${format(s.step * c.tau)}`;
  await drawParticles();
  functionPlot.update(particles, s.n, s.d, c);
  if (!Number.isFinite(train) || (test !== null && !Number.isFinite(test))) {
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
    if (!sim || !sameSim()) {
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
      const seconds = (performance.now() - start) / 1000;
      rateText.textContent = `${format((c.n * steps) / Math.max(seconds, 1e-6))} particle-steps/s`;
      await logPoint(s, c);
      chunks++;
    }
    running = false;
    setState(s.step >= c.steps ? 'done' : 'paused');
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
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
