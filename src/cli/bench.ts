// `mfld bench`: flags, the WebGPU environment, progress on stderr, the table on stdout and
// the JSON record. The measuring is in src/bench/.
import { availableParallelism } from 'node:os';
import { ConfigError } from '../contract/config-parse';
import { autoBackendLine, type EngineGpu } from '../gpu/device';
import { isLaneParticles, type LaneParticles } from '../gpu/particle-rows';
import { GpuDeviceLostError } from '../contract/simulation';
import { MAX_GROUP_CHUNKS } from '../gpu/simulation';
import { BackendUnavailableError } from '../node/backends';
import { openNodeGpu } from '../node/gpu';
import { enterWebGpuEnv, RESOLVED_MARK } from '../node/webgpu-env';
import {
  BenchStoppedError,
  SizeRefusedError,
  runBench,
  type BenchConfig,
  type BenchResult,
} from '../bench/run-bench';
import {
  clockSummary,
  engineSummary,
  exponentSummary,
  limitsSummary,
  resultRows,
} from '../bench/report';
import {
  EXIT_INTERRUPTED,
  OUTPUT_FILES_HELP,
  OutputFiles,
  checkOutputPaths,
  formatValue,
  interruptible,
  type FileWriter,
} from './output';

export interface BenchOptions {
  /** Null: the default sizes for the adapter (defaultSizes). */
  readonly sizes: number[] | null;
  readonly d: number;
  readonly batch: number;
  readonly steps: number | null;
  readonly repeats: number;
  readonly cpuThreads: number;
  readonly json: string | null;
  readonly skipCpu: boolean;
  /** --lanes; null: the engine's default for d. */
  readonly laneParticles: LaneParticles | null;
  /** --group-chunks; null: the engine's default for the adapter and n. */
  readonly groupChunks: number | null;
  readonly help: boolean;
}

/** Particles of d = 16 coordinates: p = 15 inputs, the last of them the bias feature 1. */
const DEFAULT_D = 16;
const DEFAULT_BATCH = 64;
const DEFAULT_REPEATS = 5;
const SMALLEST_DEFAULT_SIZE = 2 ** 10;
/** Largest default n: 2^16 on SwiftShader (a CPU driver), so the default run takes minutes. */
const LARGEST_DEFAULT_SIZE = { swiftshader: 2 ** 16, gpu: 2 ** 22 } as const;
/** Counter words are 32-bit (SPEC §3): particle indices stay below this. */
const MAX_SIZE = 2 ** 32 - 1;
/** The largest d the GPU kernels take (MAX_GPU_COORDINATES) and the smallest with one raw input and the bias. */
const D_RANGE = { min: 3, max: 256 } as const;

const FLAGS: readonly { readonly usage: string; readonly help: string }[] = [
  {
    usage: '--sizes N,N,…',
    help: 'particle counts n, all held at once and timed round by round; default powers of 4 from 2^10 to 2^16 on SwiftShader, 2^22 on a GPU (or the largest that fits)',
  },
  {
    usage: '--dim D',
    help: `particle coordinates d = p + 1, p inputs counting the bias feature (teacher data with d − 2 raw inputs); ${D_RANGE.min}…${D_RANGE.max}; default ${DEFAULT_D}`,
  },
  { usage: '--batch B', help: `minibatch size; default ${DEFAULT_BATCH}` },
  {
    usage: '--steps K',
    help: 'steps per timed block; default: as many as make a block last about half a second',
  },
  {
    usage: '--repeats R',
    help: `rounds of timed blocks (one per size and backend, each followed by a block of the device's FMA limit) after a warm-up block; default ${DEFAULT_REPEATS}`,
  },
  {
    usage: '--backend-cpu-threads T',
    help: 'CPU reference and CPU limit threads; default all cores',
  },
  {
    usage: '--lanes L',
    help: "particles each GPU invocation holds: 1, 2 or 4; default: the engine's choice for d (the table's engine line names it)",
  },
  {
    usage: '--group-chunks G',
    help: `chunks of 64 · L particles (L of --lanes) each GPU workgroup walks in turn, 1…${MAX_GROUP_CHUNKS}; default: 1 on a GPU, up to 16 on SwiftShader (fewer where n leaves under 16 workgroups)`,
  },
  { usage: '--json PATH', help: 'write every figure, the machine and the configuration as JSON' },
  { usage: '--skip-cpu', help: 'time the GPU only (no agreement check, no CPU figures)' },
];

export function benchUsage(): string {
  const lines = [
    'mfld bench [flags]: throughput of the time step on WebGPU and on the CPU reference, against each',
    "device's measured FLOP/s and bandwidth; each size is checked for GPU–CPU agreement before it is timed",
    '',
  ];
  for (const flag of FLAGS) lines.push(`  ${flag.usage}`, `      ${flag.help}`);
  lines.push('', ...OUTPUT_FILES_HELP);
  return lines.join('\n') + '\n';
}

export function parseBenchArgs(args: readonly string[]): BenchOptions {
  let sizes: number[] | null = null;
  let d = DEFAULT_D;
  let batch = DEFAULT_BATCH;
  let steps: number | null = null;
  let repeats = DEFAULT_REPEATS;
  let cpuThreads = availableParallelism();
  let json: string | null = null;
  let skipCpu = false;
  let laneParticles: LaneParticles | null = null;
  let groupChunks: number | null = null;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const flag = eq >= 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const inline = eq >= 0 && arg.startsWith('--') ? arg.slice(eq + 1) : null;
    const value = (): string => {
      if (inline !== null) return inline;
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new ConfigError(`${flag} needs a value`);
      i++;
      return next;
    };
    switch (flag) {
      case '--sizes':
        sizes = parseSizes(value());
        break;
      case '--dim':
        d = parseInteger(flag, value(), D_RANGE.min, D_RANGE.max);
        break;
      case '--batch':
        batch = parseInteger(flag, value(), 1, MAX_SIZE);
        break;
      case '--steps':
        steps = parseInteger(flag, value(), 1, 1_000_000);
        break;
      case '--repeats':
        repeats = parseInteger(flag, value(), 1, 1000);
        break;
      case '--backend-cpu-threads':
        cpuThreads = parseInteger(flag, value(), 1, 1024);
        break;
      case '--lanes':
        laneParticles = parseLaneParticles(flag, value());
        break;
      case '--group-chunks':
        groupChunks = parseInteger(flag, value(), 1, MAX_GROUP_CHUNKS);
        break;
      case '--json':
        json = value();
        if (json === '') throw new ConfigError('--json needs a file path');
        break;
      case '--skip-cpu':
        if (inline !== null) throw new ConfigError('--skip-cpu takes no value');
        skipCpu = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new ConfigError(
          `unknown flag ${JSON.stringify(arg)} of mfld bench; its flags are ${FLAGS.map((f) => f.usage.split(' ')[0]).join(', ')}`,
        );
    }
  }
  return {
    sizes,
    d,
    batch,
    steps,
    repeats,
    cpuThreads,
    json,
    skipCpu,
    laneParticles,
    groupChunks,
    help,
  };
}

function parseInteger(flag: string, text: string, min: number, max: number): number {
  const value = /^\d{1,16}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new ConfigError(
      `${flag} must be an integer in ${min}…${max}, got ${JSON.stringify(text)}`,
    );
  return value;
}

function parseLaneParticles(flag: string, text: string): LaneParticles {
  const value = Number(text.trim());
  if (text.trim() === '' || !isLaneParticles(value))
    throw new ConfigError(`${flag} must be 1, 2 or 4, got ${JSON.stringify(text)}`);
  return value;
}

function parseSizes(text: string): number[] {
  const parts = text.split(',').filter((part) => part.trim() !== '');
  if (parts.length === 0) throw new ConfigError('--sizes needs at least one particle count');
  const sizes = parts.map((part) => parseInteger('--sizes', part, 1, MAX_SIZE));
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** Powers of 4 from 2^10 up to the device's sensible largest, within its buffer limit. */
export function defaultSizes(gpu: EngineGpu, d: number): number[] {
  const swiftShader =
    process.env[RESOLVED_MARK] === 'swiftshader' || /swiftshader/i.test(gpu.description);
  const { maxStorageBufferBindingSize, maxBufferSize } = gpu.device.limits;
  const fits = Math.floor(Math.min(maxStorageBufferBindingSize, maxBufferSize) / (d * 4));
  const largest = Math.min(
    fits,
    swiftShader ? LARGEST_DEFAULT_SIZE.swiftshader : LARGEST_DEFAULT_SIZE.gpu,
  );
  const sizes: number[] = [];
  for (let n = SMALLEST_DEFAULT_SIZE; n <= largest; n *= 4) sizes.push(n);
  return sizes.length > 0 ? sizes : [largest];
}

/** The command; like `mfld run`, it re-runs itself where Dawn needs SwiftShader's environment. */
export async function benchCommand(
  args: readonly string[],
  writeFile: FileWriter,
): Promise<number> {
  const options = parseBenchArgs(args);
  if (options.help) {
    process.stdout.write(benchUsage());
    return 0;
  }
  const rerun = await enterWebGpuEnv();
  if (rerun !== null) return rerun;
  checkOutputPaths({ '--json': options.json });
  const gpu = process.env[RESOLVED_MARK] === 'none' ? null : await openNodeGpu();
  if (!gpu) {
    throw new BackendUnavailableError(
      'bench needs a WebGPU adapter and found none: there is no usable GPU, and no Chrome ' +
        'or Chromium whose SwiftShader could stand in (or set MFLD_SWIFTSHADER_DIR)',
    );
  }
  try {
    const config: BenchConfig = {
      sizes: options.sizes ?? defaultSizes(gpu, options.d),
      d: options.d,
      batch: options.batch,
      steps: options.steps,
      repeats: options.repeats,
      cpuThreads: options.cpuThreads,
      skipCpu: options.skipCpu,
      laneParticles: options.laneParticles,
      groupChunks: options.groupChunks,
    };
    const progress = new BenchProgress();
    const notice = (message: string): void => {
      progress.finish();
      process.stderr.write(`mfld: ${message}\n`);
    };
    // The figures of the rounds done are then shown and written as at the end.
    const interrupt = interruptible(() =>
      notice(
        'interrupted: the benchmark stops after this round and reports the rounds done; ' +
          'Ctrl-C again quits at once, writing nothing',
      ),
    );
    let result: BenchResult;
    try {
      result = await runBench(gpu, config, {
        progress: (what, done, total) => progress.report(what, done, total),
        notice,
        stopRequested: interrupt.requested,
      });
    } catch (error) {
      if (error instanceof BenchStoppedError) {
        notice(`interrupted: ${error.message}`);
        return EXIT_INTERRUPTED;
      }
      // User-facing failures of the device, not bugs: one line, no stack (see main.ts).
      if (error instanceof SizeRefusedError || error instanceof GpuDeviceLostError)
        throw new BackendUnavailableError(error.message);
      throw error;
    } finally {
      interrupt.dispose();
      progress.finish();
    }
    // The table first: a JSON file that fails to be written still leaves the figures shown.
    for (const line of benchTable(result)) process.stdout.write(line + '\n');
    const outputs = new OutputFiles(writeFile, notice);
    if (
      options.json !== null &&
      outputs.write('--json', options.json, JSON.stringify(result, null, 2) + '\n')
    ) {
      process.stdout.write(`json       ${options.json}\n`);
    }
    const interrupted = result.roundsTimed < config.repeats;
    if (interrupted) {
      notice(
        `interrupted after ${result.roundsTimed} of ${config.repeats} rounds: the figures are from those rounds`,
      );
    }
    if (outputs.anyFailed) return 1;
    if (interrupted) return EXIT_INTERRUPTED;
    return result.sizes.every((size) => size.agreement?.ok ?? true) ? 0 : 1;
  } finally {
    gpu.device.destroy();
  }
}

const BAR_WIDTH = 24;

/** One updating line with a bar on a terminal, else a line per phase. */
class BenchProgress {
  private lineOpen = false;
  private readonly started = performance.now();

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  report(what: string, done: number, total: number): void {
    const elapsed = `${Math.round((performance.now() - this.started) / 1000)} s`;
    if (!this.stream.isTTY) {
      this.stream.write(`bench [${done}/${total}] ${what} (${elapsed})\n`);
      return;
    }
    const filled = Math.round((total > 0 ? done / total : 1) * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
    this.stream.write(`\r\x1b[2K${bar} ${done}/${total}  ${what}  ${elapsed}`);
    this.lineOpen = true;
  }

  finish(): void {
    if (this.lineOpen) this.stream.write('\n');
    this.lineOpen = false;
  }
}

/** The results as aligned text: the machine, the limits, one row per size, the exponents. */
export function benchTable(result: BenchResult): string[] {
  const { config } = result;
  const lines = [
    `gpu        ${result.adapter.description}`,
    `cpu        ${result.cpu.model}, ${result.cpu.threads} threads of ${result.cpu.logicalCores} logical cores (load ${result.cpu.loadAverage.map((x) => x.toFixed(2)).join(' ')})`,
    `problem    teacher, d = ${config.d} (p = ${config.p} with bias), batch ${config.batch}: ` +
      `${config.counts.flopPerParticleStep} FLOP and ${config.counts.bytesPerParticleStep} bytes per particle-step`,
    `limits     ${limitsSummary(result, formatValue)}`,
    `engine     ${engineSummary(result)}`,
    `auto       ${autoBackendLine(result.autoBackend)}`,
    `timed      ${clockSummary(result)}`,
    '',
  ];
  const header = [
    'n',
    'backend',
    's/step',
    'p-steps/s',
    'GFLOP/s',
    'of peak',
    'GB/s',
    'of bw',
    'gpu/cpu',
    'agree',
  ];
  const rows: string[][] = [header, ...resultRows(result, formatValue, false)];
  const widths = header.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows)
    lines.push(
      row
        .map((cell, c) => cell.padStart(widths[c]!))
        .join('  ')
        .trimEnd(),
    );
  lines.push('');
  for (const backend of ['gpu', 'cpu'] as const) {
    const line = exponentSummary(result, backend);
    if (line) lines.push(`exponent   ${line}`);
  }
  return lines;
}
