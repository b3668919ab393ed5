// `mfld bench` in Node: the measuring core of measure-bench.ts with the shaders read from
// disk, and the machine described by node:os (CPU model, logical cores, load average).
import { cpus, loadavg } from 'node:os';
import type { EngineGpu } from '../gpu/device';
import { readShaderSources } from '../node/gpu';
import {
  measureBench,
  type BenchConfig,
  type BenchEvents,
  type BenchMeasurement,
} from './measure-bench';

export {
  AGREEMENT_STEPS,
  AGREEMENT_TOLERANCE,
  BenchStoppedError,
  SizeRefusedError,
  benchRunConfig,
  worstDifference,
  type Agreement,
  type BenchConfig,
  type BenchEvents,
  type BenchMeasurement,
  type SizeResult,
  type Timing,
} from './measure-bench';

export interface BenchResult extends BenchMeasurement {
  readonly date: string;
  readonly node: string;
  readonly cpu: {
    readonly threads: number;
    readonly logicalCores: number;
    readonly model: string;
    /** os.loadavg() at the start: other work on the machine lowers every figure. */
    readonly loadAverage: readonly number[];
  };
}

export async function runBench(
  gpu: EngineGpu,
  config: BenchConfig,
  events: BenchEvents,
): Promise<BenchResult> {
  const loadAverage = loadavg();
  const date = new Date().toISOString();
  const { adapter, ...measured } = await measureBench(gpu, readShaderSources(), config, events);
  const cpuList = cpus();
  return {
    date,
    node: process.version,
    adapter,
    cpu: {
      threads: config.cpuThreads,
      logicalCores: cpuList.length,
      model: cpuList[0]?.model.trim() ?? 'unknown',
      loadAverage,
    },
    ...measured,
  };
}
