// The benchmark page's input checks, CSV table, result rows and roofline (src/bench/report.ts).
import { describe, expect, it } from 'vitest';
import {
  BenchInputError,
  benchCsv,
  benchFieldsQuery,
  benchQuery,
  exponentSummary,
  fitLine,
  limitsSummary,
  parseBenchFields,
  resultRows,
  rooflineParticleSteps,
  type BenchFields,
} from '../../src/bench/report';
import type { BenchMeasurement, Timing } from '../../src/bench/measure-bench';

const fields: BenchFields = {
  sizes: '4096, 1024 1024',
  dim: '16',
  batch: '64',
  steps: '',
  repeats: '5',
  threads: '2',
  skipCpu: false,
  lanes: '',
  groupChunks: '',
};

describe('parseBenchFields', () => {
  it('sorts and de-duplicates sizes; empty steps is automatic', () => {
    expect(parseBenchFields(fields)).toEqual({
      sizes: [1024, 4096],
      d: 16,
      batch: 64,
      steps: null,
      repeats: 5,
      cpuThreads: 2,
      skipCpu: false,
      laneParticles: null,
      groupChunks: null,
    });
    expect(parseBenchFields({ ...fields, lanes: ' 2 ' }).laneParticles).toBe(2);
    expect(parseBenchFields({ ...fields, lanes: 'auto' }).laneParticles).toBeNull();
    expect(parseBenchFields({ ...fields, groupChunks: ' 3 ' }).groupChunks).toBe(3);
    expect(parseBenchFields({ ...fields, groupChunks: 'auto' }).groupChunks).toBeNull();
  });

  it.each([
    [{ sizes: '' }, 'sizes: give at least one particle count'],
    [{ sizes: '1024, 1e3' }, 'size "1e3" must be a whole number from 1 to 4294967295'],
    [{ sizes: '0' }, 'size "0" must be a whole number'],
    [{ sizes: '4294967296' }, 'must be a whole number from 1 to 4294967295'],
    [{ dim: '257' }, 'dim d must be a whole number from 3 to 256, got "257"'],
    [{ batch: '-1' }, 'batch B must be a whole number'],
    [{ steps: '0' }, 'steps must be a whole number from 1'],
    [{ repeats: '2.5' }, 'repeats must be a whole number from 1 to 1000'],
    [{ threads: 'all' }, 'CPU threads must be a whole number'],
    [{ lanes: '3' }, 'particles per invocation must be 1, 2, 4 or auto, got "3"'],
    [
      { groupChunks: '0' },
      'chunks per workgroup (or auto) must be a whole number from 1 to 65536, got "0"',
    ],
  ])('refuses %j', (change, message) => {
    expect(() => parseBenchFields({ ...fields, ...change })).toThrow(BenchInputError);
    expect(() => parseBenchFields({ ...fields, ...change })).toThrow(message);
  });
});

describe('the page URL', () => {
  it('gives the fields it names, as text, and autorun', () => {
    expect(benchQuery('?sizes=256,512&dim=4&group-chunks=auto&skip-cpu=1&autorun=1')).toEqual({
      fields: { sizes: '256,512', dim: '4', groupChunks: 'auto' },
      skipCpu: true,
      autorun: true,
      errors: [],
    });
    expect(benchQuery('')).toEqual({ fields: {}, skipCpu: null, autorun: false, errors: [] });
    expect(benchQuery('?skip-cpu=false').skipCpu).toBe(false);
  });

  it('holds every field of the form, and reads back as the same fields', () => {
    const query = benchFieldsQuery({ ...fields, skipCpu: true, lanes: '2' });
    expect(query).toBe(
      'sizes=4096%2C+1024+1024&dim=16&batch=64&steps=&repeats=5&threads=2&skip-cpu=1&lanes=2&group-chunks=',
    );
    const { fields: text, skipCpu } = benchQuery(`?${query}`);
    expect({ ...text, skipCpu }).toEqual({ ...fields, skipCpu: true, lanes: '2' });
  });

  it('names a parameter that is no field, and a flag that is not a boolean', () => {
    expect(benchQuery('?size=5&autorun=yes&skip-cpu=2').errors).toEqual([
      'unknown URL parameter "size"; the parameters are sizes, dim, batch, steps, repeats, ' +
        'threads, skip-cpu, lanes, group-chunks and autorun',
      'URL parameter autorun must be 1, true, 0 or false, got "yes"',
      'URL parameter skip-cpu must be 1, true, 0 or false, got "2"',
    ]);
  });
});

const timing = (seconds: number): Timing => ({
  steps: 2,
  blocks: 2,
  particleStepsPerSecond: 1000 / seconds,
  secondsPerStep: { median: seconds, min: seconds, max: seconds },
  gflops: 1,
  gbps: 2,
  limitGflops: { median: 2, min: 1.5, max: 2.5 },
  blockLimitGflops: [1.5, 2.5],
  fractionOfLimit: 0.5,
  bandwidthFraction: 0.25,
  blockSeconds: [seconds, seconds],
  blockStarts: [1, 2],
  clock: 'gpu-timestamps',
});

/** Two sizes: both backends timed and agreeing at n = 1000, the GPU alone at n = 2000. */
const twoSizes = {
  config: { skipCpu: false },
  sizes: [
    {
      n: 1000,
      gpu: timing(0.5),
      cpu: timing(2),
      ratio: 4,
      agreement: { ok: true, steps: 3, worstDifference: 1e-7, tolerance: 2e-5 },
    },
    { n: 2000, gpu: timing(1), cpu: null, ratio: null, agreement: null },
  ],
} as unknown as BenchMeasurement;

describe('benchCsv', () => {
  it('has a header and one row per size, empty cells where a backend was not timed', () => {
    const lines = benchCsv(twoSizes).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const header = lines[0]!.split(',');
    expect(header[0]).toBe('n');
    expect(header).toContain('gpu_particle_steps_per_second');
    expect(header).toContain('cpu_fraction_of_limit');
    const rows = lines.slice(1).map((line) => line.split(','));
    for (const row of rows) expect(row).toHaveLength(header.length);
    const cell = (row: number, name: string): string => rows[row]![header.indexOf(name)]!;
    expect(cell(0, 'gpu_particle_steps_per_second')).toBe('2000');
    expect(cell(0, 'gpu_cpu_ratio')).toBe('4');
    expect(cell(0, 'gpu_limit_gflops_median')).toBe('2');
    expect(cell(0, 'agreement_ok')).toBe('true');
    expect(cell(1, 'cpu_seconds_per_step_median')).toBe('');
    expect(cell(1, 'gpu_cpu_ratio')).toBe('');
  });
});

describe('resultRows', () => {
  it('gives a GPU and a CPU row per size, dashes where a backend was not timed', () => {
    const rows = resultRows(twoSizes, String, true);
    expect(rows).toEqual([
      ['1000', 'gpu', '0.5', '0.5 – 0.5', '2000', '1', '50%', '2', '25%', '×4', 'yes (1.0e-7)'],
      ['', 'cpu', '2', '2 – 2', '500', '1', '50%', '2', '25%', '', ''],
      ['2000', 'gpu', '1', '1 – 1', '1000', '1', '50%', '2', '25%', '–', 'unchecked'],
      ['', 'cpu', '–', '–', '–', '–', '–', '–', '–', '', ''],
    ]);
    // Without the range column, and without CPU rows when the CPU was skipped.
    const gpuOnly = { ...twoSizes, config: { skipCpu: true } } as unknown as BenchMeasurement;
    expect(resultRows(gpuOnly, String, false).map((row) => row.length)).toEqual([10, 10]);
  });
});

describe('limitsSummary', () => {
  it("names both devices' limits, the kernels that set them and what the fraction column divides by", () => {
    const limits = {
      gpu: { gflops: 5, fmaConfig: '8 vec4 chains, workgroup 64, fma()', gbps: 0.5 },
      cpu: { gflops: 10, fmaConfig: 'WebAssembly f32x4, 8 chains', gbps: 40 },
    };
    const both = { ...twoSizes, limits } as unknown as BenchMeasurement;
    expect(limitsSummary(both, String)).toBe(
      'GPU 5 GFLOP/s (8 vec4 chains, workgroup 64, fma()), 0.5 GB/s; ' +
        'CPU 10 GFLOP/s (WebAssembly f32x4, 8 chains), 40 GB/s at the start; ' +
        "'of peak' sets each timed block against an FMA block run right after it",
    );
    const gpuOnly = {
      ...twoSizes,
      limits: { ...limits, cpu: null },
    } as unknown as BenchMeasurement;
    expect(limitsSummary(gpuOnly, String)).toMatch(
      /^GPU 5 GFLOP\/s \(8 vec4 chains, workgroup 64, fma\(\)\), 0.5 GB\/s at the start;/,
    );
  });
});

describe('exponentSummary', () => {
  it("gives the median of the rounds' exponents with their least and greatest", () => {
    const exponents = {
      gpu: {
        exponent: 1.02,
        r2: 0.999,
        range: { from: 1000, to: 4000, points: 3 },
        rounds: [1.1, 0.97, 1.02],
      },
      cpu: null,
    };
    const result = { ...twoSizes, exponents } as unknown as BenchMeasurement;
    expect(exponentSummary(result, 'gpu')).toBe(
      "gpu time per step ∝ n^1.020 (median of 3 rounds' fits, 0.970…1.100; R² 0.9990; n = 1000…4000, 3 sizes)",
    );
    expect(exponentSummary(result, 'cpu')).toBeNull();
    const one = { ...exponents.gpu, exponent: 1.1, rounds: [1.1] };
    const oneRound = {
      ...twoSizes,
      exponents: { gpu: one, cpu: null },
    } as unknown as BenchMeasurement;
    expect(exponentSummary(oneRound, 'gpu')).toMatch(
      /^gpu time per step ∝ n\^1.100 \(median of 1 round's fit, 1.100…1.100;/,
    );
  });
});

describe('fitLine', () => {
  it("draws the fit's slope over its sizes, through the centre of their median times", () => {
    const noise = [1, 1.2, 0.9, 1.1];
    const ns = [1000, 2000, 4000, 8000];
    const sizes = ns.map((n, i) => ({
      n,
      gpu: timing(1e-6 * n * noise[i]!),
      cpu: null,
      ratio: null,
      agreement: null,
    }));
    const fit = {
      exponent: 1.05,
      r2: 0.99,
      range: { from: 2000, to: 8000, points: 3 },
      rounds: [1.05],
    };
    const result = {
      ...twoSizes,
      sizes,
      exponents: { gpu: fit, cpu: null },
    } as unknown as BenchMeasurement;
    const line = fitLine(result, 'gpu');
    expect(line[0]).toBeNull();
    const drawn = line.slice(1) as number[];
    expect(drawn[1]! / drawn[0]!).toBeCloseTo(2 ** 1.05, 12);
    expect(drawn[2]! / drawn[1]!).toBeCloseTo(2 ** 1.05, 12);
    const logMean = (values: number[]): number =>
      values.reduce((s, v) => s + Math.log(v), 0) / values.length;
    const medians = sizes.slice(1).map((size) => size.gpu.secondsPerStep.median);
    expect(logMean(drawn)).toBeCloseTo(logMean(medians), 12);
    expect(fitLine(result, 'cpu')).toEqual([null, null, null, null]);
  });
});

describe('rooflineParticleSteps', () => {
  it('is the lower of the compute and the bandwidth bound', () => {
    const counts = { flopPerParticleStep: 1000, bytesPerParticleStep: 100 };
    expect(rooflineParticleSteps({ gflops: 1, gbps: 100 }, counts)).toBe(1e6);
    expect(rooflineParticleSteps({ gflops: 100, gbps: 0.1 }, counts)).toBe(1e6);
  });
});
