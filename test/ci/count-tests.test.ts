// The closing line of CI (.ci/count-tests.mjs) from small fake reports, and the stage runner of
// `npm test` (.ci/stages.mjs) on fake stages: nothing that did not pass, nor a stage that failed
// or did not run, may vanish from the count.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/mfld';

const scratch = mkdtempSync(join(tmpdir(), 'mfld-count-tests-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type TestStatus = 'passed' | 'failed' | 'skipped' | 'todo';

/** A Vitest JSON report, with just the fields count-tests reads. */
const unitReport = (...files: { status: string; tests: TestStatus[] }[]) => ({
  testResults: files.map(({ status, tests }) => ({
    status,
    assertionResults: tests.map((test) => ({ status: test })),
  })),
});

/** A Playwright JSON report, with just the fields count-tests reads. */
const e2eReport = (expected: number, unexpected: number, skipped = 0, errors = 0) => ({
  stats: { expected, unexpected, skipped, flaky: 0 },
  errors: Array.from({ length: errors }, () => ({ message: 'webServer failed' })),
});

const ALL_STAGES_PASSED = ['typecheck', 'lint', 'test:unit', 'test:e2e'].map((name) => ({
  name,
  status: 0,
}));

interface Reports {
  unit?: object;
  e2e?: object;
  stages?: { name: string; status: number | string | null }[];
}

/** count-tests.mjs run in a folder holding `reports`, given `npm test`'s status. */
function countTests(npmStatus: number, reports: Reports) {
  const dir = mkdtempSync(join(scratch, 'case-'));
  mkdirSync(join(dir, 'reports'));
  const files = {
    unit: reports.unit,
    e2e: reports.e2e,
    stages: reports.stages && { stages: reports.stages },
  };
  for (const [file, content] of Object.entries(files))
    if (content) writeFileSync(join(dir, 'reports', `${file}.json`), JSON.stringify(content));
  const result = spawnSync(
    process.execPath,
    [join(ROOT, '.ci/count-tests.mjs'), String(npmStatus)],
    { cwd: dir, encoding: 'utf8' },
  );
  expect(result.stderr).toBe('');
  return { code: result.status, lines: result.stdout.trimEnd().split('\n') };
}

describe('the closing line of CI', () => {
  it('sums the passed tests of both reports when everything passed, exit 0', () => {
    const { code, lines } = countTests(0, {
      unit: unitReport({ status: 'passed', tests: ['passed', 'passed'] }),
      e2e: e2eReport(3, 0),
      stages: ALL_STAGES_PASSED,
    });
    expect(lines).toEqual(['5 passed, 0 failed']);
    expect(code).toBe(0);
  });

  // What Vitest reports, its exit status, and what count-tests prints before the closing line.
  it.each([
    [
      'tests skipped by a beforeAll that threw (no GPU adapter)',
      unitReport({ status: 'failed', tests: ['skipped', 'skipped', 'skipped'] }),
      1,
      ['test:unit: counted as failed: 3 skipped or todo', 'stage test:unit: failed (exit 1)'],
      '0 passed, 3 failed',
    ],
    [
      'a test file that failed to load',
      unitReport({ status: 'failed', tests: [] }, { status: 'passed', tests: ['passed'] }),
      1,
      [
        'test:unit: counted as failed: 1 test files that failed outside any test',
        'stage test:unit: failed (exit 1)',
      ],
      '1 passed, 1 failed',
    ],
    [
      'a skipped and a todo test in a passing file',
      unitReport({ status: 'passed', tests: ['passed', 'skipped', 'todo'] }),
      0,
      ['test:unit: counted as failed: 2 skipped or todo'],
      '1 passed, 2 failed',
    ],
    [
      'failed tests',
      unitReport({ status: 'failed', tests: ['failed', 'passed', 'failed'] }),
      1,
      ['stage test:unit: failed (exit 1)'],
      '1 passed, 2 failed',
    ],
  ])('counts %s as failed, exit 1', (_, unit, unitStatus, notes, closing) => {
    const stages = ALL_STAGES_PASSED.map((stage) =>
      stage.name === 'test:unit' ? { ...stage, status: unitStatus } : stage,
    );
    const { code, lines } = countTests(unitStatus, { unit, stages });
    expect(lines).toEqual([...notes, closing]);
    expect(code).toBe(1);
  });

  it('counts skipped browser tests and errors outside any test as failed', () => {
    const { code, lines } = countTests(1, {
      e2e: e2eReport(4, 1, 2, 1),
      stages: ALL_STAGES_PASSED.map((stage) => ({
        ...stage,
        status: stage.name === 'test:e2e' ? 1 : 0,
      })),
    });
    expect(lines).toEqual([
      'test:e2e: counted as failed: 2 skipped, 1 errors outside any test',
      'stage test:e2e: failed (exit 1)',
      '4 passed, 4 failed',
    ]);
    expect(code).toBe(1);
  });

  it('names the stages that failed or did not run; each counts one unless its tests failed', () => {
    const { code, lines } = countTests(1, {
      unit: unitReport({ status: 'failed', tests: ['passed', 'failed'] }),
      stages: [
        { name: 'typecheck', status: 2 },
        { name: 'lint', status: 0 },
        { name: 'test:unit', status: 1 },
        { name: 'test:e2e', status: null },
      ],
    });
    expect(lines).toEqual([
      'stage typecheck: failed (exit 2)',
      'stage test:unit: failed (exit 1)',
      'stage test:e2e: did not run',
      '1 passed, 3 failed',
    ]);
    expect(code).toBe(1);
  });

  it('says a stage killed by a signal by its name', () => {
    const { lines } = countTests(1, {
      stages: [{ name: 'test:e2e', status: 'SIGKILL' }],
    });
    expect(lines).toEqual(['stage test:e2e: failed (SIGKILL)', '0 passed, 1 failed']);
  });

  it('counts one failure when npm test failed and left no record at all', () => {
    const { code, lines } = countTests(1, {});
    expect(lines.at(-1)).toBe('0 passed, 1 failed');
    expect(lines[0]).toMatch(/^stages: not recorded/);
    expect(code).toBe(1);
  });
});

describe('the stages of npm test', () => {
  it('runs every stage whatever the ones before did, records each status, exit 1', () => {
    const dir = join(scratch, 'stages-runner');
    mkdirSync(join(dir, 'reports'), { recursive: true });
    writeFileSync(join(dir, 'reports', 'unit.json'), 'stale');
    const exit = (code: number) => `node -e "process.exit(${code})"`;
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ scripts: { first: exit(3), second: exit(0), third: exit(1) } }),
    );
    const result = spawnSync(
      process.execPath,
      [join(ROOT, '.ci/stages.mjs'), 'first', 'second', 'third'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(result.status).toBe(1);
    const recorded = JSON.parse(readFileSync(join(dir, 'reports', 'stages.json'), 'utf8'));
    expect(recorded).toEqual({
      stages: [
        { name: 'first', status: 3 },
        { name: 'second', status: 0 },
        { name: 'third', status: 1 },
      ],
    });
    // An earlier run's report is gone: it would pass for this run's.
    expect(() => readFileSync(join(dir, 'reports', 'unit.json'))).toThrow(/ENOENT/);
  });
});
