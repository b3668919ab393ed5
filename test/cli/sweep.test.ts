// `mfld sweep` on the CPU backend, tiny sizes: the files it writes, and the flags it refuses.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linePlotSvg } from '../../src/plot/svg';
import { fitLossAgainstN, sweepMeans, type SweepRun } from '../../src/study/sweep';
import { STACK_LINE, mainCaptured, mfld, mfldInterrupted } from '../support/mfld';

const dir = mkdtempSync(join(tmpdir(), 'mfld-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Well-formed enough for a test: every tag closes in order, one root <svg>. */
function checkXml(text: string): void {
  const body = text.replace(/^<\?xml[^>]*\?>\s*/, '');
  const stack: string[] = [];
  for (const match of body.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (selfClosing) continue;
    if (closing) expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
  expect(body.startsWith('<svg')).toBe(true);
  expect(body).not.toMatch(/&(?!#\d+;|amp;|lt;|gt;|quot;|apos;)/);
}

describe('mfld sweep', () => {
  it('--over n: JSON, CSV and SVG written and readable, one run per value and seed', () => {
    const json = join(dir, 'sweep.json');
    const csv = join(dir, 'sweep.csv');
    const svg = join(dir, 'sweep.svg');
    const result = mfld(
      'sweep',
      '--backend=cpu',
      '--over=n',
      '--values=32,64',
      '--steps=20',
      '--seeds=2',
      '--threads=1',
      `--json=${json}`,
      `--csv=${csv}`,
      `--svg=${svg}`,
    );
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/sweep 4\/4 {2}n 64 {2}seed \d+ {2}train loss/);
    expect(result.stdout).toMatch(/slope/);

    const record = JSON.parse(readFileSync(json, 'utf8')) as {
      over: string;
      values: number[];
      runs: {
        value: number;
        seed: number;
        status: string;
        train: number;
        steps: number;
        freeEnergy: number;
      }[];
      means: { value: number; completed: number; train: number; freeEnergy: number }[];
      fit: { slope: number; r2: number; points: number };
      freeEnergy: { subsampleLimit: number };
      gap: {
        reference: { kind: string; n: number | null; train: number };
        rows: { n: number; seeds: number; trainGap: number; variancePart: number }[];
        fits: { variancePart: { slope?: number; error?: string } };
      };
      config: Record<string, unknown>;
    };
    expect(record.over).toBe('n');
    expect(record.values).toEqual([32, 64]);
    expect(record.runs.map((run) => [run.value, run.seed - record.runs[0]!.seed])).toEqual([
      [32, 0],
      [32, 1],
      [64, 0],
      [64, 1],
    ]);
    for (const run of record.runs) {
      expect(run.status).toBe('completed');
      expect(run.steps).toBe(20);
      expect(run.train).toBeGreaterThan(0);
    }
    expect(record.means.map((m) => m.completed)).toEqual([2, 2]);
    expect(record.means[0]!.train).toBeCloseTo((record.runs[0]!.train + record.runs[1]!.train) / 2);
    expect(Number.isFinite(record.fit.slope)).toBe(true);
    expect(record.fit.points).toBe(2);
    expect(record.config.steps).toBe(20);

    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('n,seed,status,steps,train_loss,test_loss,seconds,free_energy');
    expect(rows).toHaveLength(5);
    expect(Number(rows[1]!.split(',')[4])).toBe(record.runs[0]!.train);
    expect(Number(rows[1]!.split(',')[7])).toBe(record.runs[0]!.freeEnergy);
    // V = F + (σ²/2) KL with KL ≥ 0 up to the estimator's error: above F, by little at σ 0.05.
    for (const run of record.runs) expect(run.freeEnergy).toBeGreaterThan(run.train - 0.01);
    expect(record.means[0]!.freeEnergy).toBeCloseTo(
      (record.runs[0]!.freeEnergy + record.runs[1]!.freeEnergy) / 2,
    );
    expect(record.freeEnergy.subsampleLimit).toBe(1000);
    // No exact m* for this problem (d = 5): the gap is to the largest n, by seed.
    expect(record.gap.reference).toMatchObject({ kind: 'largest-n', n: 64 });
    expect(record.gap.rows.map((row) => [row.n, row.seeds])).toEqual([[32, 2]]);
    expect(record.gap.rows[0]!.trainGap).toBeCloseTo(
      record.means[0]!.train - record.means[1]!.train,
      12,
    );
    expect(result.stdout).toMatch(/^gap +to the largest n of the sweep, n = 64/m);

    const plot = readFileSync(svg, 'utf8');
    checkXml(plot);
    expect(plot).toMatch(/<path d="M/);
  });

  it('--over n on a d = 2 full-batch problem measures the gap to m*, seed by seed', () => {
    const json = join(dir, 'gap.json');
    const result = mfld(
      'sweep',
      '--backend=cpu',
      '--over=n',
      '--values=16,64',
      '--seeds=2',
      '--steps=40',
      '--tau=0.05',
      '--sigma=1',
      '--dataset=sine',
      '--no-bias',
      '--batch=full',
      '--samples=16',
      '--threads=1',
      `--json=${json}`,
    );
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^gap +to the mean-field limit m\*/m);
    const record = JSON.parse(readFileSync(json, 'utf8')) as {
      gap: {
        reference: { kind: string; train: number };
        rows: { n: number; seeds: number; variancePart: number }[];
      };
    };
    expect(record.gap.reference.kind).toBe('stationary');
    expect(record.gap.reference.train).toBeGreaterThan(0);
    expect(record.gap.rows.map((row) => [row.n, row.seeds])).toEqual([
      [16, 2],
      [64, 2],
    ]);
    for (const row of record.gap.rows) expect(row.variancePart).toBeGreaterThan(0);
  });

  it.each([
    [['--values=32,64'], /--over is required/],
    [['--over=tau', '--values=1'], /--over must be one of n, sigma, got "tau"/],
    [['--over=n'], /--values is required/],
    [['--over=n', '--values=32,abc'], /--values abc: --n must be an integer/],
    [['--over=n', '--values=0'], /--values 0: --n must be/],
    [['--over=sigma', '--values=0.1,-1'], /--values -1: --sigma must be/],
    [['--over=n', '--values=32,,64'], /--values has an empty value/],
    [['--over=n', '--values=32,32'], /--values has 32 twice/],
    [['--over=n', '--values=32', '--seeds=0'], /--seeds must be an integer/],
    [['--over=n', '--values=32', '--n=5'], /--n cannot be given with --over n/],
    [['--over=n', '--values=32', '--resume=x'], /--resume is not taken/],
    [['--over=n', '--values=32', '--bogus=1'], /--bogus/],
  ])('refuses %j naming the flag, exit 2', async (args, message) => {
    const result = await mainCaptured(['sweep', '--backend=cpu', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('refuses an output path that cannot be written before any run, exit 1', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    const svg = join(blocker, 'loss.svg');
    const args = ['--over=n', '--values=8,16', '--steps=5', `--svg=${svg}`];
    const result = await mainCaptured(['sweep', '--backend=cpu', ...args]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^mfld: cannot write ${svg} \\(--svg\\): EEXIST`));
    expect(result.stdout).toBe('');
  });

  it('refuses an n past the CPU reference memory before the first run, exit 1', async () => {
    const args = ['--over=n', `--values=8,${2 ** 26}`, '--dim=4096', '--steps=2'];
    const result = await mainCaptured(['sweep', '--backend=cpu', ...args]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^mfld: --values 67108864: n = 67108864 particles of d = 4098 need \d+ bytes; [^\n]*; nothing was run\n$/,
    );
    expect(result.stdout).toBe('');
  });

  it('stops after the current run on Ctrl-C and writes the runs done, exit 130', async () => {
    const json = join(dir, 'interrupted.json');
    // 2000 runs: far more than a fast machine ends in the time the signal takes to land.
    const args = ['sweep', '--backend=cpu', '--over=n', '--values=8,16', '--seeds=1000'];
    const { code, stdout, stderr } = await mfldInterrupted(
      [...args, '--steps=200', `--json=${json}`],
      /^sweep 2\/2000 /m,
    );
    expect(stderr).not.toMatch(STACK_LINE);
    expect(code).toBe(130);
    const record = JSON.parse(readFileSync(json, 'utf8'));
    expect(record.status).toBe('interrupted');
    expect(record.runs.length).toBeGreaterThanOrEqual(2);
    expect(record.runs.length).toBeLessThan(2000);
    expect(stdout).toMatch(/^8 +\d+ /m);
    expect(stderr).toContain(
      `mfld: interrupted after ${record.runs.length} of 2000 runs: the output holds those\n`,
    );
  });

  it('--help prints the sweep usage', async () => {
    const result = await mainCaptured(['sweep', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--over n\|sigma/);
  });
});

describe('sweep fit and plot', () => {
  const run = (value: number, train: number): SweepRun => ({
    value,
    seed: 1,
    status: 'completed',
    train,
    test: null,
    freeEnergy: null,
    steps: 1,
    seconds: 0,
  });

  it('recovers the slope and intercept of an exact power law', () => {
    const runs = [100, 200, 400, 800].map((n) => run(n, 3 / n));
    const fit = fitLossAgainstN(sweepMeans(runs, [100, 200, 400, 800]));
    if (!('slope' in fit)) throw new Error(fit.error);
    expect(fit.slope).toBeCloseTo(-1, 10);
    expect(fit.r2).toBeCloseTo(1, 10);
    expect(Math.exp(fit.intercept)).toBeCloseTo(3, 8);
  });

  it('says why there is no fit: one size, or a zero loss', () => {
    expect(fitLossAgainstN(sweepMeans([run(10, 1)], [10]))).toHaveProperty('error');
    expect(fitLossAgainstN(sweepMeans([run(10, 0), run(20, 1)], [10, 20]))).toHaveProperty('error');
  });

  it('writes well-formed SVG, escaping labels and leaving out points a log axis cannot show', () => {
    const svg = linePlotSvg({
      title: 'a < b & c',
      xLabel: 'σ',
      yLabel: 'loss',
      series: [
        {
          label: 'x',
          style: 'points',
          color: 'red',
          points: [
            [0, 1],
            [1, 2],
          ],
        },
        {
          label: 'y',
          style: 'line',
          color: 'blue',
          points: [
            [1, 1],
            [2, 4],
          ],
        },
      ],
    });
    checkXml(svg);
    expect(svg).toContain('a &#60; b &#38; c');
    // The one point x > 0 of series x, and its legend's marker.
    expect(svg.match(/<circle/g)).toHaveLength(2);
    expect(svg).toMatch(/<path/);
  });
});
