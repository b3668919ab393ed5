// The closing line CI reads, `N passed, N failed`, always the last line printed: the tests of
// the unit (Vitest) and browser (Playwright) reports, and the stages of `npm test` as
// .ci/stages.mjs recorded them. A test that did not pass counts as failed, skipped ones too (the
// tree has none on purpose: a GPU file whose adapter is missing skips all its tests), and so
// does a test file that failed on its own (an import error) or a browser run's global error.
// Each stage that failed or did not run is named on a line before the closing one; one that
// failed without a failed test (typecheck, lint, a crash before the report) counts one.
// Usage: node .ci/count-tests.mjs STATUS, STATUS being `npm test`'s exit status; exits 1 if
// any test or stage failed.
import { existsSync, readFileSync } from 'node:fs';

const readJson = (path) => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null);

/** Passed and failed tests of a Vitest JSON report, and what of the failed did not fail itself. */
function unitCounts(report) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let brokenFiles = 0;
  for (const file of report.testResults) {
    const statuses = file.assertionResults.map((test) => test.status);
    const notPassed = statuses.filter((status) => status !== 'passed').length;
    passed += statuses.length - notPassed;
    failed += notPassed;
    skipped += statuses.filter((status) => status !== 'passed' && status !== 'failed').length;
    if (file.status === 'failed' && notPassed === 0) brokenFiles += 1;
  }
  const notes = [];
  if (skipped > 0) notes.push(`${skipped} skipped or todo`);
  if (brokenFiles > 0) notes.push(`${brokenFiles} test files that failed outside any test`);
  return { passed, failed: failed + brokenFiles, notes };
}

/** Passed and failed tests of a Playwright JSON report, and what of the failed did not fail itself. */
function e2eCounts(report) {
  const { expected, flaky, unexpected, skipped } = report.stats;
  const notes = [];
  if (skipped > 0) notes.push(`${skipped} skipped`);
  if (report.errors.length > 0) notes.push(`${report.errors.length} errors outside any test`);
  return { passed: expected + flaky, failed: unexpected + skipped + report.errors.length, notes };
}

const REPORTS = {
  'test:unit': ['reports/unit.json', unitCounts],
  'test:e2e': ['reports/e2e.json', e2eCounts],
};

const status = Number(process.argv[2] ?? 1);
const stages = readJson('reports/stages.json')?.stages ?? null;
let passed = 0;
let failed = 0;
const failedStages = new Set();

for (const [stage, [path, counts]] of Object.entries(REPORTS)) {
  const report = readJson(path);
  if (!report) continue;
  const found = counts(report);
  passed += found.passed;
  failed += found.failed;
  if (found.failed > 0) failedStages.add(stage);
  if (found.notes.length > 0) console.log(`${stage}: counted as failed: ${found.notes.join(', ')}`);
}

if (stages === null) {
  console.log('stages: not recorded (no reports/stages.json): npm test did not get to start them');
} else {
  for (const { name, status: stageStatus } of stages) {
    if (stageStatus === null) {
      console.log(`stage ${name}: did not run`);
      failed += 1;
    } else if (stageStatus !== 0) {
      const how = typeof stageStatus === 'number' ? `exit ${stageStatus}` : stageStatus;
      console.log(`stage ${name}: failed (${how})`);
      if (!failedStages.has(name)) failed += 1;
    }
  }
}

if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
