// `mfld bench` end to end as a child process, at tiny sizes: every figure of the JSON record is
// there and finite, sizes past the adapter are refused cleanly, and flags are checked.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK_LINE, mainCaptured, mfld, mfldInterrupted, mfldWithEnv } from '../support/mfld';

const scratch = mkdtempSync(join(tmpdir(), 'mfld-bench-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function expectPositive(value: unknown, path: string): void {
  expect(typeof value, path).toBe('number');
  expect(Number.isFinite(value) && (value as number) > 0, `${path} = ${String(value)}`).toBe(true);
}

function expectTiming(timing: Record<string, unknown>, path: string): void {
  for (const key of [
    'particleStepsPerSecond',
    'gflops',
    'gbps',
    'fractionOfLimit',
    'bandwidthFraction',
    'steps',
    'blocks',
  ])
    expectPositive(timing[key], `${path}.${key}`);
  for (const range of ['secondsPerStep', 'limitGflops']) {
    const spread = timing[range] as Record<string, number>;
    for (const key of ['median', 'min', 'max'])
      expectPositive(spread[key], `${path}.${range}.${key}`);
    expect(spread['min']).toBeLessThanOrEqual(spread['median']!);
    expect(spread['median']).toBeLessThanOrEqual(spread['max']!);
  }
}

describe('mfld bench', () => {
  it('times two tiny sizes on both backends and writes every figure to --json', () => {
    const json = join(scratch, 'bench.json');
    const { code, stdout, stderr } = mfld(
      'bench',
      '--sizes',
      '256,512',
      '--steps',
      '2',
      '--repeats',
      '2',
      '--backend-cpu-threads',
      '2',
      '--json',
      json,
    );
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stdout).toMatch(/GFLOP\/s/);
    expect(stdout).toMatch(/exponent +gpu/);
    const record = JSON.parse(readFileSync(json, 'utf8'));
    expect(typeof record.adapter.description).toBe('string');
    expect(record.adapter.description.length).toBeGreaterThan(0);
    expect(record.adapter.info).toBeTypeOf('object');
    // d = 16: four particles per invocation (defaultLaneParticles), and on SwiftShader up to
    // 16 chunks per workgroup (EngineLayout.groupChunks), data rows shared by its subgroups
    // of 4 (EngineLayout.quadLanes) and φ kept for the next drift (phiCache), named in the
    // table too.
    const swiftShader = /swiftshader/i.test(record.adapter.description);
    expect(record.engine).toEqual({
      workgroupSize: 64,
      laneParticles: 4,
      groupChunks: swiftShader ? 16 : 1,
      reduction: expect.stringMatching(/^(subgroup|workgroup)$/),
      phiCache: swiftShader,
      quadLanes: swiftShader && record.engine.reduction === 'subgroup' ? 4 : null,
    });
    expect(stdout).toMatch(/engine +workgroups of 64 invocations holding 4 particles each/);
    // What `--backend auto` runs on with this adapter: the CPU reference on a software one.
    expect(record.autoBackend.backend).toBe(swiftShader ? 'cpu' : 'webgpu');
    expect(stdout).toMatch(
      swiftShader
        ? /^auto +cpu: auto chose the CPU reference: the WebGPU adapter \(.+\) renders in software/m
        : /^auto +webgpu: auto chose WebGPU: .+ is a hardware adapter$/m,
    );
    if (swiftShader) expect(stdout).toMatch(/walking up to 16 chunks of 256 particles/);
    if (record.engine.quadLanes) expect(stdout).toMatch(/data rows read 4 lanes to a subgroup/);
    expect(record.node).toBe(process.version);
    expectPositive(record.cpu.threads, 'cpu.threads');
    expectPositive(record.cpu.logicalCores, 'cpu.logicalCores');
    expect(typeof record.cpu.model).toBe('string');
    expect(record.config).toMatchObject({
      sizes: [256, 512],
      d: 16,
      p: 15,
      batch: 64,
      steps: 2,
      repeats: 2,
      cpuThreads: 2,
      skipCpu: false,
      laneParticles: null,
      groupChunks: null,
    });
    expect(record.config.counts).toEqual({
      flopPerParticleStep: 64 * (6 * 15 + 8) + 6 * 16,
      bytesPerParticleStep: 128,
    });
    for (const device of ['gpu', 'cpu']) {
      for (const key of ['gflops', 'gbps'])
        expectPositive(record.limits[device][key], `limits.${device}.${key}`);
      // The FMA limit names the kernel of its sweep that set it, beside the figure.
      expect(record.limits[device].fmaConfig).toBe(record.limitDetails[device].fmaConfig);
      expect(stdout).toContain(`(${record.limits[device].fmaConfig})`);
    }
    expect(record.sizes.map((size: { n: number }) => size.n)).toEqual([256, 512]);
    for (const size of record.sizes) {
      expectTiming(size.gpu, `n=${size.n}.gpu`);
      expectTiming(size.cpu, `n=${size.n}.cpu`);
      // The fraction pairs each block with the limit measured right after it: the median (of
      // two, their mean) of the blocks' GFLOP/s over those limits.
      for (const backend of ['gpu', 'cpu']) {
        const { blockSeconds, blockLimitGflops, limitGflops, fractionOfLimit } = size[backend];
        const gflopsAt = (seconds: number) =>
          (record.config.counts.flopPerParticleStep * size.n) / seconds / 1e9;
        expect(blockLimitGflops).toHaveLength(2);
        expect(limitGflops.min).toBe(Math.min(...blockLimitGflops));
        expect(limitGflops.max).toBe(Math.max(...blockLimitGflops));
        const fractions = [0, 1].map((k) => gflopsAt(blockSeconds[k]) / blockLimitGflops[k]);
        expect(fractionOfLimit).toBeCloseTo((fractions[0]! + fractions[1]!) / 2, 9);
      }
      expect(size.gpu.blockStarts).toHaveLength(2);
      expect(size.cpu.blockStarts).toHaveLength(2);
      expectPositive(size.ratio, `n=${size.n}.ratio`);
      expect(size.agreement.ok).toBe(true);
      expect(size.agreement.worstDifference).toBeLessThanOrEqual(2e-5);
    }
    // Timed round by round, in each round the GPU at every size then the CPU: the first round
    // from the smallest size up, the second from the largest down.
    const [small, large] = record.sizes;
    const starts = [
      small.gpu.blockStarts[0],
      large.gpu.blockStarts[0],
      small.cpu.blockStarts[0],
      large.cpu.blockStarts[0],
      large.gpu.blockStarts[1],
      small.gpu.blockStarts[1],
      large.cpu.blockStarts[1],
      small.cpu.blockStarts[1],
    ];
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(new Set(starts).size).toBe(starts.length);
    for (const device of ['gpu', 'cpu']) {
      const fit = record.exponents[device];
      expect(fit.range).toEqual({ from: 256, to: 512, points: 2 });
      expect(fit.r2).toBeCloseTo(1, 9);
      // Round r's exponent through two sizes is log(t₂/t₁) / log 2 of that round's blocks;
      // the exponent is the median of the two rounds', their mean.
      const rounds = [0, 1].map(
        (r) =>
          Math.log(large[device].blockSeconds[r] / small[device].blockSeconds[r]) / Math.log(2),
      );
      expect(fit.rounds).toHaveLength(2);
      fit.rounds.forEach((exponent: number, r: number) =>
        expect(exponent).toBeCloseTo(rounds[r]!, 9),
      );
      expect(fit.exponent).toBeCloseTo((rounds[0]! + rounds[1]!) / 2, 9);
      for (const size of record.sizes) {
        // The median block is the median of the blocks' seconds per step.
        const blocks = [...size[device].blockSeconds].sort((a: number, b: number) => a - b);
        expect(size[device].secondsPerStep.median).toBeCloseTo((blocks[0] + blocks[1]) / 2, 12);
      }
    }
    expect(stdout).toMatch(
      /exponent +gpu time per step ∝ n\^-?\d\.\d+ \(median of 2 rounds' fits, /,
    );
  });

  it('runs the GPU with the particles per invocation --lanes asks for, and records them', () => {
    const json = join(scratch, 'lanes.json');
    const { code, stdout, stderr } = mfld(
      'bench',
      '--sizes',
      '300',
      '--steps',
      '1',
      '--repeats',
      '1',
      '--skip-cpu',
      '--lanes',
      '2',
      '--json',
      json,
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/holding 2 particles each/);
    const record = JSON.parse(readFileSync(json, 'utf8'));
    expect(record.config.laneParticles).toBe(2);
    expect(record.engine.laneParticles).toBe(2);
  });

  it('walks the chunks per workgroup --group-chunks asks for, and records them', () => {
    const json = join(scratch, 'group-chunks.json');
    // n = 1200 at 4 particles per invocation is 5 chunks of 256: by default SwiftShader's
    // workgroups walk one each (16 workgroups would need 16 chunks), here 3 and 2.
    const { code, stdout, stderr } = mfld(
      'bench',
      '--sizes',
      '1200',
      '--steps',
      '1',
      '--repeats',
      '1',
      '--group-chunks',
      '3',
      '--json',
      json,
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/walking up to 3 chunks of 256 particles \(as asked, /);
    const record = JSON.parse(readFileSync(json, 'utf8'));
    expect(record.config.groupChunks).toBe(3);
    expect(record.engine.groupChunks).toBe(3);
    // Still checked against the CPU reference before it was timed.
    expect(record.sizes[0].agreement.ok).toBe(true);
  });

  it('refuses a size past the adapter with a message naming it, before timing anything', () => {
    const { code, stdout, stderr } = mfld('bench', '--sizes', '2000000000', '--steps', '2');
    expect(code).toBe(1);
    expect(stderr).toMatch(/n = 2000000000 is past this adapter's limits/);
    expect(stderr).toMatch(/largest n that fits is \d+/);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stdout).toBe('');
  });

  it('refuses a --json path that cannot be written before timing anything', () => {
    const { code, stdout, stderr } = mfld('bench', '--sizes', '256', '--json', tmpdir());
    expect(code).toBe(1);
    expect(stderr).toBe(`mfld: cannot write ${tmpdir()} (--json): it is a folder\n`);
    expect(stdout).toBe('');
  });

  it('says so when there is no WebGPU adapter', () => {
    const { code, stderr } = mfldWithEnv({ MFLD_WEBGPU_ENV_RESOLVED: 'none' }, [
      'bench',
      '--sizes',
      '256',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^mfld: bench needs a WebGPU adapter and found none/);
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('stops after the current round on Ctrl-C and reports the rounds done, exit 130', async () => {
    const json = join(scratch, 'interrupted.json');
    const args = ['bench', '--sizes', '256,512', '--steps', '1', '--repeats', '6', '--skip-cpu'];
    const { code, stdout, stderr } = await mfldInterrupted(
      [...args, '--dim', '4', '--batch', '8', '--json', json],
      /round 2 of 6/,
    );
    expect(stderr).not.toMatch(STACK_LINE);
    expect(code).toBe(130);
    const record = JSON.parse(readFileSync(json, 'utf8'));
    // Signalled during round 2: it ends after that round, or a later one had it ended first.
    expect(record.roundsTimed).toBeGreaterThanOrEqual(2);
    expect(record.roundsTimed).toBeLessThan(6);
    expect(record.config.repeats).toBe(6);
    for (const size of record.sizes) expect(size.gpu.blocks).toBe(record.roundsTimed);
    expect(record.exponents.gpu.rounds).toHaveLength(record.roundsTimed);
    expect(stdout).toMatch(/^ *256 +gpu /m);
    expect(stderr).toContain(
      `mfld: interrupted after ${record.roundsTimed} of 6 rounds: the figures are from those rounds\n`,
    );
  });

  it.each(
    [
      ['--sizes', '0'],
      ['--sizes', '12,abc'],
      ['--sizes', String(2 ** 32)],
      ['--dim', '2'],
      ['--dim', '300'],
      ['--steps', '-1'],
      ['--repeats'],
      ['--skip-cpu=yes'],
      ['--lanes', '3'],
      ['--lanes', ''],
      ['--group-chunks', '0'],
      ['--group-chunks', '65537'],
      ['--frob', '1'],
    ].map((args) => [args]),
  )('refuses %j, with exit 2 and a message', async (args) => {
    const { code, stderr } = await mainCaptured(['bench', ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^mfld: /);
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('lists its flags under --help and in mfld help', async () => {
    const help = await mainCaptured(['bench', '--help']);
    expect(help.code).toBe(0);
    for (const flag of [
      '--sizes',
      '--dim',
      '--batch',
      '--steps',
      '--repeats',
      '--backend-cpu-threads',
      '--json',
      '--skip-cpu',
      '--lanes',
      '--group-chunks',
    ])
      expect(help.stdout).toContain(flag);
    expect((await mainCaptured(['help'])).stdout).toMatch(/mfld bench/);
  });
});
