// The package as someone else's project gets it: `npm pack` (whose prepack builds dist/),
// the tarball installed into a fresh project (dependencies from the npm cache where they are
// there), then its mfld command, its Node API and a page built against it with Vite. Slow
// (a TypeScript build and an npm install): one pack and one install serve every check.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const TIMEOUT = 300_000;

let work = '';
let project = '';

/** Runs `command` in the fresh project, failing with its output. */
async function inProject(command: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd: project, timeout: TIMEOUT });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`, {
      cause: error,
    });
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mfld-package-'));
  await run('npm', ['pack', '--pack-destination', work, '--silent'], {
    cwd: REPO,
    timeout: TIMEOUT,
  });
  const tarball = readdirSync(work).find((file) => file.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball in ${work}`);
  project = join(work, 'project');
  await run('mkdir', [project]);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'uses-mfld', private: true, type: 'module' }),
  );
  await inProject('npm', [
    'install',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    join(work, tarball),
  ]);
}, TIMEOUT);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package, installed into a fresh project', () => {
  it('brings no TypeScript, tsx or sources: compiled JavaScript, declarations, shaders', () => {
    const installed = join(project, 'node_modules');
    expect(existsSync(join(installed, 'tsx'))).toBe(false);
    expect(existsSync(join(installed, 'typescript'))).toBe(false);
    expect(existsSync(join(installed, 'mfld', 'src'))).toBe(false);
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/browser.js', 'dist/cli/main.js'])
      expect(existsSync(join(installed, 'mfld', file)), file).toBe(true);
  });

  it('runs `npx mfld run` on the CPU backend and writes its JSON', async () => {
    await inProject('npx', [
      'mfld',
      'run',
      '--n',
      '256',
      '--steps',
      '10',
      '--backend',
      'cpu',
      '--json',
      'out.json',
    ]);
    const summary = JSON.parse(readFileSync(join(project, 'out.json'), 'utf8')) as {
      status: string;
      backend: string;
      final: { step: number; loss: { train: number } };
      lossHistory: { train: number }[];
    };
    expect(summary.status).toBe('completed');
    expect(summary.backend).toBe('cpu');
    expect(summary.final.step).toBe(10);
    expect(summary.final.loss.train).toBeLessThan(summary.lossHistory[0]!.train);
  });

  it('imports the API in Node (the Node entry), and the loss falls', async () => {
    writeFileSync(
      join(project, 'api.mjs'),
      `import { DEFAULT_CONFIG, buildProblem, createCpuSimulation, dynamicsFromConfig } from 'mfld';
const config = { ...DEFAULT_CONFIG, n: 256 };
const sim = await createCpuSimulation(buildProblem(config), dynamicsFromConfig(config), { threads: 2 });
const before = await sim.loss('train');
await sim.run(20);
const after = await sim.loss('train');
sim.destroy();
console.log(JSON.stringify({ entry: import.meta.resolve('mfld'), before, after }));
`,
    );
    const result = JSON.parse(await inProject(process.execPath, ['api.mjs'])) as {
      entry: string;
      before: number;
      after: number;
    };
    expect(result.entry).toMatch(/node_modules\/mfld\/dist\/index\.js$/);
    expect(result.after).toBeLessThan(result.before);
  });

  it('types both entries for TypeScript (module resolution nodenext)', async () => {
    writeFileSync(
      join(project, 'types.ts'),
      `import { createCpuSimulation, type Simulation } from 'mfld';
import { browserShaderSources } from 'mfld/browser';
export const loss: (sim: Simulation) => Promise<number> = (sim) => sim.loss('train');
export const particles: string | undefined = browserShaderSources['particles'];
export const create: typeof createCpuSimulation = createCpuSimulation;
`,
    );
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    await inProject(process.execPath, [
      tsc,
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
      '--typeRoots',
      join(REPO, 'node_modules', '@types'),
      'types.ts',
    ]);
  });

  it('builds a page with Vite: the browser entry, its shaders as strings and its worker', async () => {
    writeFileSync(
      join(project, 'index.html'),
      '<!doctype html>\n<script type="module" src="./main.js"></script>\n',
    );
    writeFileSync(
      join(project, 'main.js'),
      `import { browserShaderSources, createCpuSimulation, createGpuSimulation, openBrowserGpu } from 'mfld';
document.body.textContent = Object.keys(browserShaderSources).join(' ');
globalThis.mfld = { createCpuSimulation, createGpuSimulation, openBrowserGpu };
`,
    );
    // The CPU reference's worker imports modules of its own: ES workers (as in docs/).
    writeFileSync(
      join(project, 'vite.config.js'),
      "export default { worker: { format: 'es' } };\n",
    );
    // Vite from this repository; it resolves 'mfld' from the project, with the browser condition.
    const vite = join(REPO, 'node_modules', 'vite', 'bin', 'vite.js');
    await inProject(process.execPath, [vite, 'build', '--logLevel', 'warn']);
    const assets = join(project, 'dist', 'assets');
    const files = readdirSync(assets);
    const code = files.map((file) => readFileSync(join(assets, file), 'utf8')).join('\n');
    expect(code).toContain('@compute');
    expect(code).not.toContain('import.meta.glob');
    expect(files.some((file) => file.startsWith('worker-'))).toBe(true);
  });
});
