// The `mfld` command. User errors (bad flags, unreadable files, no adapter, a diverged run)
// print `mfld: <message>` and exit 2 (usage) or 1 (runtime), without a stack trace; anything
// else is a bug and prints its stack.
import { readFileSync } from 'node:fs';
import type { RunConfig } from '../contract/config';
import {
  ConfigError,
  configToJson,
  ignoredFields,
  parseRunArgs,
  type CliOptions,
} from '../contract/config-parse';
import { buildProblem } from '../data/datasets';
import {
  CheckpointError,
  checkpointOf,
  encodeCheckpoint,
  problemCrc32,
  type Checkpoint,
} from '../io/checkpoint';
import { FileError } from '../io/file-error';
import { GpuDeviceLostError } from '../contract/simulation';
import { encodeNpy } from '../io/npy';
import { entropySubsampleSize } from '../contract/observables';
import {
  BackendUnavailableError,
  decideBackend,
  openSimulation,
  type BackendDecision,
} from '../node/backends';
import { enterWebGpuEnv } from '../node/webgpu-env';
import {
  DivergenceError,
  StudyInterruptedError,
  dynamicsFromConfig,
  readFinalState,
  runStudy,
  type GoodState,
  type StudySummary,
} from '../study/run-study';
import { BENCH_DOC, benchCommand } from './bench';
import { commandUsage, overviewUsage, type CommandDoc } from './help';
import { STATIONARY_DOC, stationaryCommand } from './stationary';
import { SWEEP_DOC, sweepCommand } from './sweep';
import { checkResumable, readCheckpointFile } from './checkpoint-file';
import {
  EXIT_INTERRUPTED,
  OutputFiles,
  ProgressReporter,
  THROUGHPUT_MEASURES,
  checkOutputPaths,
  describeConfig,
  describeData,
  interruptible,
  readTextFile,
  summaryLines,
  writeFileAtomic,
  type FileWriter,
  type RunRecord,
  type RunStatus,
} from './output';

const EXIT_RUNTIME_ERROR = 1;
const EXIT_USAGE_ERROR = 2;

/** `writeFile` writes every output file; tests pass one that fails. */
export async function main(
  argv: string[],
  writeFile: FileWriter = writeFileAtomic,
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, writeFile);
      case 'bench':
        return await benchCommand(rest, writeFile);
      case 'sweep':
        return await sweepCommand(rest, writeFile);
      case 'stationary':
        return await stationaryCommand(rest);
      case 'help':
        return helpCommand(rest);
      case '--help':
      case '-h':
        process.stdout.write(usageText());
        return 0;
      case undefined:
        process.stderr.write(usageText());
        return EXIT_USAGE_ERROR;
      default:
        throw new ConfigError(
          `unknown command ${JSON.stringify(command)}; the commands are run, bench, sweep, stationary and help`,
        );
    }
  } catch (error) {
    return reportError(error);
  }
}

/** A run stopped by its GPU device; the message says what was kept. */
class DeviceFailureError extends Error {
  override readonly name = 'DeviceFailureError';
}

function reportError(error: unknown): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`mfld: ${error.message}\n(mfld help lists the commands and flags)\n`);
    return EXIT_USAGE_ERROR;
  }
  if (
    error instanceof FileError ||
    error instanceof CheckpointError ||
    error instanceof BackendUnavailableError ||
    error instanceof DivergenceError ||
    error instanceof DeviceFailureError ||
    error instanceof StudyInterruptedError ||
    error instanceof GpuDeviceLostError
  ) {
    process.stderr.write(`mfld: ${error.message}\n`);
    return EXIT_RUNTIME_ERROR;
  }
  process.stderr.write(
    `mfld: unexpected error\n${error instanceof Error ? error.stack : String(error)}\n`,
  );
  return EXIT_RUNTIME_ERROR;
}

export const RUN_DOC: CommandDoc = {
  command: 'run',
  summary: 'run a study: print its loss as it goes and a summary at the end',
  synopsis: ['mfld run [flags]'],
  about: [
    'Trains the particles of a two-layer network by mean-field Langevin dynamics (SPEC §2) on',
    'WebGPU or the CPU reference, printing the loss as it goes and a summary at the end.',
  ],
};

/** Every command's doc, in the order of `mfld help`. */
export const COMMAND_DOCS: readonly CommandDoc[] = [RUN_DOC, BENCH_DOC, SWEEP_DOC, STATIONARY_DOC];

/** `mfld help`: the commands and the flags of `mfld run`. */
export function usageText(): string {
  return overviewUsage(COMMAND_DOCS, RUN_DOC);
}

/** `mfld help COMMAND`. */
function helpCommand(args: readonly string[]): number {
  const [topic, ...extra] = args;
  const doc = COMMAND_DOCS.find(({ command }) => command === topic);
  if (topic === undefined) {
    process.stdout.write(usageText());
    return 0;
  }
  if (!doc || extra.length > 0) {
    throw new ConfigError(
      `mfld help takes one command of ${COMMAND_DOCS.map(({ command }) => command).join(', ')}, ` +
        `got ${JSON.stringify(args.join(' '))}`,
      { kind: 'unknown' },
    );
  }
  // `mfld run --help` has always shown the commands too.
  process.stdout.write(doc === RUN_DOC ? usageText() : commandUsage(doc));
  return 0;
}

async function runCommand(args: readonly string[], writeFile: FileWriter): Promise<number> {
  const parsed = parseRunArgs(args);
  const { cli, given } = parsed;
  if (cli.help) {
    process.stdout.write(usageText());
    return 0;
  }
  let { config } = parsed;
  let resume: Resume | null = null;
  if (cli.resume !== null) {
    const checkpoint = readCheckpointFile(cli.resume);
    // The checkpoint's config, with the few fields a resumed run may change (parseRunArgs
    // refused the others).
    config = parseRunArgs(args, checkpoint.config).config;
    if (config.steps < checkpoint.step) {
      throw new ConfigError(
        `${given.get('steps') ?? '--steps'} ${config.steps} is below step ${checkpoint.step} ` +
          `of the checkpoint ${cli.resume}: --steps is the total, counted from step 0`,
      );
    }
    resume = { path: cli.resume, checkpoint };
  }
  const backend = await decideBackend(config.backend);
  if (backend.choice !== 'cpu') {
    const rerun = await enterWebGpuEnv();
    if (rerun !== null) return rerun;
  }
  for (const [key, reason] of ignoredFields(config)) {
    const flag = given.get(key);
    if (flag) notice(`${flag} is ignored: ${reason}`);
  }
  return runStudyCommand(config, cli, resume, backend, writeFile);
}

interface Resume {
  readonly path: string;
  readonly checkpoint: Checkpoint;
}

function notice(message: string): void {
  process.stderr.write(`mfld: ${message}\n`);
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}

async function runStudyCommand(
  config: RunConfig,
  cli: CliOptions,
  resume: Resume | null,
  backend: BackendDecision,
  writeFile: FileWriter,
): Promise<number> {
  const started = performance.now();
  checkOutputPaths({
    '--json': cli.json,
    '--save-particles': cli.saveParticles,
    '--checkpoint': cli.checkpoint,
  });
  const problem = buildProblem(config, readTextFile);
  if (resume) checkResumable(resume.checkpoint, problem, resume.path);
  process.stdout.write(`config  ${describeConfig(config)}\n`);
  process.stdout.write(`data    ${describeData(problem)}\n`);
  if (resume) process.stdout.write(`resume  ${resume.path} at step ${resume.checkpoint.step}\n`);
  process.stdout.write(`backend ${backend.line}\n`);

  const sim = await openSimulation(problem, dynamicsFromConfig(config), backend.choice, {
    ...(cli.threads === null ? {} : { threads: cli.threads }),
    notice,
  });
  const outputs = new OutputFiles(writeFile, notice);
  const { checkpoint: checkpointPath, saveParticles: particlesPath } = cli;
  let dataCrc32: number | null = null;
  /** The step of the checkpoint this run last wrote, which the file holds. */
  let checkpointStep: number | null = null;
  /** Writes `state` as the checkpoint, unless the file holds it already; false on a failure. */
  const writeCheckpoint = (path: string, state: GoodState, consequence = ''): boolean => {
    if (checkpointStep === state.step) return true;
    dataCrc32 ??= problemCrc32(problem);
    const checkpoint = checkpointOf(config, state, sim, dataCrc32);
    const kept = checkpointStep === null ? '' : `; ${path} still holds step ${checkpointStep}`;
    const written = outputs.write(
      '--checkpoint',
      path,
      encodeCheckpoint(checkpoint),
      consequence || kept,
    );
    if (written) checkpointStep = state.step;
    return written;
  };
  const writeParticles = (path: string, state: GoodState): boolean =>
    outputs.write('--save-particles', path, encodeNpy(state.particles, sim.n, sim.d));
  /** Writes the last good state of a run its device stopped; returns the message to end with. */
  const saveInterrupted = (error: StudyInterruptedError): string => {
    const good = error.lastGood;
    if (checkpointPath === null && particlesPath === null) {
      return `${error.message}; nothing was kept (--checkpoint PATH keeps the last good state)`;
    }
    if (!good) return `${error.message}; no state passed the checks before, nothing was written`;
    const checkpointWritten = checkpointPath !== null && writeCheckpoint(checkpointPath, good);
    const particlesWritten = particlesPath !== null && writeParticles(particlesPath, good);
    const written = [
      ...(checkpointWritten ? [checkpointPath] : []),
      ...(particlesWritten ? [particlesPath] : []),
    ];
    if (written.length === 0) {
      return `${error.message}; the last good state (step ${good.step}) could not be written`;
    }
    return (
      `${error.message}; the last good state (step ${good.step}) is in ${written.join(' and ')}` +
      (checkpointWritten ? `: continue with mfld run --resume ${checkpointPath}` : '')
    );
  };
  const { entropySubsample } = cli;
  const progress = new ProgressReporter(config.n);
  let status: RunStatus = 'completed';
  let failure: DivergenceError | null = null;
  // The run's outputs are then written at its next log point or checkpoint, as at the end.
  const interrupt = interruptible(() => {
    progress.finish();
    notice(
      `interrupted: the run stops at its next log point (every ${config.logEvery} steps) or ` +
        'checkpoint and writes its outputs; Ctrl-C again quits at once, writing nothing',
    );
  });
  try {
    if (resume) {
      const { checkpoint } = resume;
      if (checkpoint.backend !== sim.backend) {
        notice(
          `the checkpoint was written on the ${checkpoint.backend} backend, this run is on ` +
            `${sim.backend}: it continues the same dynamics, but not bit for bit`,
        );
      }
      await sim.setParticles(checkpoint.particles, checkpoint.step);
    }
    let summary: StudySummary;
    /** What --save-particles and --checkpoint write at the end. */
    let saved: GoodState | null;
    try {
      summary = await runStudy(
        sim,
        config,
        {
          onLog: (entry, done) => progress.report(entry, done),
          ...(checkpointPath === null
            ? {}
            : {
                onCheckpoint: (state) => {
                  // The last step's checkpoint is the final one, written once after the run.
                  if (state.step === config.steps) return;
                  // A full disk should not end a long run: the next write may succeed, and the
                  // final one reports its failure.
                  writeCheckpoint(checkpointPath, state, '; the run goes on');
                },
              }),
        },
        {
          ...(resume ? { history: resume.checkpoint.lossHistory } : {}),
          checkpointEvery: cli.checkpointEvery,
          keepLastGood: checkpointPath !== null || particlesPath !== null,
          stopRequested: interrupt.requested,
          entropySubsample,
        },
      );
      if (sim.step < config.steps) status = 'interrupted';
      saved =
        checkpointPath === null && particlesPath === null
          ? null
          : { step: sim.step, particles: await sim.particles(), lossHistory: summary.lossHistory };
    } catch (error) {
      if (error instanceof StudyInterruptedError) {
        throw new DeviceFailureError(saveInterrupted(error));
      }
      if (!(error instanceof DivergenceError)) throw error;
      status = 'diverged';
      failure = error;
      saved = error.lastGood;
      const final = await readFinalState(sim, config);
      summary = { lossHistory: error.lossHistory, final, throughput: error.throughput };
    } finally {
      progress.finish();
    }

    // Each file on its own: one that fails is reported and leaves the others, the summary and
    // the JSON (which records it) to be written.
    const particlesWritten =
      saved !== null && particlesPath !== null && writeParticles(particlesPath, saved);
    const checkpointWritten =
      saved !== null && checkpointPath !== null && writeCheckpoint(checkpointPath, saved);
    if (!saved && (checkpointPath !== null || particlesPath !== null)) {
      notice('no state of the run passed the checks: no particles or checkpoint were written');
    }
    const record: RunRecord = {
      version: packageVersion(),
      status,
      config: configToJson(config),
      backend: sim.backend,
      adapter: sim.device,
      data: {
        p: problem.p,
        d: sim.d,
        train: problem.train.count,
        test: problem.test?.count ?? 0,
      },
      final: summary.final,
      freeEnergy: {
        estimator: 'Kozachenko–Leonenko (k = 1)',
        subsample: entropySubsampleSize(sim.n, entropySubsample),
      },
      lossHistory: summary.lossHistory,
      throughput: { ...summary.throughput, measures: THROUGHPUT_MEASURES },
      wallSeconds: (performance.now() - started) / 1000,
      resumedFrom: resume && { checkpoint: resume.path, step: resume.checkpoint.step },
      saved: saved && {
        step: saved.step,
        particles: particlesWritten ? particlesPath : null,
        checkpoint: checkpointWritten ? checkpointPath : null,
      },
      outputs: outputs.record(),
    };
    for (const line of summaryLines(record, config)) {
      process.stdout.write(line + '\n');
    }
    // JSON has no NaN: non-finite values of a diverged run are written as null.
    if (
      cli.json !== null &&
      outputs.write('--json', cli.json, JSON.stringify(record, null, 2) + '\n')
    ) {
      process.stdout.write(`json         ${cli.json}\n`);
    }
    if (status === 'interrupted') {
      notice(
        `interrupted at step ${record.final.step} of ${config.steps}` +
          (checkpointWritten
            ? `: continue with mfld run --resume ${checkpointPath}`
            : checkpointPath === null
              ? ' (--checkpoint PATH would have kept it to continue)'
              : ''),
      );
    }
  } finally {
    interrupt.dispose();
    sim.destroy();
  }
  if (failure) return reportError(failure);
  if (outputs.anyFailed) return EXIT_RUNTIME_ERROR;
  return status === 'interrupted' ? EXIT_INTERRUPTED : 0;
}
