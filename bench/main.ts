// The benchmark page (/bench/): the form, the run with a progress bar, then the table, the
// log–log charts and the JSON and CSV downloads. The measuring is src/bench/measure-bench.ts,
// the same core as `mfld bench`; the CPU reference and the CPU limits run on Web Workers.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { autoBackendLine, openBrowserGpu, type EngineGpu } from '../src/gpu/device';
import { awaitIsolation, isolationNote } from '../src/page/isolation';
import { browserShaderSources } from '../src/gpu/shader-sources.browser';
import {
  BenchStoppedError,
  measureBench,
  SizeRefusedError,
  type Timing,
} from '../src/bench/measure-bench';
import {
  BenchInputError,
  benchCsv,
  benchFieldsQuery,
  benchQuery,
  clockSummary,
  engineSummary,
  exponentSummary,
  fitLine,
  limitsSummary,
  resultRows,
  parseBenchFields,
  rooflineParticleSteps,
  type BenchFields,
  type PageBenchResult,
} from '../src/bench/report';

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`bench/index.html has no #${id}`);
  return found as T;
};
const input = (id: string): HTMLInputElement => element<HTMLInputElement>(id);

const statusText = element('status');
const errorText = element('error');
const notices = element('notices');
const progress = element<HTMLProgressElement>('progress');
const runButton = element<HTMLButtonElement>('run');
const stopButton = element<HTMLButtonElement>('stop');
/** Set by Stop; the measurement asks it before each round. */
let stopRequested = false;
const results = element('results');
const charts: uPlot[] = [];
let latest: PageBenchResult | null = null;

const fmt = (value: number): string =>
  value === 0 || (Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6)
    ? String(Number(value.toPrecision(3)))
    : value.toExponential(2);

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function describeMachine(gpu: EngineGpu): string {
  const { vendor, architecture, device, description } = gpu.adapter.info;
  return [
    `adapter    ${gpu.description}`,
    `           vendor ${vendor || '–'}, architecture ${architecture || '–'}, device ${device || '–'}, description ${description || '–'}`,
    `browser    ${navigator.userAgent}`,
    `cpu        ${navigator.hardwareConcurrency} logical cores (navigator.hardwareConcurrency)` +
      `; ${isolationNote()}`,
  ].join('\n');
}

function renderTable(result: PageBenchResult): void {
  const header = [
    'n',
    'backend',
    's/step (median)',
    's/step (min – max)',
    'particle-steps/s',
    'GFLOP/s',
    'of peak',
    'GB/s',
    'of bandwidth',
    'GPU/CPU',
    'agreement',
  ];
  const rows = resultRows(result, fmt, true);
  const table = element<HTMLTableElement>('table');
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const cell of header) {
    const th = document.createElement('th');
    th.textContent = cell;
    head.append(th);
  }
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    if (row[0] !== '') tr.dataset['n'] = row[0];
    for (const cell of row) tr.insertCell().textContent = cell;
  }
}

function renderSummary(result: PageBenchResult): void {
  const { config } = result;
  const lines = [
    `problem    teacher, d = ${config.d} (p = ${config.p} with bias), batch ${config.batch}, ` +
      `steps ${config.steps ?? 'auto'}, repeats ${config.repeats}, CPU threads ${config.cpuThreads}: ` +
      `${config.counts.flopPerParticleStep} FLOP and ${config.counts.bytesPerParticleStep} bytes per particle-step`,
    `limits     ${limitsSummary(result, fmt)}`,
    `engine     ${engineSummary(result)}`,
    `auto       ${autoBackendLine(result.autoBackend)}`,
    `timed      ${clockSummary(result)}`,
  ];
  for (const backend of ['gpu', 'cpu'] as const) {
    const line = exponentSummary(result, backend);
    if (line) lines.push(`exponent   ${line}`);
  }
  element('summary').textContent = lines.join('\n');
}

function renderCharts(result: PageBenchResult): void {
  for (const chart of charts.splice(0)) chart.destroy();
  const ns = result.sizes.map((size) => size.n);
  const of = (backend: 'gpu' | 'cpu', pick: (t: Timing) => number): (number | null)[] =>
    result.sizes.map((size) => {
      const timing = size[backend];
      return timing ? pick(timing) : null;
    });
  const counts = result.config.counts;
  const gpuRoof = rooflineParticleSteps(result.limits.gpu, counts);
  const cpuRoof = result.limits.cpu ? rooflineParticleSteps(result.limits.cpu, counts) : null;
  const logAxes: uPlot.Options['scales'] = { x: { time: false, distr: 3 }, y: { distr: 3 } };
  // Exponent form past 10^5 and below 10^-3 keeps the labels of a fast GPU's 10^9 particle-steps/s
  // or its 10^-5 s per step clear of the axis title (filtered-out ticks come as null).
  const logTicks: uPlot.Axis['values'] = (_plot, splits) =>
    splits.map((value: number | null) =>
      value === null
        ? ''
        : value >= 1e-3 && value < 1e5
          ? value.toLocaleString('en')
          : value.toExponential(0).replace('+', ''),
    );
  const nAxis: uPlot.Axis = { label: 'particles n' };
  const width = Math.min(560, Math.max(320, window.innerWidth - 60));
  const throughput = new uPlot(
    {
      title: 'Throughput (particle-steps/s) against n, with the roofline',
      width,
      height: 320,
      scales: logAxes,
      axes: [nAxis, { label: 'particle-steps/s', size: 70, values: logTicks }],
      series: [
        { label: 'n' },
        { label: 'GPU', stroke: '#1f6fd1', width: 2, points: { show: true } },
        { label: 'CPU', stroke: '#d1581f', width: 2, points: { show: true } },
        { label: 'GPU roofline', stroke: '#1f6fd1', dash: [6, 4] },
        { label: 'CPU roofline', stroke: '#d1581f', dash: [6, 4] },
      ],
    },
    [
      ns,
      of('gpu', (t) => t.particleStepsPerSecond),
      of('cpu', (t) => t.particleStepsPerSecond),
      ns.map(() => gpuRoof),
      ns.map(() => cpuRoof),
    ],
    element('chart-throughput'),
  );
  // The fitted exponents, as lines over the sizes each fit used.
  const fitLabel = (backend: 'gpu' | 'cpu'): string => {
    const fit = result.exponents[backend];
    return `${backend.toUpperCase()} fit ∝ n^${fit ? fit.exponent.toFixed(3) : '–'}`;
  };
  const time = new uPlot(
    {
      title: 'Time per step (s, median) against n, with the fitted exponents',
      width,
      height: 320,
      scales: logAxes,
      axes: [nAxis, { label: 'seconds per step', size: 70, values: logTicks }],
      series: [
        { label: 'n' },
        { label: 'GPU', stroke: '#1f6fd1', width: 2, points: { show: true } },
        { label: 'CPU', stroke: '#d1581f', width: 2, points: { show: true } },
        { label: fitLabel('gpu'), stroke: '#1f6fd1', dash: [2, 4] },
        { label: fitLabel('cpu'), stroke: '#d1581f', dash: [2, 4] },
      ],
    },
    [
      ns,
      of('gpu', (t) => t.secondsPerStep.median),
      of('cpu', (t) => t.secondsPerStep.median),
      fitLine(result, 'gpu'),
      fitLine(result, 'cpu'),
    ],
    element('chart-time'),
  );
  charts.push(throughput, time);
}

/** The form's inputs by field; the ids are the URL query's keys (benchQuery). */
const inputs = {
  sizes: input('sizes'),
  dim: input('dim'),
  batch: input('batch'),
  steps: input('steps'),
  repeats: input('repeats'),
  threads: input('threads'),
  skipCpu: input('skip-cpu'),
  lanes: input('lanes'),
  groupChunks: input('group-chunks'),
} as const satisfies Record<keyof BenchFields, HTMLInputElement>;

function formFields(): BenchFields {
  return {
    sizes: inputs.sizes.value,
    dim: inputs.dim.value,
    batch: inputs.batch.value,
    steps: inputs.steps.value,
    repeats: inputs.repeats.value,
    threads: inputs.threads.value,
    skipCpu: inputs.skipCpu.checked,
    lanes: inputs.lanes.value,
    groupChunks: inputs.groupChunks.value,
  };
}

async function run(gpu: EngineGpu): Promise<void> {
  errorText.textContent = '';
  notices.replaceChildren();
  let config;
  const fields = formFields();
  try {
    config = parseBenchFields(fields);
  } catch (error) {
    if (!(error instanceof BenchInputError)) throw error;
    errorText.textContent = error.message;
    statusText.textContent = 'invalid input';
    return;
  }
  if (!config.skipCpu) {
    try {
      statusText.textContent = 'waiting for cross-origin isolation (the CPU reference)';
      await awaitIsolation();
    } catch (error) {
      errorText.textContent = `${(error as Error).message} Or tick "GPU only".`;
      statusText.textContent = 'no shared memory';
      return;
    }
  }
  // The address bar then links to this configuration.
  history.replaceState(null, '', `?${benchFieldsQuery(fields)}`);
  runButton.disabled = true;
  stopRequested = false;
  stopButton.disabled = false;
  progress.value = 0;
  statusText.textContent = 'checking the sizes against the adapter';
  const date = new Date().toISOString();
  try {
    const measured = await measureBench(gpu, browserShaderSources, config, {
      progress: (what, done, total) => {
        progress.value = total > 0 ? done / total : 1;
        const stopping = stopRequested ? ', stopping after this round' : '';
        statusText.textContent = `${what} (${done}/${total})${stopping}`;
      },
      notice,
      stopRequested: () => stopRequested,
    });
    const { adapter, ...rest } = measured;
    latest = {
      date,
      browser: { userAgent: navigator.userAgent, crossOriginIsolated },
      adapter,
      cpu: { threads: config.cpuThreads, logicalCores: navigator.hardwareConcurrency },
      ...rest,
    };
    results.hidden = false;
    renderSummary(latest);
    renderTable(latest);
    renderCharts(latest);
    progress.value = 1;
    statusText.textContent = 'done';
    if (latest.roundsTimed < config.repeats) {
      statusText.textContent = 'stopped';
      notice(
        `stopped after ${latest.roundsTimed} of ${config.repeats} rounds: the figures are from those rounds`,
      );
    }
  } catch (error) {
    if (error instanceof BenchStoppedError) {
      statusText.textContent = 'stopped';
      errorText.textContent = `The benchmark ${error.message}.`;
      return;
    }
    statusText.textContent = error instanceof SizeRefusedError ? 'refused' : 'failed';
    const message = error instanceof Error ? error.message : String(error);
    errorText.textContent =
      error instanceof SizeRefusedError
        ? `Refused: a size does not fit this adapter or the CPU reference's memory; nothing was timed.\n${message}`
        : `The benchmark failed: ${message}`;
  } finally {
    runButton.disabled = false;
    stopButton.disabled = true;
  }
}

function notice(message: string): void {
  const item = document.createElement('li');
  item.textContent = message;
  notices.append(item);
}

async function start(): Promise<void> {
  inputs.threads.value = String(Math.max(1, navigator.hardwareConcurrency || 1));
  const query = benchQuery(location.search);
  for (const [field, value] of Object.entries(query.fields))
    inputs[field as keyof typeof query.fields].value = value;
  if (query.skipCpu !== null) inputs.skipCpu.checked = query.skipCpu;
  errorText.textContent = query.errors.join('\n');
  const gpu = await openBrowserGpu();
  const machine = element('machine');
  if (!gpu) {
    machine.textContent = `browser    ${navigator.userAgent}\nno WebGPU adapter: this browser has no navigator.gpu, or it offered no adapter`;
    statusText.textContent = 'no WebGPU';
    return;
  }
  machine.textContent = describeMachine(gpu);
  element('download-json').addEventListener('click', () => {
    if (latest)
      download('mfld-bench.json', 'application/json', JSON.stringify(latest, null, 2) + '\n');
  });
  element('download-csv').addEventListener('click', () => {
    if (latest) download('mfld-bench.csv', 'text/csv', benchCsv(latest));
  });
  stopButton.addEventListener('click', () => {
    stopRequested = true;
    stopButton.disabled = true;
    statusText.textContent = 'stopping after this round…';
  });
  element<HTMLFormElement>('form').addEventListener('submit', (event) => {
    event.preventDefault();
    void run(gpu);
  });
  runButton.disabled = false;
  statusText.textContent = 'ready';
  // A link with parameters the page does not know runs nothing, even with autorun.
  if (query.errors.length > 0) statusText.textContent = 'invalid URL';
  else if (query.autorun) await run(gpu);
}

void start().catch((error: unknown) => {
  statusText.textContent = 'failed';
  errorText.textContent = `The page could not start: ${error instanceof Error ? error.message : String(error)}`;
});
