// `npm test`: runs the npm scripts named on the command line one after another, each whatever
// the ones before it did, so that a failed stage does not hide how the later ones fare. Each
// stage's exit status is written to reports/stages.json as it ends (null until it has run), for
// .ci/count-tests.mjs; the exit status is 1 if any stage failed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const stages = process.argv.slice(2).map((name) => ({ name, status: null }));
if (stages.length === 0) {
  console.error('usage: node .ci/stages.mjs SCRIPT...');
  process.exit(2);
}

// The reports of an earlier run would pass for this one's where a stage writes none.
rmSync('reports', { recursive: true, force: true });
mkdirSync('reports');
const record = () =>
  writeFileSync('reports/stages.json', `${JSON.stringify({ stages }, null, 2)}\n`);
record();

// npm sets npm_execpath to its own script: running that with this Node works on every platform.
const npm = process.env['npm_execpath'];
for (const stage of stages) {
  const [command, args] = npm
    ? [process.execPath, [npm, 'run', stage.name]]
    : ['npm', ['run', stage.name]];
  const result = spawnSync(command, args, { stdio: 'inherit' });
  // A stage killed by a signal has no exit code: its signal's name stands for it.
  stage.status = result.status ?? result.signal ?? String(result.error);
  record();
}
process.exit(stages.every((stage) => stage.status === 0) ? 0 : 1);
