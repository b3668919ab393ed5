// `mfld run --checkpoint / --resume` end to end on the CPU backend: a run killed mid-way
// resumes to the uninterrupted result bit for bit; damaged or mismatching checkpoints are
// refused with the file's name; a diverging run keeps its last good state.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint';
import { decodeNpy } from '../../src/io/npy';
import {
  ROOT,
  STACK_LINE,
  mainCaptured,
  mfld,
  mfldInterrupted,
  type RunJson,
} from '../support/mfld';

const scratch = mkdtempSync(join(tmpdir(), 'mfld-checkpoint-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const file = (name: string): string => join(scratch, name);
const readJson = (path: string): RunJson => JSON.parse(readFileSync(path, 'utf8')) as RunJson;
const readCheckpoint = (path: string): Checkpoint =>
  decodeCheckpoint(new Uint8Array(readFileSync(path)), path);

/** Runs mfld until `path` exists, then kills it (SIGKILL: no chance to clean up). */
function killAfterFile(args: string[], path: string): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, ['bin/mfld.mjs', ...args], { cwd: ROOT, stdio: 'ignore' });
  const poll = setInterval(() => {
    if (existsSync(path)) child.kill('SIGKILL');
  }, 5);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearInterval(poll);
      resolve(signal);
    });
  });
}

const RUN = [
  'run',
  '--backend=cpu',
  '--threads=2',
  '--n=32',
  '--dim=3',
  '--samples=64',
  '--test-samples=32',
  '--batch=8',
  '--sigma=0.3',
  '--log-every=500',
];

describe('a run killed mid-way', () => {
  it('resumes from its last checkpoint to the uninterrupted result, bit for bit', async () => {
    // Too many steps for any machine to end the run before the kill lands; the step it was
    // killed at sets how far both runs below go.
    const checkpoint = file('killed.ckpt');
    const signal = await killAfterFile(
      [...RUN, '--steps=1000000000', `--checkpoint=${checkpoint}`, '--checkpoint-every=1000'],
      checkpoint,
    );
    expect(signal).toBe('SIGKILL');
    const { step } = readCheckpoint(checkpoint);
    expect(step % 1000).toBe(0);
    expect(step).toBeGreaterThan(0);
    const steps = step + 2000;

    const whole = mfld(
      ...RUN,
      `--steps=${steps}`,
      `--json=${file('whole.json')}`,
      `--save-particles=${file('whole.npy')}`,
      `--checkpoint=${file('whole.ckpt')}`,
    );
    expect(whole.code).toBe(0);
    const resumed = mfld(
      'run',
      `--resume=${checkpoint}`,
      `--steps=${steps}`,
      `--checkpoint=${checkpoint}`,
      `--json=${file('resumed.json')}`,
      `--save-particles=${file('resumed.npy')}`,
    );
    expect(resumed.stderr).not.toMatch(STACK_LINE);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resume  ${checkpoint} at step ${step}\n`);

    expect(readFileSync(file('resumed.npy'))).toEqual(readFileSync(file('whole.npy')));
    const [a, b] = [readJson(file('whole.json')), readJson(file('resumed.json'))];
    expect(b.lossHistory).toEqual(a.lossHistory);
    expect(b.final).toEqual(a.final);
    expect(b.config).toEqual(a.config);
    expect(b.resumedFrom).toEqual({ checkpoint, step });
    expect(a.resumedFrom).toBeNull();

    // Both final checkpoints hold the end of the same run.
    const [end, resumedEnd] = [readCheckpoint(file('whole.ckpt')), readCheckpoint(checkpoint)];
    expect(end.step).toBe(steps);
    expect(resumedEnd).toEqual(end);
    const particles = decodeNpy(new Uint8Array(readFileSync(file('whole.npy'))), 'whole.npy');
    expect(end.particles).toEqual(particles.data);
    expect(end.lossHistory).toEqual(a.lossHistory);
  });
});

describe('a checkpoint that cannot be written', () => {
  const args = ['--backend=cpu', '--n=4', '--samples=8', '--log-every=10'];

  it('is refused before the run starts when its folder cannot be made (exit 1)', () => {
    const blocker = file('not-a-folder');
    writeFileSync(blocker, '');
    const checkpoint = join(blocker, 'run.ckpt');
    const { code, stdout, stderr } = mfld(
      'run',
      ...args,
      '--steps=20',
      `--checkpoint=${checkpoint}`,
    );
    expect(code).toBe(1);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stderr).toMatch(new RegExp(`^mfld: cannot write ${checkpoint} \\(--checkpoint\\): `));
    expect(stdout).not.toMatch(/^step /m);
  });

  it('is a notice while the run goes on, and an error (exit 1) at the end that loses nothing else', async () => {
    // The folder is there for the check at the start and becomes a file once the run prints
    // its config (after that check); 400 checkpoints follow, most of them into the file.
    const folder = file('goes-away');
    const checkpoint = join(folder, 'run.ckpt');
    const json = file('goes-away.json');
    mkdirSync(folder);
    const child = spawn(
      process.execPath,
      [
        'bin/mfld.mjs',
        'run',
        ...args,
        '--steps=2000',
        `--checkpoint=${checkpoint}`,
        '--checkpoint-every=5',
        `--json=${json}`,
      ],
      { cwd: ROOT },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.once('data', () => {
      rmSync(folder, { recursive: true });
      writeFileSync(folder, '');
    });
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    expect(code).toBe(1);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stderr).toMatch(/^step 2000 /m); // the run went to its end
    const failed = `mfld: cannot write ${checkpoint} (--checkpoint): `;
    const notices = stderr.split('\n').filter((line) => line.endsWith('; the run goes on'));
    expect(notices.length).toBeGreaterThan(0);
    expect(notices.every((line) => line.startsWith(failed))).toBe(true);
    const final = stderr.split('\n').filter((line) => line.startsWith(failed));
    expect(final).toHaveLength(notices.length + 1);
    expect(final.at(-1)).not.toMatch(/; the run goes on$/);
    expect(stdout).toMatch(/^final loss /m);
    expect(stdout).toContain(`json         ${json}\n`);
    const record = readJson(json);
    expect(record.status).toBe('completed');
    expect(record.outputs['--checkpoint']).toMatchObject({ path: checkpoint, status: 'failed' });
    expect(record.saved).toEqual({ step: 2000, particles: null, checkpoint: null });
  });
});

describe('Ctrl-C', () => {
  it.each([['cpu'], ['auto']])(
    'ends a --backend %s run at its next log point, writes its outputs and exits 130',
    async (backend) => {
      const checkpoint = file(`interrupted-${backend}.ckpt`);
      const json = file(`interrupted-${backend}.json`);
      const args = ['run', `--backend=${backend}`, '--n=256', '--steps=1000000', '--log-every=20'];
      const outputs = [`--checkpoint=${checkpoint}`, `--json=${json}`];
      const { code, stdout, stderr } = await mfldInterrupted([...args, ...outputs], /^step 20 /m);
      expect(stderr).not.toMatch(STACK_LINE);
      expect(code).toBe(130);
      expect(stderr).toMatch(/^mfld: interrupted: the run stops at its next log point/m);
      const record = readJson(json);
      expect(record.status).toBe('interrupted');
      const step = record.final.step;
      expect(step % 20).toBe(0);
      expect(step).toBeGreaterThanOrEqual(20);
      expect(step).toBeLessThan(1_000_000);
      expect(record.lossHistory.at(-1)!.step).toBe(step);
      expect(record.saved).toEqual({ step, particles: null, checkpoint });
      expect(readCheckpoint(checkpoint).step).toBe(step);
      expect(stdout).toContain(`status       interrupted at step ${step} of 1000000\n`);
      expect(stderr).toContain(
        `mfld: interrupted at step ${step} of 1000000: continue with mfld run --resume ${checkpoint}\n`,
      );
    },
  );

  it('quits at once on a second Ctrl-C, writing nothing', async () => {
    const json = file('quit.json');
    // A piece of 10^6 steps between log points (seconds on any machine): the second Ctrl-C,
    // 0.2 s after the first, comes within it.
    const args = ['run', '--backend=cpu', '--n=256', '--steps=100000000', '--log-every=1000000'];
    const { code, stdout } = await mfldInterrupted([...args, `--json=${json}`], /^step 0 /m, 2);
    expect(code).toBe(130);
    expect(existsSync(json)).toBe(false);
    expect(stdout).not.toMatch(/^status/m);
  });
});

describe('--resume refuses', () => {
  const checkpoint = file('small.ckpt');
  const csv = file('data.csv');
  const csvCheckpoint = file('csv.ckpt');
  beforeAll(() => {
    const small = ['--backend=cpu', '--n=8', '--samples=16', '--test-samples=8', '--steps=20'];
    expect(mfld('run', ...small, `--checkpoint=${checkpoint}`).code).toBe(0);
    writeFileSync(csv, 'z,y\n0.5,1\n-1,2\n2,0.25\n');
    const args = ['--backend=cpu', '--n=8', `--dataset=csv:${csv}`, '--steps=10'];
    expect(mfld('run', ...args, `--checkpoint=${csvCheckpoint}`).code).toBe(0);
  });

  /** mfld run --resume PATH `args` in this process: exit code and the first stderr line. */
  async function resume(path: string, ...args: string[]): Promise<[number, string]> {
    const { code, stdout, stderr } = await mainCaptured(['run', '--resume', path, ...args]);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stdout).not.toMatch(/^final loss/m);
    return [code, stderr.split('\n')[0]!];
  }

  /** A copy of the checkpoint with `edit` applied to its bytes. */
  function damaged(name: string, edit: (bytes: Uint8Array) => Uint8Array): string {
    const path = file(name);
    writeFileSync(path, edit(new Uint8Array(readFileSync(checkpoint))));
    return path;
  }

  it('flags that would change the run, naming them (exit 2)', async () => {
    expect(await resume(checkpoint, '--tau', '0.01')).toEqual([
      2,
      `mfld: --tau cannot be given with --resume ${checkpoint}: a resumed run keeps the config ` +
        'of its checkpoint; only --steps, --log-every, --backend and the output flags may be given',
    ]);
    expect(await resume(checkpoint, '--steps', '10')).toEqual([
      2,
      `mfld: --steps 10 is below step 20 of the checkpoint ${checkpoint}: --steps is the ` +
        'total, counted from step 0',
    ]);
  });

  it('a file that is missing, damaged or of another kind, naming it (exit 1)', async () => {
    const missing = file('missing.ckpt');
    const [code, message] = await resume(missing);
    expect(code).toBe(1);
    expect(message).toMatch(new RegExp(`^mfld: cannot read ${missing}: ENOENT`));

    const cut = damaged('cut.ckpt', (bytes) => bytes.subarray(0, bytes.length - 5));
    expect(await resume(cut)).toEqual([
      1,
      `mfld: ${cut}: the file is truncated: ${8 * 6 * 4 - 5} bytes of particles, 8 × 6 need 192`,
    ]);
    const flipped = damaged('flipped.ckpt', (bytes) => {
      bytes[bytes.length - 10]! ^= 4;
      return bytes;
    });
    expect(await resume(flipped)).toEqual([
      1,
      `mfld: ${flipped}: checksum mismatch: the file is corrupted`,
    ]);
    const npy = file('particles.npy');
    writeFileSync(npy, readFileSync(new URL('../support/numpy-3x2.npy', import.meta.url)));
    expect(await resume(npy)).toEqual([
      1,
      `mfld: ${npy}: not an mfld checkpoint (it does not start with "MFLDCKPT")`,
    ]);
  });

  it('a checkpoint whose data set changed since (exit 1)', async () => {
    writeFileSync(csv, 'z,y\n0.5,1\n-1,2\n2,0.5\n');
    expect(await resume(csvCheckpoint)).toEqual([
      1,
      `mfld: ${csvCheckpoint}: the file ${csv} differs from the data the checkpoint was ` +
        'trained on (checksum mismatch); resuming on other data would not continue the same run',
    ]);
  });
});

describe('a diverging run', () => {
  it('stops naming the step, and writes its last good state as checkpoint and particles', () => {
    // Square loss on labels of 30 with relu and no noise: the data term makes the output
    // weights overshoot further each step at τ = 0.3.
    const csv = file('big.csv');
    const rows = Array.from({ length: 20 }, (_, m) => `${m / 10 - 1},${(m % 3) * 30}`);
    writeFileSync(csv, `z,y\n${rows.join('\n')}\n`);
    const [checkpoint, npy, json] = [file('div.ckpt'), file('div.npy'), file('div.json')];
    const { code, stdout, stderr } = mfld(
      'run',
      '--backend=cpu',
      `--dataset=csv:${csv}`,
      '--activation=relu',
      '--sigma=0',
      '--tau=0.3',
      '--batch=full',
      '--n=8',
      '--steps=60',
      '--log-every=2',
      `--checkpoint=${checkpoint}`,
      `--save-particles=${npy}`,
      `--json=${json}`,
    );
    expect(code).toBe(1);
    expect(stderr).not.toMatch(STACK_LINE);
    const stop =
      /^mfld: the (mean second moment of the particles is \S+, above the bound 1e\+6,|loss is no longer finite|particle moments are no longer finite) at step (\d+) \(time \S+\): the dynamics diverged; try a smaller --tau \(it is 0\.3\)$/m.exec(
        stderr,
      );
    expect(stop).not.toBeNull();
    const divergedAt = Number(stop![2]);

    const record = readJson(json);
    expect(record.status).toBe('diverged');
    expect(record.final.step).toBe(divergedAt);
    const lastGood = record.lossHistory.at(-1)!.step;
    expect(lastGood).toBeGreaterThan(0);
    expect(lastGood).toBeLessThan(divergedAt);
    expect(record.saved).toEqual({ step: lastGood, particles: npy, checkpoint });
    expect(stdout).toContain(`checkpoint   ${checkpoint} (the last good state, step ${lastGood})`);

    const saved = readCheckpoint(checkpoint); // finite particles, or it would throw
    expect(saved.step).toBe(lastGood);
    expect(saved.lossHistory).toEqual(record.lossHistory);
    expect(decodeNpy(new Uint8Array(readFileSync(npy)), npy).data).toEqual(saved.particles);
  });
});
