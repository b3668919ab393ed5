// `npm run wgsl -- <module> --d <d> [options]`: prints an engine module's WGSL as the engine
// composes it (kernels.ts), for reading or for feeding to a WGSL tool. Sizes that depend on
// the adapter take WebGPU's default limits unless given.
import { parseArgs } from 'node:util';
import { ACTIVATIONS, LOSSES, type Activation, type Loss } from '../contract/model';
import {
  ENGINE_KERNELS,
  ENGINE_MODULES,
  composeEngineModule,
  type EngineModule,
} from '../gpu/kernels';
import { isLaneParticles } from '../gpu/particle-rows';
import { MAX_GPU_COORDINATES, defaultLaneParticles, zTileRowsFor } from '../gpu/plan';
import { readShaderSources } from './gpu';

/** WebGPU's default maxComputeWorkgroupStorageSize, which every adapter offers. */
const DEFAULT_WORKGROUP_STORAGE = 16384;

const USAGE = `usage: npm run wgsl -- <module> --d <d> [--lanes 1|2|4] [--subgroup-min <size>]
       [--activation ${ACTIVATIONS.join('|')}] [--loss ${LOSSES.join('|')}]
       [--workgroup-storage <bytes>] [--phi-cache <B>] [--quad-lanes <size>]
modules: ${Object.entries(ENGINE_MODULES)
  .map(
    ([name]) =>
      `${name} (${Object.values(ENGINE_KERNELS)
        .filter((kernel) => kernel.module === name)
        .map((kernel) => kernel.entryPoint)
        .join(', ')})`,
  )
  .join('; ')}
--subgroup-min: the reduction by subgroups of at least that size (omit: workgroup memory alone)
--workgroup-storage: the adapter's maxComputeWorkgroupStorageSize (default ${DEFAULT_WORKGROUP_STORAGE})
--phi-cache: the step keeps φ(α·z) of a batch of B for the next step (omit: no cache)
--quad-lanes: subgroup lanes share a data row's quads by broadcasts (needs --subgroup-min)`;

function integer(name: string, text: string | undefined, least: number, most: number): number {
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < least || value > most) {
    throw new RangeError(`--${name} must be an integer in [${least}, ${most}], got ${text}`);
  }
  return value;
}

function oneOf<T extends string>(name: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new RangeError(`--${name} must be one of ${allowed.join(', ')}, got ${text}`);
  }
  return text as T;
}

function main(argv: string[]): string {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      d: { type: 'string' },
      lanes: { type: 'string' },
      'subgroup-min': { type: 'string' },
      activation: { type: 'string', default: 'tanh' },
      loss: { type: 'string', default: 'square' },
      'workgroup-storage': { type: 'string', default: String(DEFAULT_WORKGROUP_STORAGE) },
      'phi-cache': { type: 'string' },
      'quad-lanes': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return USAGE;
  if (positionals.length !== 1) throw new RangeError('give exactly one module');
  const name = oneOf('module', positionals[0]!, Object.keys(ENGINE_MODULES) as EngineModule[]);
  const d = integer('d', values.d, 2, MAX_GPU_COORDINATES);
  const laneParticles =
    values.lanes === undefined ? defaultLaneParticles(d) : integer('lanes', values.lanes, 1, 4);
  if (!isLaneParticles(laneParticles)) throw new RangeError('--lanes must be 1, 2 or 4');
  const subgroupMin =
    values['subgroup-min'] === undefined
      ? null
      : integer('subgroup-min', values['subgroup-min'], 4, 128);
  const storage = integer('workgroup-storage', values['workgroup-storage'], 1, 2 ** 31);
  const activation: Activation = oneOf('activation', values.activation, ACTIVATIONS);
  const loss: Loss = oneOf('loss', values.loss, LOSSES);
  const zTileRows = zTileRowsFor(d - 1, { maxComputeWorkgroupStorageSize: storage }, subgroupMin);
  const optional = (name: string, least: number, most: number): number | null =>
    values[name as keyof typeof values] === undefined
      ? null
      : integer(name, values[name as keyof typeof values] as string, least, most);
  const phiCacheRows = optional('phi-cache', 1, 2 ** 24);
  const quadLanes = optional('quad-lanes', 1, 128);
  if (quadLanes !== null && subgroupMin === null) {
    throw new RangeError(
      '--quad-lanes needs --subgroup-min: the lanes share rows by subgroup operations',
    );
  }
  return composeEngineModule(readShaderSources(), name, {
    d,
    laneParticles,
    subgroupMin,
    zTileRows,
    phiCacheRows,
    quadLanes,
    activation,
    loss,
  });
}

try {
  process.stdout.write(`${main(process.argv.slice(2))}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
  process.exitCode = 2;
}
