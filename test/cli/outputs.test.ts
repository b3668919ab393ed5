// One output file that fails (a full disk after the up-front path check) loses nothing else:
// for each output flag of `mfld run`, `mfld sweep` and `mfld bench`, the other files, the
// summary and the JSON's record of what failed survive, and the exit status is 1. The
// commands run in this process (tiny sizes, CPU backend for run and sweep) with a writer that
// fails for one path as writeFileAtomic does on a full disk.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WriteError, writeFileAtomic, type FileWriter } from '../../src/cli/output';
import { decodeCheckpoint } from '../../src/io/checkpoint';
import { decodeNpy } from '../../src/io/npy';
import { STACK_LINE, mainCaptured, type RunJson } from '../support/mfld';

const scratch = mkdtempSync(join(tmpdir(), 'mfld-outputs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const FULL_DISK = 'ENOSPC: no space left on device, write';

/**
 * writeFileAtomic, except that `failing` fails from its `from`-th write on, as on a disk that
 * filled up (the file keeps what it held); `attempts` lists every path it was asked to write,
 * with the contents.
 */
function diskFullFor(failing: string | null, from = 1) {
  const attempts: { path: string; contents: string | Uint8Array }[] = [];
  const writeFile: FileWriter = (path, contents) => {
    attempts.push({ path, contents });
    const count = attempts.filter((attempt) => attempt.path === path).length;
    if (path === failing && count >= from) throw new WriteError(path, FULL_DISK);
    writeFileAtomic(path, contents);
  };
  return { writeFile, attempts };
}

/** A fresh folder for one case. */
function folder(name: string): string {
  const path = join(scratch, name);
  mkdirSync(path);
  return path;
}

/** The stderr line reporting the failed write of `path` (`flag`). */
const failureLine = (path: string, flag: string, after = ''): string =>
  `mfld: cannot write ${path} (${flag}): ${FULL_DISK}${after}\n`;

const RUN = [
  'run',
  '--backend=cpu',
  '--threads=1',
  '--n=8',
  '--dim=2',
  '--samples=16',
  '--test-samples=8',
  '--steps=60',
  '--log-every=10',
];

describe('mfld run with an output that fails', () => {
  it.each(['--json', '--save-particles', '--checkpoint'])(
    '%s: the other files, the summary and the record survive, exit 1',
    async (flag) => {
      const dir = folder(`run${flag}`);
      const paths: Record<string, string> = {
        '--json': join(dir, 'run.json'),
        '--save-particles': join(dir, 'particles.npy'),
        '--checkpoint': join(dir, 'run.ckpt'),
      };
      const failing = paths[flag]!;
      const { writeFile } = diskFullFor(failing);
      const flags = Object.entries(paths).map(([name, path]) => `${name}=${path}`);
      const { code, stdout, stderr } = await mainCaptured([...RUN, ...flags], writeFile);

      expect(stderr).not.toMatch(STACK_LINE);
      expect(code).toBe(1);
      expect(stderr).toContain(failureLine(failing, flag));
      expect(existsSync(failing)).toBe(false);
      expect(stdout).toMatch(/^final loss {3}train \S+ {2}test \S+ {2}\(step 60\)$/m);
      expect(stdout).toMatch(/^throughput /m);
      expect(stdout).toMatch(/^wall time /m);

      const particlesLine = `particles    ${paths['--save-particles']} (step 60)`;
      const checkpointLine = `checkpoint   ${paths['--checkpoint']} (step 60)`;
      if (flag !== '--save-particles') {
        const npy = paths['--save-particles']!;
        expect(decodeNpy(new Uint8Array(readFileSync(npy)), npy)).toMatchObject({
          rows: 8,
          cols: 4,
        });
        expect(stdout).toContain(particlesLine);
      } else {
        expect(stdout).toContain(`particles    not written: ${failing} (${FULL_DISK})`);
      }
      if (flag !== '--checkpoint') {
        const checkpoint = paths['--checkpoint']!;
        expect(decodeCheckpoint(new Uint8Array(readFileSync(checkpoint)), checkpoint).step).toBe(
          60,
        );
        expect(stdout).toContain(checkpointLine);
      } else {
        expect(stdout).toContain(`checkpoint   not written: ${failing} (${FULL_DISK})`);
      }
      if (flag === '--json') {
        expect(stdout).not.toMatch(/^json /m);
        return;
      }
      expect(stdout).toContain(`json         ${paths['--json']}\n`);
      const record = JSON.parse(readFileSync(paths['--json']!, 'utf8')) as RunJson;
      expect(record.status).toBe('completed');
      expect(record.final.step).toBe(60);
      expect(record.outputs[flag]).toEqual({ path: failing, status: 'failed', reason: FULL_DISK });
      const other = flag === '--checkpoint' ? '--save-particles' : '--checkpoint';
      expect(record.outputs[other]).toEqual({ path: paths[other], status: 'saved' });
      expect(record.saved).toEqual({
        step: 60,
        particles: flag === '--save-particles' ? null : paths['--save-particles'],
        checkpoint: flag === '--checkpoint' ? null : paths['--checkpoint'],
      });
    },
  );

  it('--checkpoint failing at every periodic write: notices as it goes, the JSON at the end', async () => {
    const dir = folder('run-periodic');
    const [checkpoint, json] = [join(dir, 'run.ckpt'), join(dir, 'run.json')];
    const { writeFile } = diskFullFor(checkpoint);
    const args = [...RUN, `--checkpoint=${checkpoint}`, '--checkpoint-every=20', `--json=${json}`];
    const { code, stdout, stderr } = await mainCaptured(args, writeFile);
    expect(code).toBe(1);
    // Steps 20 and 40 go on; step 60, the last, is written once, as the final checkpoint.
    const goesOn = failureLine(checkpoint, '--checkpoint', '; the run goes on');
    expect(stderr.split(goesOn)).toHaveLength(3);
    expect(stderr.split(failureLine(checkpoint, '--checkpoint'))).toHaveLength(2);
    expect(stdout).toMatch(/^final loss /m);
    const record = JSON.parse(readFileSync(json, 'utf8')) as RunJson;
    expect(record.outputs['--checkpoint']!.status).toBe('failed');
    expect(record.saved).toEqual({ step: 60, particles: null, checkpoint: null });
  });

  it('--checkpoint failing at the end only: the file keeps the last periodic checkpoint, and says so', async () => {
    const dir = folder('run-final');
    const [checkpoint, json] = [join(dir, 'run.ckpt'), join(dir, 'run.json')];
    const { writeFile } = diskFullFor(checkpoint, 3);
    const args = [...RUN, `--checkpoint=${checkpoint}`, '--checkpoint-every=20', `--json=${json}`];
    const { code, stderr } = await mainCaptured(args, writeFile);
    expect(code).toBe(1);
    expect(stderr).toContain(
      failureLine(checkpoint, '--checkpoint', `; ${checkpoint} still holds step 40`),
    );
    expect(decodeCheckpoint(new Uint8Array(readFileSync(checkpoint)), checkpoint).step).toBe(40);
    expect(JSON.parse(readFileSync(json, 'utf8')).outputs['--checkpoint'].status).toBe('failed');
  });

  it('writes a checkpoint that is both periodic and the last step once', async () => {
    const dir = folder('run-once');
    const checkpoint = join(dir, 'run.ckpt');
    const { writeFile, attempts } = diskFullFor(null);
    const args = [...RUN, `--checkpoint=${checkpoint}`, '--checkpoint-every=20'];
    const { code } = await mainCaptured(args, writeFile);
    expect(code).toBe(0);
    const steps = attempts.map(
      ({ path, contents }) => decodeCheckpoint(contents as Uint8Array, path).step,
    );
    expect(steps).toEqual([20, 40, 60]);
  });

  it('records the stepping throughput as such, and the wall time of the command', async () => {
    const json = join(folder('run-wall'), 'run.json');
    const { code, stdout } = await mainCaptured([...RUN, `--json=${json}`]);
    expect(code).toBe(0);
    const record = JSON.parse(readFileSync(json, 'utf8')) as RunJson;
    expect(record.throughput.measures).toMatch(/^stepping only, without log points/);
    expect(record.throughput.seconds).toBeGreaterThan(0);
    expect(record.wallSeconds).toBeGreaterThan(record.throughput.seconds);
    expect(record.outputs).toEqual({});
    expect(stdout).toMatch(/^wall time {4}\S+ s for the command \(start-up, log points, /m);
  });
});

describe('mfld sweep with an output that fails', () => {
  it.each(['--json', '--csv', '--svg'])(
    '%s: the other files, the table and the record survive, exit 1',
    async (flag) => {
      const dir = folder(`sweep${flag}`);
      const paths: Record<string, string> = {
        '--json': join(dir, 'sweep.json'),
        '--csv': join(dir, 'sweep.csv'),
        '--svg': join(dir, 'sweep.svg'),
      };
      const failing = paths[flag]!;
      const flags = Object.entries(paths).map(([name, path]) => `${name}=${path}`);
      const args = ['sweep', '--backend=cpu', '--threads=1', '--over=n', '--values=4,8'];
      const { code, stdout, stderr } = await mainCaptured(
        [...args, '--steps=10', '--samples=16', ...flags],
        diskFullFor(failing).writeFile,
      );
      expect(stderr).not.toMatch(STACK_LINE);
      expect(code).toBe(1);
      expect(stderr).toContain(failureLine(failing, flag));
      expect(stdout).toMatch(/^n +runs {2}mean train loss/m);
      expect(stdout).toMatch(/^fit {6}/m);
      for (const [name, path] of Object.entries(paths)) {
        expect(existsSync(path), name).toBe(name !== flag);
        expect(stdout.includes(`${name.slice(2).padEnd(8)} ${path}\n`), name).toBe(name !== flag);
      }
      if (flag === '--json') return;
      const record = JSON.parse(readFileSync(paths['--json']!, 'utf8'));
      expect(record.runs).toHaveLength(2);
      expect(record.outputs[flag]).toEqual({ path: failing, status: 'failed', reason: FULL_DISK });
      const other = flag === '--csv' ? '--svg' : '--csv';
      expect(record.outputs[other]).toEqual({ path: paths[other], status: 'saved' });
    },
  );
});

describe('mfld bench with an output that fails', () => {
  it.each(['--json'])('%s: the table survives, exit 1', async (flag) => {
    const failing = join(folder(`bench${flag}`), 'bench.json');
    const args = ['bench', '--sizes=256', '--steps=2', '--repeats=1', '--skip-cpu'];
    const { code, stdout, stderr } = await mainCaptured(
      [...args, '--dim=4', '--batch=8', `${flag}=${failing}`],
      diskFullFor(failing).writeFile,
    );
    expect(stderr).not.toMatch(STACK_LINE);
    expect(code).toBe(1);
    expect(stderr).toContain(failureLine(failing, flag));
    expect(stdout).toMatch(/GFLOP\/s/);
    expect(stdout).not.toMatch(/^json /m);
  });
});

describe('writeFileAtomic on a failure', () => {
  it('throws a WriteError naming the path and the reason, leaving no temporary file', () => {
    const dir = folder('atomic');
    // A folder in place of the file: the rename over it fails, after the temporary is written.
    const path = join(dir, 'blocked');
    mkdirSync(join(path, 'inside'), { recursive: true });
    let thrown: unknown = null;
    try {
      writeFileAtomic(path, 'new');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WriteError);
    expect(thrown).toMatchObject({ path, reason: expect.stringMatching(/^E[A-Z]+: /) });
    expect(readdirSync(dir)).toEqual(['blocked']);
  });
});
