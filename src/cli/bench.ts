// `mfld bench`: flags, the WebGPU environment, progress on stderr, the table on stdout and
// the JSON record. The measuring is in src/bench/.
import { availableParallelism } from 'node:os';
import type { FieldKey, ValueOf } from '../contract/fields';
import { givenValue, parseGiven, tokenize, valueOrDefault } from '../contract/tokenize';
import { autoBackendLine, type EngineGpu } from '../gpu/device';
import type { LaneParticles } from '../gpu/particle-rows';
import { GpuDeviceLostError } from '../contract/simulation';
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
  OutputFiles,
  checkOutputPaths,
  formatValue,
  interruptible,
  type FileWriter,
} from './output';
import { commandUsage, type CommandDoc } from './help';

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

const SMALLEST_DEFAULT_SIZE = 2 ** 10;
/** Largest default n: 2^16 on SwiftShader (a CPU driver), so the default run takes minutes. */
const LARGEST_DEFAULT_SIZE = { swiftshader: 2 ** 16, gpu: 2 ** 22 } as const;

export const BENCH_DOC: CommandDoc = {
  command: 'bench',
  summary: 'time the step on WebGPU and the CPU against measured device limits',
  synopsis: ['mfld bench [flags]'],
  about: [
    'Throughput of the time step on WebGPU and on the CPU reference, against each',
    "device's measured FLOP/s and bandwidth; each size is checked for GPU–CPU agreement",
    'before it is timed.',
  ],
};

export function benchUsage(): string {
  return commandUsage(BENCH_DOC);
}

/** The flags of `mfld bench`, from the field table (src/contract/fields.ts). */
export function parseBenchArgs(args: readonly string[]): BenchOptions {
  const { given, help } = tokenize(args, 'bench');
  const values = parseGiven(given);
  const value = <K extends FieldKey>(key: K): ValueOf<K> | undefined => givenValue(values, key);
  return {
    sizes: value('sizes') ?? null,
    d: valueOrDefault(values, 'benchDim'),
    batch: valueOrDefault(values, 'benchBatch'),
    steps: value('benchSteps') ?? null,
    repeats: valueOrDefault(values, 'repeats'),
    cpuThreads: value('backendCpuThreads') ?? availableParallelism(),
    json: value('benchJson') ?? null,
    skipCpu: value('skipCpu') ?? false,
    laneParticles: value('lanes') ?? null,
    groupChunks: value('groupChunks') ?? null,
    help,
  };
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
