// What `mfld run` shows and writes: the progress line, the summary, the JSON record and the
// particle file. Progress and notices go to stderr, results to stdout. Shared by the CLI's
// commands: output paths checked before the work, atomic file writes, each output file written
// on its own (OutputFiles), and Ctrl-C.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { RunConfig } from '../contract/config';
import { configToJson, ignoredFields, type RunFieldKey } from '../contract/config-parse';
import type { Problem } from '../contract/simulation';
import { FileError } from '../io/file-error';
import type { FinalState, LossEntry, StudyProgress, Throughput } from '../study/run-study';

/** Four significant digits, exponent form for very small or large values. */
export function formatValue(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const magnitude = Math.abs(x);
  return magnitude >= 1e-3 && magnitude < 1e6
    ? String(Number(x.toPrecision(4)))
    : x.toExponential(3);
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds < 10 ? formatValue(seconds) : seconds.toFixed(0)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes} min ${Math.round(seconds % 60)} s`
    : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The config in one line, leaving out the fields it does not use. */
export function describeConfig(config: RunConfig): string {
  const ignored = ignoredFields(config);
  const fields = Object.entries(configToJson(config)).filter(
    ([key]) => !ignored.has(key as RunFieldKey),
  );
  return fields.map(([key, value]) => `${key}=${value}`).join(' ');
}

export function describeData(problem: Problem): string {
  const { p, train, test } = problem;
  if (train.count === 0) return `no data (F = 0), particles of d = ${p + 1} coordinates`;
  const held = test ? `, ${test.count} test points` : '';
  return `${train.count} training points${held}, p = ${p} inputs, particles of d = ${p + 1} coordinates`;
}

const BAR_WIDTH = 24;

/** Progress on stderr: one updating line with a bar on a terminal, else a line per entry. */
export class ProgressReporter {
  private lineOpen = false;

  constructor(
    private readonly n: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  report(entry: LossEntry, progress: StudyProgress): void {
    const { stepsDone, stepsTotal, seconds } = progress;
    const loss =
      `loss ${formatValue(entry.train)}` +
      (entry.test === null ? '' : ` (test ${formatValue(entry.test)})`);
    const rate =
      seconds > 0 ? `${formatValue((this.n * stepsDone) / seconds)} particle-steps/s` : '';
    if (!this.stream.isTTY) {
      const parts = [
        `step ${entry.step} (${stepsDone}/${stepsTotal})`,
        `time ${formatValue(entry.time)}`,
        loss,
        rate,
      ];
      this.stream.write(parts.filter((part) => part !== '').join('  ') + '\n');
      return;
    }
    const fraction = stepsTotal > 0 ? stepsDone / stepsTotal : 1;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
    const eta =
      stepsDone > 0 && stepsDone < stepsTotal
        ? `ETA ${formatSeconds((seconds / stepsDone) * (stepsTotal - stepsDone))}`
        : '';
    const line = [bar, `${stepsDone}/${stepsTotal}`, loss, rate, eta]
      .filter((part) => part !== '')
      .join('  ');
    this.stream.write(`\r\x1b[2K${line}`);
    this.lineOpen = true;
  }

  /** Ends the updating line, so what follows starts on a line of its own. */
  finish(): void {
    if (this.lineOpen) this.stream.write('\n');
    this.lineOpen = false;
  }
}

/** Interrupted: stopped by Ctrl-C at a checked state before its last step. */
export type RunStatus = 'completed' | 'diverged' | 'interrupted';

export interface RunRecord {
  readonly version: string;
  readonly status: RunStatus;
  readonly config: ReturnType<typeof configToJson>;
  readonly backend: 'webgpu' | 'cpu';
  readonly adapter: string;
  readonly data: {
    readonly p: number;
    readonly d: number;
    readonly train: number;
    readonly test: number;
  };
  readonly final: FinalState;
  /**
   * How lossHistory[].freeEnergy and final.freeEnergy were computed: V = F + (σ²/2) KL(m ‖ g),
   * the entropy in KL estimated from `subsample` particles (contract/observables.ts).
   */
  readonly freeEnergy: { readonly estimator: string; readonly subsample: number };
  readonly lossHistory: readonly LossEntry[];
  /** The stepping alone; `measures` says so in the file. */
  readonly throughput: Throughput & { readonly measures: typeof THROUGHPUT_MEASURES };
  /**
   * Wall time of the command up to its JSON: opening the backend, stepping, log points and
   * checkpoints with their readbacks, and the files written before the JSON.
   */
  readonly wallSeconds: number;
  /** The checkpoint this run continued (its throughput counts the steps after it only). */
  readonly resumedFrom: { readonly checkpoint: string; readonly step: number } | null;
  /**
   * What --save-particles and --checkpoint hold at the end: the final state, or for a diverged
   * run the last state that passed the checks; a path is null when its file was not asked for
   * or failed to be written, `saved` null when no state was good to be written.
   */
  readonly saved: {
    readonly step: number;
    readonly particles: string | null;
    readonly checkpoint: string | null;
  } | null;
  /** Each output file other than the JSON, by flag: written (`saved`) or not (`failed`). */
  readonly outputs: OutputRecord;
}

/** The label of the JSON's `throughput`: what its seconds count. */
export const THROUGHPUT_MEASURES =
  'stepping only, without log points, checkpoints and their readbacks (wallSeconds counts them)';

/** The summary lines for stdout. */
export function summaryLines(record: RunRecord, config: RunConfig): string[] {
  const { final, lossHistory, throughput } = record;
  const lines: string[] = [];
  if (record.status === 'diverged') lines.push(`status       diverged at step ${final.step}`);
  if (record.status === 'interrupted')
    lines.push(`status       interrupted at step ${final.step} of ${config.steps}`);
  const test = final.loss.test === null ? '' : `  test ${formatValue(final.loss.test)}`;
  lines.push(`final loss   train ${formatValue(final.loss.train)}${test}  (step ${final.step})`);
  if (final.freeEnergy !== null) {
    lines.push(
      `free energy  ${formatValue(final.freeEnergy)}  (V = F + σ²/2 KL(m‖g), entropy from ` +
        `${record.freeEnergy.subsample} particles)`,
    );
  }
  const first = lossHistory[0];
  const last = lossHistory.at(-1);
  if (config.dataset.name === 'none') {
    lines.push('loss drop    none to measure: no data, F = 0');
  } else if (first && last && last.train > 0 && last.step > first.step) {
    lines.push(
      `loss drop    ×${formatValue(first.train / last.train)} (train ${formatValue(first.train)} ` +
        `at step ${first.step} → ${formatValue(last.train)} at step ${last.step})`,
    );
  }
  lines.push(
    `throughput   ${formatValue(throughput.particleStepsPerSecond)} particle-steps/s ` +
      `(${config.n} particles, ${throughput.seconds > 0 ? formatSeconds(throughput.seconds) : 'no time'} ` +
      `stepping${record.status === 'completed' ? ` for ${config.steps - (record.resumedFrom?.step ?? 0)} steps` : ''})`,
  );
  lines.push(`backend      ${record.backend}: ${record.adapter}`);
  if (record.resumedFrom) {
    lines.push(
      `resumed      from ${record.resumedFrom.checkpoint} at step ${record.resumedFrom.step}`,
    );
  }
  lines.push(
    `wall time    ${formatSeconds(record.wallSeconds)} for the command (start-up, log points, ` +
      'checkpoints and readbacks included)',
  );
  const note =
    record.status === 'diverged' && record.saved
      ? ` (the last good state, step ${record.saved.step})`
      : record.saved
        ? ` (step ${record.saved.step})`
        : '';
  for (const [flag, label] of [
    ['--save-particles', 'particles'],
    ['--checkpoint', 'checkpoint'],
  ] as const) {
    const output = record.outputs[flag];
    if (!output) continue;
    lines.push(
      output.status === 'saved'
        ? `${label.padEnd(12)} ${output.path}${note}`
        : `${label.padEnd(12)} not written: ${output.path} (${output.reason})`,
    );
  }
  return lines;
}

/** 128 + SIGINT, as a shell reports a command that Ctrl-C ended. */
export const EXIT_INTERRUPTED = 130;

/**
 * Ctrl-C during long work: the first makes requested() true, for the work to stop at its next
 * safe point and keep what it has, and calls `onFirst` to say so; the second quits at once
 * (EXIT_INTERRUPTED). dispose() gives Ctrl-C its default back.
 */
export function interruptible(onFirst: () => void): {
  requested: () => boolean;
  dispose(): void;
} {
  let interrupted = false;
  const onInterrupt = (): void => {
    if (interrupted) process.exit(EXIT_INTERRUPTED);
    interrupted = true;
    onFirst();
  };
  process.on('SIGINT', onInterrupt);
  return {
    requested: () => interrupted,
    dispose: () => process.off('SIGINT', onInterrupt),
  };
}

/** A text file's contents, or a FileError naming it. */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new FileError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The file writeFileAtomic writes before renaming it over `path`. */
function temporaryFor(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

/**
 * Refuses, before any work, an output path that writeFileAtomic could not write when the
 * work is done and its results would be lost: for each flag given a path, makes the folder,
 * creates and removes the temporary file beside the path, and refuses a folder in place of
 * the file. A failure after this check (a full disk) is still possible.
 */
export function checkOutputPaths(pathsByFlag: Readonly<Record<string, string | null>>): void {
  for (const [flag, path] of Object.entries(pathsByFlag)) {
    if (path === null) continue;
    const temporary = temporaryFor(path);
    try {
      if (existsSync(path) && statSync(path).isDirectory()) throw new Error('it is a folder');
      mkdirSync(dirname(path), { recursive: true });
      closeSync(openSync(temporary, 'w'));
      rmSync(temporary);
    } catch (error) {
      throw new FileError(`cannot write ${path} (${flag}): ${(error as Error).message}`);
    }
  }
}

/** What the usage texts say of OutputFiles. */
export const OUTPUT_FILES_HELP = [
  'Each output file is written on its own: one that cannot be written (a full disk) is named on',
  'stderr with its flag and the reason, the others and the summary are still written, and the',
  'exit status is 1.',
];

/** A file that could not be written; `reason` is the system's. */
export class WriteError extends FileError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot write ${path}: ${reason}`);
  }
}

/** Writes a whole file or throws a FileError: writeFileAtomic, or a test's stand-in. */
export type FileWriter = (path: string, contents: string | Uint8Array) => void;

export type OutputStatus =
  | { readonly path: string; readonly status: 'saved' }
  | { readonly path: string; readonly status: 'failed'; readonly reason: string };

/** Output files by flag (`--checkpoint`), as the JSON records hold them. */
export type OutputRecord = Readonly<Partial<Record<string, OutputStatus>>>;

/**
 * The output files of one command, each written on its own: a file that fails is reported
 * on stderr naming its path, its flag and the reason, and recorded, and the command goes on
 * to write the others and show its summary; it then exits with status 1 (`anyFailed`).
 * A flag written more than once (periodic checkpoints) keeps the status of its last write.
 */
export class OutputFiles {
  private readonly byFlag = new Map<string, OutputStatus>();

  constructor(
    private readonly writeFile: FileWriter,
    private readonly notice: (message: string) => void,
  ) {}

  /** Writes `contents` to `path`; false when that failed (reported, `consequence` after the reason). */
  write(flag: string, path: string, contents: string | Uint8Array, consequence = ''): boolean {
    try {
      this.writeFile(path, contents);
    } catch (error) {
      if (!(error instanceof FileError)) throw error;
      const reason = error instanceof WriteError ? error.reason : error.message;
      this.byFlag.set(flag, { path, status: 'failed', reason });
      this.notice(`cannot write ${path} (${flag}): ${reason}${consequence}`);
      return false;
    }
    this.byFlag.set(flag, { path, status: 'saved' });
    return true;
  }

  get anyFailed(): boolean {
    return [...this.byFlag.values()].some((output) => output.status === 'failed');
  }

  /** Each flag's status so far, for a JSON record. */
  record(): OutputRecord {
    return Object.fromEntries(this.byFlag);
  }
}

/**
 * Writes `bytes` to `path`, creating its folder: into a temporary file in the same folder,
 * flushed to the disk (fsync), then renamed over `path`. A crash at any point leaves either
 * the old file or the new one, never a part of one. Throws a WriteError.
 */
export function writeFileAtomic(path: string, bytes: string | Uint8Array): void {
  const temporary = temporaryFor(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(temporary, 'w');
    try {
      writeFileSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // There was no temporary file (the folder could not be made, or is a file).
    }
    throw new WriteError(path, (error as Error).message);
  }
  syncFolder(dirname(path));
}

/** Flushes a folder's entries (the rename) to the disk, where the system allows it. */
function syncFolder(folder: string): void {
  try {
    const fd = openSync(folder, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot open a folder; the rename is done all the same.
  }
}
