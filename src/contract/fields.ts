// The one table of fields: every flag of every `mfld` command and every field of the study
// page, with its kind (range and parsing), help text, default, page label and the commands
// that take it. Parsing (tokenize.ts, config-parse.ts), `mfld help`, the page's labels and
// titles, and docs/cli.md are all derived from it.
import { BACKENDS } from './config';
import {
  batchKind,
  datasetKind,
  halfOpen,
  integer,
  integerSet,
  interval,
  oneOf,
  oneOfIntegers,
  path,
  pathList,
  real,
  shardKind,
  sigmaFinalKind,
  switchKind,
  text,
  type Kind,
} from './field-kinds';
import { ACTIVATIONS, LOSSES } from './model';
import { ENTROPY_SUBSAMPLE } from './observables';
import { STATIONARY_DEFAULTS } from './stationary';

export const COMMANDS = ['run', 'sweep', 'stationary', 'bench'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Field<V> {
  readonly kind: Kind<V>;
  readonly help: string;
  readonly commands: readonly Command[];
  /** The flag, where it is not the key in kebab case (`benchDim` is `--dim` of bench). */
  readonly flag?: string;
  /** The study page's label; only the fields the page edits have one. */
  readonly label?: string;
  /** The default of a field outside a RunConfig (whose defaults are DEFAULT_CONFIG's). */
  readonly fallback?: V;
  /** The default in words, where it depends on other fields or on the machine. */
  readonly defaultText?: string;
  /** A switch with a `--no-` form. */
  readonly negatable?: true;
}

interface Extra<V> {
  readonly flag?: string;
  readonly label?: string;
  readonly fallback?: V;
  readonly defaultText?: string;
  readonly negatable?: true;
}

const field = <V>(
  kind: Kind<V>,
  help: string,
  commands: readonly Command[],
  extra: Extra<V> = {},
): Field<V> => ({ kind, help, commands, ...extra });

/** The fields `mfld sweep` and the page's experiments panel sweep over. */
export const SWEEP_FIELDS = ['n', 'sigma'] as const;

/** The commands that take the fields of a RunConfig (and the page edits them). */
const STUDY: readonly Command[] = ['run', 'sweep', 'stationary'];

/** A field of a RunConfig: taken by the commands that run a study, and edited by the page. */
const studyField = <V>(
  kind: Kind<V>,
  help: string,
  label: string,
  negatable?: true,
): Field<V> & { readonly label: string } => ({
  kind,
  help,
  commands: STUDY,
  label,
  ...(negatable ? { negatable } : {}),
});

/** The fields of a RunConfig, in the order of the usage text and of the page's form. */
export const RUN_FIELDS = {
  dataset: studyField(datasetKind, 'data set (none: no data, F = 0)', 'data set'),
  dim: studyField(
    integer(1, 4096),
    'input dimension, before the bias feature (teacher, gaussians)',
    'dim',
  ),
  samples: studyField(integer(1, 1e7, '10^7'), 'training points (synthetic data sets)', 'samples'),
  testSamples: studyField(
    integer(0, 1e7, '10^7'),
    'held-out points (synthetic data sets; 0: none)',
    'test samples',
  ),
  noise: studyField(
    real('>=', 0),
    'standard deviation of the label noise (teacher, sine)',
    'label noise',
  ),
  separation: studyField(
    halfOpen(0, 1),
    'Δ of gaussians: inputs N(0, (1 ± Δ)² I) for labels ±1 (Mei, Montanari, Nguyen 2018)',
    'separation Δ',
  ),
  n: studyField(
    integer(1, 2 ** 26, '67108864 (2^26)'),
    'number of particles (neurons)',
    'n (particles)',
  ),
  steps: studyField(integer(0, 1e9, '10^9'), 'time steps to run, counted from step 0', 'steps'),
  sigma: studyField(real('>=', 0), 'noise level σ of the Langevin dynamics', 'σ'),
  sigmaFinal: studyField(
    sigmaFinalKind,
    'anneal σ linearly from --sigma at step 0 to this at step --steps (none: constant σ)',
    'σ at the end',
  ),
  tau: studyField(real('>', 0), 'time step τ (needs τσ²/(2·prior-std²) < 2)', 'τ'),
  batch: studyField(batchKind, 'data points per step: all, or B drawn with replacement', 'batch'),
  activation: studyField(oneOf(ACTIVATIONS), 'activation φ of a neuron', 'activation φ'),
  loss: studyField(oneOf(LOSSES), 'loss Φ of the residual', 'loss Φ'),
  huberDelta: studyField(real('>', 0), "Huber's δ (loss huber)", 'Huber δ'),
  priorStd: studyField(real('>', 0), 'standard deviation of the Gaussian prior g', 'prior std s'),
  initStd: studyField(real('>=', 0), 'standard deviation of the initial particles', 'init std s₀'),
  seed: studyField(
    integer(0, 2 ** 53 - 1, '9007199254740991 (2^53 - 1)'),
    'seed of all random numbers (data included)',
    'seed',
  ),
  bias: studyField(
    switchKind,
    'append a constant input feature 1 (--no-bias: do not)',
    'bias feature',
    true,
  ),
  backend: studyField(
    oneOf(BACKENDS),
    'where to run (auto: WebGPU on a hardware adapter, else CPU)',
    'backend',
  ),
  logEvery: studyField(
    integer(1, 1e9, '10^9'),
    'read and log the loss every this many steps',
    'log every',
  ),
} as const;

/** The fields of the commands alone: what to do with a run, not what it is. */
const COMMAND_FIELDS = {
  json: field(path(), 'write the run summary as JSON to this file', ['run']),
  saveParticles: field(path('.npy'), 'write the final particles as a .npy file', ['run']),
  checkpoint: field(
    path(),
    'write a checkpoint to this file at the end, on divergence (the last good state) ' +
      'and every --checkpoint-every steps',
    ['run'],
  ),
  checkpointEvery: field(
    integer(1, 1e9, '10^9'),
    'also write the checkpoint at every step that is a multiple of this (needs --checkpoint)',
    ['run'],
  ),
  resume: field(
    path(),
    'continue the run of this checkpoint; only --steps (the total), --log-every, --backend ' +
      'and the output flags may be given',
    ['run'],
  ),
  threads: field(integer(1, 1024), 'CPU backend threads', STUDY, {
    defaultText: 'one per core',
  }),
  entropySubsample: field(
    integer(2, 1e6, '10^6'),
    'particles the entropy estimate of the free energy uses, at most',
    STUDY,
    { fallback: ENTROPY_SUBSAMPLE },
  ),

  over: field(oneOf(SWEEP_FIELDS), 'the swept field (required)', ['sweep']),
  values: field(
    text('V1,V2,…', 'values separated by commas'),
    'the values of --over, each checked as that flag itself (required)',
    ['sweep'],
  ),
  seeds: field(integer(1, 1000), 'seeds per value: seed, seed + 1, …', ['sweep'], {
    fallback: 1,
  }),
  sweepJson: field(
    path(),
    'the sweep as JSON: config, every run, the means, the fit, which files were written',
    ['sweep'],
    { flag: '--json' },
  ),
  csv: field(path(), 'one row per run', ['sweep']),
  svg: field(path(), 'a plot of the final loss against the swept value', ['sweep']),
  shard: field(
    shardKind,
    'run only part I of K (every K-th run from the I-th): the same runs whatever K, each part ' +
      'with its own output files',
    ['sweep'],
  ),
  merge: field(
    pathList,
    'join the JSON files of the parts into the table, fit and files of the whole sweep; ' +
      'refuses parts of different sweeps, a missing or repeated run',
    ['sweep'],
  ),

  grid: field(integer(11, 4001), 'grid points per axis', ['stationary'], {
    fallback: STATIONARY_DEFAULTS.gridPoints,
  }),
  gridExtent: field(real('>', 0), 'half-width L of the grid', ['stationary'], {
    defaultText: `${STATIONARY_DEFAULTS.extentInPriorStd} × --prior-std`,
  }),
  damping: field(
    interval(0, 1, { lower: false, upper: true }),
    'first step η of the iteration (halved while V would rise)',
    ['stationary'],
    { fallback: STATIONARY_DEFAULTS.damping },
  ),
  tolerance: field(
    interval(0, 1, { lower: false, upper: false }),
    'stop when ‖Γ(m) − m‖₁ < ε',
    ['stationary'],
    { fallback: STATIONARY_DEFAULTS.tolerance },
  ),
  maxIterations: field(integer(1, 1e7, '10^7'), 'refuse past this many', ['stationary'], {
    fallback: STATIONARY_DEFAULTS.maxIterations,
  }),
  stationaryJson: field(
    path(),
    'loss.train (F(m*)), loss.test, freeEnergy (V(m*)), relativeEntropy, moments (mean, var ' +
      'per coordinate, covariance), outputs.train (f*(z_b)), the grid, iterations, residual, ' +
      'edgeMass',
    ['stationary'],
    { flag: '--json' },
  ),
  saveDensity: field(
    path('.npy'),
    'm* on the grid, float32 [G, G]: row i is α_i, column j is c_j, α_i = c_i = −L + ' +
      'i·2L/(G − 1), normalised so that Σ m · spacing² = 1',
    ['stationary'],
  ),

  sizes: field(
    integerSet(1, 2 ** 32 - 1, '4294967295 (2^32 - 1)'),
    'particle counts n, all held at once and timed round by round',
    ['bench'],
    {
      defaultText:
        'powers of 4 from 2^10 to 2^16 on SwiftShader, 2^22 on a GPU (or the largest that fits)',
    },
  ),
  benchDim: field(
    integer(3, 256),
    'particle coordinates d = p + 1, p inputs counting the bias feature (teacher data with ' +
      'd − 2 raw inputs)',
    ['bench'],
    { flag: '--dim', fallback: 16 },
  ),
  benchBatch: field(integer(1, 2 ** 32 - 1, '4294967295 (2^32 - 1)'), 'minibatch size', ['bench'], {
    flag: '--batch',
    fallback: 64,
  }),
  benchSteps: field(integer(1, 1e6, '10^6'), 'steps per timed block', ['bench'], {
    flag: '--steps',
    defaultText: 'as many as make a block last about half a second',
  }),
  repeats: field(
    integer(1, 1000),
    "rounds of timed blocks (one per size and backend, each followed by a block of the device's " +
      'FMA limit) after a warm-up block',
    ['bench'],
    { fallback: 5 },
  ),
  backendCpuThreads: field(integer(1, 1024), 'CPU reference and CPU limit threads', ['bench'], {
    defaultText: 'all cores',
  }),
  // 1, 2, 4 and 2^16 are LaneParticles and MAX_GROUP_CHUNKS of src/gpu/ (a test keeps them
  // equal): the contract does not import the engine.
  lanes: field(
    oneOfIntegers([1, 2, 4] as const),
    'particles each GPU invocation holds',
    ['bench'],
    {
      defaultText: "the engine's choice for d (the table's engine line names it)",
    },
  ),
  groupChunks: field(
    integer(1, 2 ** 16, '65536'),
    'chunks of 64 · L particles (L of --lanes) each GPU workgroup walks in turn',
    ['bench'],
    {
      defaultText: '1 on a GPU, up to 16 on SwiftShader (fewer where n leaves under 16 workgroups)',
    },
  ),
  benchJson: field(
    path(),
    'write every figure, the machine and the configuration as JSON',
    ['bench'],
    { flag: '--json' },
  ),
  skipCpu: field(switchKind, 'time the GPU only (no agreement check, no CPU figures)', ['bench']),

  help: field(switchKind, 'show this help', COMMANDS),
} as const;

export const FIELDS = { ...RUN_FIELDS, ...COMMAND_FIELDS } as const;

export type RunFieldKey = keyof typeof RUN_FIELDS;
export type FieldKey = keyof typeof FIELDS;
export type ValueOf<K extends FieldKey> = (typeof FIELDS)[K] extends Field<infer V> ? V : never;

export const RUN_KEYS = Object.keys(RUN_FIELDS) as RunFieldKey[];
export const FIELD_KEYS = Object.keys(FIELDS) as FieldKey[];

/** A field of the table as its kind-independent shape. */
export const fieldOf = (key: FieldKey): Field<unknown> => FIELDS[key];

/** `priorStd` → `prior-std`. */
export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The command-line flag of a field: `priorStd` → `--prior-std`, `benchDim` → `--dim`. */
export const flagOf = (key: FieldKey): string => fieldOf(key).flag ?? `--${kebab(key)}`;

/** The fields `command` takes, in table order. */
export const fieldsOf = (command: Command): FieldKey[] =>
  FIELD_KEYS.filter((key) => fieldOf(key).commands.includes(command));
