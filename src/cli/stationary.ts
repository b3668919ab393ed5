// `mfld stationary`: the exact stationary law m* (SPEC §4) of a d = 2 problem (one input,
// --no-bias), full batch, solved on a grid (src/contract/stationary.ts). The problem flags
// are those of `mfld run`, checked by the same table; the grid and solver flags are its own.
import { DEFAULT_CONFIG, type RunConfig } from '../contract/config';
import {
  ConfigError,
  configToJson,
  flagOf,
  givenRunFields,
  resolveConfig,
  type RunFieldKey,
} from '../contract/config-parse';
import { givenValue, parseGiven, tokenize, valueOrDefault } from '../contract/tokenize';
import { loss as lossOf } from '../contract/model';
import type { Problem } from '../contract/simulation';
import {
  EDGE_BAND,
  EDGE_MASS_LIMIT,
  STATIONARY_DEFAULTS,
  StationaryError,
  solveStationary,
  stationaryOptionsOf,
  stationaryOutputs,
  type StationaryLaw,
  type StationaryOptions,
} from '../contract/stationary';
import { buildProblem } from '../data/datasets';
import { encodeNpy } from '../io/npy';
import { commandUsage, type CommandDoc } from './help';
import {
  checkOutputPaths,
  describeData,
  formatValue,
  readTextFile,
  writeFileAtomic,
} from './output';

const EXIT_RUNTIME_ERROR = 1;

/** The run fields that say nothing about m*: given, they are ignored with a notice. */
const IGNORED: readonly RunFieldKey[] = ['n', 'steps', 'tau', 'initStd', 'backend', 'logEvery'];

export const STATIONARY_DOC: CommandDoc = {
  command: 'stationary',
  summary: 'the exact stationary law m* of a d = 2 problem on a grid',
  synopsis: [
    'mfld stationary [--grid G] [--grid-extent L] [--damping η] [--tolerance ε] [--max-iterations K]',
    '                [--json PATH] [--save-density PATH.npy] [mfld run problem flags]',
  ],
  about: [
    'Solves the stationary law m* ∝ g·exp(−(2/σ²) δF/δm(m*, ·)), the minimiser of',
    'V = F + (σ²/2) KL(m ‖ g) and the n → ∞, t → ∞ limit of the particles (SPEC §4), on a',
    'G × G grid over (α, c) ∈ [−L, L]², by damped entropic mirror descent on V. It applies to',
    'particles of d = 2: one input (--dataset sine, or none/teacher/gaussians with --dim 1, or',
    'a CSV of one input) with --no-bias, a constant σ > 0 and the full batch.',
  ],
  notes: [
    `It refuses a law whose mass beyond ${EDGE_BAND} × L exceeds ${EDGE_MASS_LIMIT}, and an iteration that`,
    `does not converge. ${IGNORED.map(flagOf).join(', ')} say nothing about m* and are ignored.`,
  ],
};

export function stationaryUsage(): string {
  return commandUsage(STATIONARY_DOC);
}

export interface StationaryCommandOptions {
  readonly config: RunConfig;
  readonly solver: StationaryOptions;
  readonly json: string | null;
  readonly saveDensity: string | null;
  /** Run flags given that m* does not depend on. */
  readonly ignored: string[];
  readonly help: boolean;
}

export function parseStationaryArgs(args: readonly string[]): StationaryCommandOptions {
  const { given: tokens, help } = tokenize(args, 'stationary');
  const values = parseGiven(tokens);
  const config = resolveConfig(values, DEFAULT_CONFIG, flagOf);
  const given = givenRunFields(values);
  const solver = stationaryOptionsOf(config, {
    gridPoints: valueOrDefault(values, 'grid'),
    extent:
      givenValue(values, 'gridExtent') ?? STATIONARY_DEFAULTS.extentInPriorStd * config.priorStd,
    damping: valueOrDefault(values, 'damping'),
    tolerance: valueOrDefault(values, 'tolerance'),
    maxIterations: valueOrDefault(values, 'maxIterations'),
  });
  const none = { json: null, saveDensity: null, ignored: [] };
  if (help) return { ...none, config, solver, help: true };
  if (config.sigma <= 0) {
    throw new ConfigError(
      `${given.get('sigma') ?? '--sigma'} must be > 0 for mfld stationary: at σ = 0 there is ` +
        'no entropy term and m* is not a density',
      { field: 'sigma', kind: 'range' },
    );
  }
  if (config.sigmaFinal !== null) {
    throw new ConfigError(
      `${given.get('sigmaFinal')} is not taken by mfld stationary: an annealed σ has no stationary law`,
      { field: 'sigmaFinal', kind: 'conflict' },
    );
  }
  if (config.batch !== 'full' && given.has('batch')) {
    throw new ConfigError(
      `${given.get('batch')} ${config.batch}: mfld stationary solves the full-batch law ` +
        '(--batch full, or leave it out)',
      { field: 'batch', kind: 'conflict' },
    );
  }
  const ignored = IGNORED.flatMap((key) => {
    const flag = given.get(key);
    return flag === undefined ? [] : [flag];
  });
  return {
    config,
    solver,
    json: givenValue(values, 'stationaryJson') ?? null,
    saveDensity: givenValue(values, 'saveDensity') ?? null,
    ignored,
    help: false,
  };
}

/** Refuses a problem whose particles are not d = 2, saying which flags give one. */
export function checkStationaryProblem(problem: Problem, config: RunConfig): void {
  if (problem.p === 1) return;
  const input = config.dataset.name === 'sine' ? 1 : problem.p - (config.bias ? 1 : 0);
  const fixes = [
    ...(config.bias ? ['--no-bias'] : []),
    ...(input !== 1 ? ['one input (--dim 1, or --dataset sine)'] : []),
  ];
  throw new ConfigError(
    `mfld stationary needs particles of d = 2, x = (α, c); this problem gives d = ` +
      `${problem.p + 1} (p = ${problem.p}): use ${fixes.join(' and ')}`,
  );
}

export interface StationaryRecord {
  readonly config: ReturnType<typeof configToJson>;
  readonly data: {
    readonly p: number;
    readonly d: number;
    readonly train: number;
    readonly test: number;
  };
  readonly grid: {
    readonly points: number;
    readonly extent: number;
    readonly spacing: number;
    readonly axes: readonly ['alpha', 'c'];
  };
  readonly solver: {
    readonly damping: number;
    readonly tolerance: number;
    readonly maxIterations: number;
  };
  readonly iterations: number;
  readonly residual: number;
  readonly edgeMass: number;
  readonly loss: { readonly train: number; readonly test: number | null };
  readonly freeEnergy: number;
  readonly relativeEntropy: number;
  readonly moments: {
    readonly mean: readonly number[];
    readonly var: readonly number[];
    readonly covariance: number;
  };
  readonly outputs: { readonly train: number[]; readonly test: number[] | null };
  readonly density: string | null;
}

/** F of outputs `f` against labels `y` (SPEC §1). */
function lossOfOutputs(config: RunConfig, f: Float64Array, y: Float32Array): number {
  const { value } = lossOf(config.loss, config.huberDelta);
  let sum = 0;
  for (let b = 0; b < f.length; b++) sum += value(y[b]! - f[b]!);
  return f.length > 0 ? sum / f.length : 0;
}

export function stationaryRecord(
  config: RunConfig,
  problem: Problem,
  solver: StationaryOptions,
  law: StationaryLaw,
  densityPath: string | null,
): StationaryRecord {
  const test = problem.test;
  const testOutputs = test && stationaryOutputs(law, test.z, test.count, config.activation);
  return {
    config: configToJson(config),
    data: { p: problem.p, d: problem.p + 1, train: problem.train.count, test: test?.count ?? 0 },
    grid: {
      points: solver.gridPoints,
      extent: solver.extent,
      spacing: law.spacing,
      axes: ['alpha', 'c'],
    },
    solver: {
      damping: solver.damping,
      tolerance: solver.tolerance,
      maxIterations: solver.maxIterations,
    },
    iterations: law.iterations,
    residual: law.residual,
    edgeMass: law.edgeMass,
    loss: {
      train: law.trainLoss,
      test: test && testOutputs ? lossOfOutputs(config, testOutputs, test.y) : null,
    },
    freeEnergy: law.freeEnergy,
    relativeEntropy: law.relativeEntropy,
    moments: { mean: [...law.mean], var: [...law.var], covariance: law.covariance },
    outputs: { train: Array.from(law.outputs), test: testOutputs && Array.from(testOutputs) },
    density: densityPath,
  };
}

export async function stationaryCommand(args: readonly string[]): Promise<number> {
  const options = parseStationaryArgs(args);
  if (options.help) {
    process.stdout.write(stationaryUsage());
    return 0;
  }
  const { config, solver } = options;
  for (const flag of options.ignored) {
    process.stderr.write(`mfld: ${flag} is ignored: m* is the n → ∞, t → ∞ limit\n`);
  }
  checkOutputPaths({ '--json': options.json, '--save-density': options.saveDensity });
  const problem = buildProblem(config, readTextFile);
  checkStationaryProblem(problem, config);
  process.stdout.write(`data      ${describeData(problem)}\n`);
  let law: StationaryLaw;
  try {
    law = solveStationary(problem, solver);
  } catch (error) {
    if (!(error instanceof StationaryError)) throw error;
    process.stderr.write(`mfld: ${error.message}\n`);
    return EXIT_RUNTIME_ERROR;
  }
  const record = stationaryRecord(config, problem, solver, law, options.saveDensity);
  const G = solver.gridPoints;
  const lines = [
    `grid      ${G} × ${G} on [−${solver.extent}, ${solver.extent}]², spacing ${formatValue(law.spacing)}`,
    `solved    ${law.iterations} iterations, residual ${law.residual.toExponential(2)} ` +
      `(tolerance ${solver.tolerance}), edge mass ${law.edgeMass.toExponential(2)}`,
    `F(m*)     ${formatValue(record.loss.train)}` +
      (record.loss.test === null ? '' : `  test ${formatValue(record.loss.test)}`),
    `V(m*)     ${formatValue(law.freeEnergy)}  (KL(m*‖g) ${formatValue(law.relativeEntropy)}, σ ${config.sigma})`,
    `mean      α ${formatValue(law.mean[0])}  c ${formatValue(law.mean[1])}`,
    `var       α ${formatValue(law.var[0])}  c ${formatValue(law.var[1])}  (cov ${formatValue(law.covariance)})`,
  ];
  for (const line of lines) process.stdout.write(line + '\n');
  if (options.saveDensity !== null) {
    writeFileAtomic(options.saveDensity, encodeNpy(Float32Array.from(law.density), G, G));
    process.stdout.write(`density   ${options.saveDensity}\n`);
  }
  if (options.json !== null) {
    writeFileAtomic(options.json, JSON.stringify(record, null, 2) + '\n');
    process.stdout.write(`json      ${options.json}\n`);
  }
  return 0;
}
