// `mfld sweep --shard I/K` and `--merge`: K parts, merged, give the single sweep's table, JSON,
// CSV and figure bit for bit (all but the wall times), and what cannot be merged is named.
// In-process (main), CPU backend, tiny sizes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardPlans } from '../../src/cli/sweep-parts';
import { shardKind } from '../../src/contract/field-kinds';
import { STACK_LINE, mainCaptured } from '../support/mfld';

const dir = mkdtempSync(join(tmpdir(), 'mfld-sweep-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 3 values × 2 seeds: 6 runs. */
const SWEEP = [
  '--backend=cpu',
  '--threads=1',
  '--over=n',
  '--values=32,64,128',
  '--seeds=2',
  '--steps=20',
  '--samples=64',
  '--test-samples=32',
];

interface Outputs {
  readonly json: string;
  readonly csv: string;
  readonly svg: string;
  readonly table: string;
}

/** Runs `mfld sweep` with output files named after `name`; returns them and the printed table. */
async function sweep(name: string, args: string[]): Promise<Outputs> {
  const files = {
    json: join(dir, `${name}.json`),
    csv: join(dir, `${name}.csv`),
    svg: join(dir, `${name}.svg`),
  };
  const result = await mainCaptured([
    'sweep',
    ...args,
    `--json=${files.json}`,
    `--csv=${files.csv}`,
    `--svg=${files.svg}`,
  ]);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.code, result.stderr).toBe(0);
  return {
    json: files.json,
    csv: readFileSync(files.csv, 'utf8'),
    svg: readFileSync(files.svg, 'utf8'),
    // Without the lines naming the files written.
    // Without the files' lines and the backend decision, which merged parts do not make.
    table: result.stdout.replace(/^(json|csv|svg) .*\n|^backend {2}\w+[,:] .*\n/gm, ''),
  };
}

/** The JSON without the wall times, which no two executions share. */
/** A sweep's JSON without what differs between two invocations: wall times and file paths. */
function withoutTimes(path: string): unknown {
  const record = JSON.parse(readFileSync(path, 'utf8')) as {
    runs: { seconds?: number }[];
    outputs?: unknown;
  };
  for (const run of record.runs) delete run.seconds;
  delete record.outputs;
  return record;
}

const csvWithoutTimes = (csv: string): string[][] => {
  const rows = csv
    .trim()
    .split('\n')
    .map((row) => row.split(','));
  const column = rows[0]!.indexOf('seconds');
  return rows.map((row) => row.filter((_, i) => i !== column));
};

let single: Outputs;
beforeAll(async () => {
  single = await sweep('single', SWEEP);
}, 120_000);

describe('mfld sweep --shard and --merge', () => {
  it.each([2, 4, 7])(
    '%i parts, merged, equal the single sweep bit for bit',
    async (count) => {
      const parts: string[] = [];
      for (let index = 0; index < count; index++) {
        const part = await sweep(`part-${count}-${index}`, [...SWEEP, `--shard=${index}/${count}`]);
        const record = JSON.parse(readFileSync(part.json, 'utf8')) as {
          shard: string;
          runs: unknown[];
        };
        expect(record.shard).toBe(`${index}/${count}`);
        parts.push(part.json);
      }
      const merged = await sweep(`merged-${count}`, ['--merge', ...parts]);
      expect(withoutTimes(merged.json)).toEqual(withoutTimes(single.json));
      expect(csvWithoutTimes(merged.csv)).toEqual(csvWithoutTimes(single.csv));
      expect(merged.svg).toBe(single.svg);
      expect(merged.table).toBe(single.table);
    },
    120_000,
  );

  const plans = Array.from({ length: 10 }, (_, i) => ({
    value: i,
    seed: 1,
    config: {} as never,
  }));

  it.each([1, 3, 10, 12])('gives %i parts disjoint runs that together are all', (count) => {
    const parts = Array.from({ length: count }, (_, index) =>
      shardPlans(plans, { index, count }).map((plan) => plan.value),
    );
    expect(parts.flat().sort((a, b) => a - b)).toEqual(plans.map((plan) => plan.value));
  });

  it('gives each part every K-th run from the I-th', () => {
    expect(shardPlans(plans, shardKind.parse('1/3') ?? null).map((plan) => plan.value)).toEqual([
      1, 4, 7,
    ]);
  });

  /** Part files of the 2-part sweep, edited by `edit`. */
  function editedPart(name: string, edit: (record: Record<string, unknown>) => void): string {
    const record = JSON.parse(readFileSync(join(dir, 'part-2-1.json'), 'utf8'));
    edit(record);
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(record));
    return path;
  }

  it.each([
    {
      name: 'a part of another sweep (another σ)',
      parts: () => [
        join(dir, 'part-2-0.json'),
        editedPart('other-sigma', (record) => {
          (record['config'] as Record<string, unknown>)['sigma'] = 0.2;
        }),
      ],
      message:
        /other-sigma\.json is a part of another sweep: its sigma is 0\.2, that of .*part-2-0\.json 0\.05/,
    },
    {
      name: 'a part of another sweep (other values)',
      parts: () => [
        join(dir, 'part-2-0.json'),
        editedPart('other-values', (record) => {
          record['values'] = [32, 64];
        }),
      ],
      message: /other-values\.json is a part of another sweep: its values are 32,64/,
    },
    {
      name: 'a missing part',
      parts: () => [
        join(dir, 'part-4-0.json'),
        join(dir, 'part-4-1.json'),
        join(dir, 'part-4-3.json'),
      ],
      message:
        /runs in no part \(a part not run, or interrupted\?\): n 64 seed 1; 5 of 6 runs are there/,
    },
    {
      name: 'a part given twice',
      parts: () => [
        join(dir, 'part-2-0.json'),
        join(dir, 'part-2-1.json'),
        join(dir, 'part-2-1.json'),
      ],
      message:
        /runs in more than one part: n 32 seed 2 \(in .*part-2-1\.json and .*part-2-1\.json\)/,
    },
    {
      name: 'a file that is not a sweep',
      parts: () => [editedPart('not-a-sweep', (record) => delete record['runs'])],
      message: /not-a-sweep\.json is not the JSON of an mfld sweep: no "runs" list/,
    },
  ])('refuses $name, naming it (exit 1)', async ({ parts, message }) => {
    const result = await mainCaptured(['sweep', '--merge', ...parts()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it.each([
    [
      '--shard=2/2',
      /--shard must be I\/K with K from 1 to 100000 and I from 0 to K - 1.*got "2\/2"/,
    ],
    ['--shard=1/0', /--shard must be I\/K/],
    ['--shard=one/4', /--shard must be I\/K/],
    ['--merge=a.json', /--over cannot be given with --merge/],
  ])('refuses %s (exit 2)', async (flag, message) => {
    const result = await mainCaptured(['sweep', ...SWEEP.slice(2), flag]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
