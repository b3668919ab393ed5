// The `mfld` command end to end, as a child process (bin/mfld.mjs), on the CPU backend with
// tiny sizes; the many usage errors run in-process through main().
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/contract/config';
import { exactNoDataVariance } from '../../src/contract/model';
import { ProgressReporter } from '../../src/cli/output';
import { decodeNpy } from '../../src/io/npy';
import { BAD_VALUES } from '../support/bad-flags';
import { STACK_LINE, mainCaptured, mfld, mfldWithEnv, type RunJson } from '../support/mfld';

const scratch = mkdtempSync(join(tmpdir(), 'mfld-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const TINY = ['--backend', 'cpu', '--threads', '2', '--samples', '64', '--test-samples', '32'];

describe('mfld run', () => {
  it('writes the JSON record and the particles, and prints a summary', () => {
    const json = join(scratch, 'new', 'folder', 'run.json');
    const npy = join(scratch, 'particles.npy');
    const args = ['--n', '48', '--steps', '25', '--log-every', '10', '--dim', '3'];
    const { code, stdout, stderr } = mfld(
      'run',
      ...TINY,
      ...args,
      '--json',
      json,
      '--save-particles',
      npy,
    );
    expect(stderr).not.toMatch(STACK_LINE);
    expect(code).toBe(0);

    const record = JSON.parse(readFileSync(json, 'utf8')) as RunJson;
    expect(Object.keys(record).sort()).toEqual(
      [
        'version',
        'status',
        'config',
        'backend',
        'adapter',
        'data',
        'final',
        'freeEnergy',
        'lossHistory',
        'throughput',
        'wallSeconds',
        'resumedFrom',
        'saved',
        'outputs',
      ].sort(),
    );
    expect(record.status).toBe('completed');
    expect(record.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(record.backend).toBe('cpu');
    expect(record.adapter).not.toBe('');
    expect(record.config).toMatchObject({
      dataset: 'teacher',
      n: 48,
      steps: 25,
      dim: 3,
      backend: 'cpu',
    });
    expect(record.data).toEqual({ p: 4, d: 5, train: 64, test: 32 });
    const d = 5;
    expect(record.final.step).toBe(25);
    expect(record.final.mean).toHaveLength(d);
    expect(record.final.var).toHaveLength(d);
    expect([...record.final.mean, ...record.final.var].every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(record.final.loss.train)).toBe(true);
    expect(Number.isFinite(record.final.loss.test)).toBe(true);
    expect(record.lossHistory.map((entry) => entry.step)).toEqual([0, 10, 20, 25]);
    for (const entry of record.lossHistory) {
      expect(entry.time).toBeCloseTo(entry.step * DEFAULT_CONFIG.tau, 12);
      expect(Number.isFinite(entry.train) && Number.isFinite(entry.test)).toBe(true);
      expect(Number.isFinite(entry.freeEnergy)).toBe(true);
    }
    expect(record.lossHistory.at(-1)).toMatchObject(record.final.loss);
    expect(record.final.freeEnergy).toBe(record.lossHistory.at(-1)!.freeEnergy);
    expect(record.freeEnergy.subsample).toBe(48);
    expect(record.throughput.particleStepsPerSecond).toBeGreaterThan(0);
    expect(record.throughput.seconds).toBeGreaterThan(0);
    expect(record.resumedFrom).toBeNull();
    expect(record.saved).toEqual({ step: 25, particles: npy, checkpoint: null });
    expect(record.outputs).toEqual({ '--save-particles': { path: npy, status: 'saved' } });
    expect(readdirSync(join(scratch, 'new', 'folder'))).toEqual(['run.json']);

    const particles = decodeNpy(new Uint8Array(readFileSync(npy)), npy);
    expect([particles.rows, particles.cols]).toEqual([48, d]);
    for (let t = 0; t < d; t++) {
      let sum = 0;
      for (let i = 0; i < 48; i++) sum += particles.data[i * d + t]!;
      expect(sum / 48).toBeCloseTo(record.final.mean[t]!, 4);
    }

    expect(stdout).toMatch(/^config +dataset=teacher /m);
    expect(stdout).toMatch(/^final loss +train \S+ +test \S+/m);
    expect(stdout).toMatch(/^loss drop +×\S+/m);
    expect(stdout).toMatch(/^throughput +\S+ particle-steps\/s/m);
    expect(stdout).toMatch(/^backend +cpu: \S/m);
    // Not a terminal: one progress line per loss entry, on stderr.
    expect(stderr.split('\n').filter((line) => line.startsWith('step '))).toHaveLength(4);
  });

  it('--dataset none follows the exact variance of the F = 0 chain', () => {
    // a = τσ²/(2s²) = 0.05; after k steps each coordinate has variance v + (1 − a)^{2k}(s0² − v).
    const [n, steps, sigma, tau, priorStd, initStd] = [20000, 30, 1, 0.1, 1, 0.5];
    const json = join(scratch, 'none.json');
    const { code, stderr } = mfld(
      'run',
      '--backend=cpu',
      '--dataset=none',
      '--dim=3',
      `--n=${n}`,
      `--steps=${steps}`,
      `--sigma=${sigma}`,
      `--tau=${tau}`,
      `--prior-std=${priorStd}`,
      `--init-std=${initStd}`,
      '--seed=11',
      `--json=${json}`,
    );
    expect(stderr).not.toMatch(STACK_LINE);
    expect(code).toBe(0);
    const record = JSON.parse(readFileSync(json, 'utf8')) as RunJson;
    const exact = exactNoDataVariance(sigma, tau, priorStd, initStd, steps);
    expect(exact).toBeGreaterThan(0.8); // far from s0² = 0.25: the chain has moved
    expect(record.final.var).toHaveLength(5);
    // Five standard errors of a Gaussian sample variance (√(2/n)·v) and mean (√(v/n)).
    for (const variance of record.final.var) {
      expect(Math.abs(variance - exact)).toBeLessThan(5 * exact * Math.sqrt(2 / n));
    }
    for (const mean of record.final.mean) {
      expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(exact / n));
    }
    expect(record.final.loss).toEqual({ train: 0, test: null });
    // V = (σ²/2) KL(N(0, v I) ‖ N(0, s² I)) = (σ²/4) d (v/s² − 1 − log(v/s²)), nearly 0 here;
    // the entropy from 1000 particles in d = 5 is off by 0.06 ± 0.07 nats (docs/free-energy.md).
    const ratio = exact / priorStd ** 2;
    const exactV = ((sigma * sigma) / 4) * 5 * (ratio - 1 - Math.log(ratio));
    expect(record.freeEnergy.subsample).toBe(1000);
    expect(Math.abs(record.final.freeEnergy! - exactV)).toBeLessThan(0.15);
  });

  it('reports a diverged run, still writing the JSON and the last good particles', () => {
    const csv = join(scratch, 'huge.csv');
    const rows = Array.from(
      { length: 20 },
      (_, m) => `${(m - 10) * 300},${m * 500},${(m % 3) * 1000}`,
    );
    writeFileSync(csv, `z1,z2,y\n${rows.join('\n')}\n`);
    const json = join(scratch, 'diverged.json');
    const npy = join(scratch, 'diverged.npy');
    const args = [
      '--activation',
      'relu',
      '--tau',
      '1',
      '--sigma',
      '0',
      '--n',
      '8',
      '--steps',
      '40',
    ];
    const { code, stdout, stderr } = mfld(
      'run',
      '--backend=cpu',
      `--dataset=csv:${csv}`,
      ...args,
      '--log-every=5',
      `--json=${json}`,
      `--save-particles=${npy}`,
    );
    expect(code).toBe(1);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stderr).toMatch(
      /^mfld: the loss is no longer finite at step \d+ .*try a smaller --tau/m,
    );
    const record = JSON.parse(readFileSync(json, 'utf8')) as RunJson;
    expect(record.status).toBe('diverged');
    expect(record.lossHistory.length).toBeGreaterThan(0);
    expect(record.lossHistory.every((entry) => Number.isFinite(entry.train))).toBe(true);
    expect(record.final.step).toBeGreaterThan(record.lossHistory.at(-1)!.step);
    expect(record.saved).toEqual({
      step: record.lossHistory.at(-1)!.step,
      particles: npy,
      checkpoint: null,
    });
    const particles = decodeNpy(new Uint8Array(readFileSync(npy)), npy);
    expect(particles.data.every(Number.isFinite)).toBe(true);
    expect(stdout).toMatch(/^status +diverged at step/m);
    expect(stdout).toMatch(/^particles +\S+ \(the last good state, step 0\)$/m);
  });

  it('notes flags that the data set ignores', () => {
    const { code, stderr } = mfld(
      'run',
      '--backend',
      'cpu',
      '--dataset',
      'none',
      '--samples',
      '10',
      '--n',
      '4',
      '--steps',
      '1',
    );
    expect(code).toBe(0);
    expect(stderr).toContain('mfld: --samples is ignored: there is no data (dataset none)');
  });
});

describe('backend choice without an adapter', () => {
  // The mark says a probe of this environment found no adapter, on any machine.
  const noAdapter = { MFLD_WEBGPU_ENV_RESOLVED: 'none' };

  it('--backend webgpu: exit 1, saying how to fix it', () => {
    const { code, stdout, stderr } = mfldWithEnv(noAdapter, ['run', '--backend=webgpu', '--n=4']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^mfld: no WebGPU adapter found: .*Install Chrome or Chromium.* or use --backend cpu\.\n$/,
    );
    expect(stdout).not.toMatch(/^final loss/m);
  });

  it('--backend auto: the CPU, saying why', () => {
    const { code, stdout } = mfldWithEnv(noAdapter, ['run', '--n=4', '--steps=2', '--samples=8']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^backend cpu: auto chose the CPU reference: no WebGPU adapter here$/m);
    expect(stdout).toMatch(/^backend +cpu: /m);
  });
});

describe('backend choice with SwiftShader', () => {
  // The mark says a probe found SwiftShader, as on a machine with Chromium and no GPU (this
  // one): what `npm start` (mfld run, --backend auto) meets there.
  const swiftShader = { MFLD_WEBGPU_ENV_RESOLVED: 'swiftshader' };

  it('--backend auto runs the CPU reference, which is faster there, and says so', () => {
    const { code, stdout } = mfldWithEnv(swiftShader, ['run', ...TINY.slice(2), '--steps=2']);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^backend cpu: auto chose the CPU reference: the WebGPU adapter \(SwiftShader .*\) renders in software .*; --backend webgpu forces the GPU$/m,
    );
    expect(stdout).toMatch(/^backend +cpu: CPU/m);
  });

  it('mfld sweep with --backend auto says the same', () => {
    const { code, stdout } = mfldWithEnv(swiftShader, [
      'sweep',
      ...TINY.slice(2),
      '--steps=2',
      '--over=n',
      '--values=4',
      '--seeds=1',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'backend  cpu: auto chose the CPU reference: the WebGPU adapter (SwiftShader',
    );
  });
});

describe('ProgressReporter', () => {
  const entry = { step: 50, time: 2.5, train: 0.125, test: 0.25 };
  const progress = { stepsDone: 50, stepsTotal: 200, seconds: 2 };
  const fakeStream = (isTTY: boolean): NodeJS.WriteStream & { text: string } => {
    const stream = {
      isTTY,
      text: '',
      write(chunk: string) {
        stream.text += chunk;
        return true;
      },
    };
    return stream as unknown as NodeJS.WriteStream & { text: string };
  };

  it('on a terminal: one updating line with a bar, loss, rate and ETA', () => {
    const stream = fakeStream(true);
    const reporter = new ProgressReporter(1000, stream);
    reporter.report(entry, progress);
    reporter.report({ ...entry, step: 100 }, { ...progress, stepsDone: 100 });
    reporter.finish();
    expect(stream.text).toBe(
      '\r\x1b[2K[######------------------]  50/200  loss 0.125 (test 0.25)  25000 particle-steps/s  ETA 6 s' +
        '\r\x1b[2K[############------------]  100/200  loss 0.125 (test 0.25)  50000 particle-steps/s  ETA 2 s\n',
    );
  });

  it('elsewhere: a line per entry', () => {
    const stream = fakeStream(false);
    const reporter = new ProgressReporter(1000, stream);
    reporter.report(entry, progress);
    reporter.finish();
    expect(stream.text).toBe(
      'step 50 (50/200)  time 2.5  loss 0.125 (test 0.25)  25000 particle-steps/s\n',
    );
  });
});

describe('mfld errors', () => {
  it.each(BAD_VALUES)(
    '%s %s: exit 2, the flag and its range, no stack trace',
    async (flag, value, range) => {
      const { code, stdout, stderr } = await mainCaptured(['run', flag, value]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.split('\n')[0]).toBe(`mfld: ${flag} must be ${range}, got "${value}"`);
      expect(stderr).not.toMatch(STACK_LINE);
    },
  );

  it.each([
    [['run', '--n-particles', '5'], 'mfld: unknown flag "--n-particles"'],
    [['run', '--steps'], 'mfld: --steps needs a value: an integer from 0 to 10^9'],
    [['run', '--seed', '1', '--seed=2'], 'mfld: --seed is given twice'],
    [['run', '--sigma', '10'], 'mfld: --tau must be < 0.04 for --sigma 10 and --prior-std 1'],
    [
      ['train'],
      'mfld: unknown command "train"; the commands are run, bench, sweep, stationary and help',
    ],
  ])('%j: exit 2', async (args, message) => {
    const { code, stderr } = await mainCaptured(args);
    expect(code).toBe(2);
    expect(stderr.startsWith(message)).toBe(true);
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('as a child process: exit 2 and one message for a bad flag', () => {
    const { code, stdout, stderr } = mfld('run', '--prior-std', '-1');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'mfld: --prior-std must be a number > 0, got "-1"\n(mfld help lists the commands and flags)\n',
    );
  });

  it('a missing CSV file: exit 1, naming the file', () => {
    const missing = join(scratch, 'missing.csv');
    const { code, stderr } = mfld('run', '--backend', 'cpu', `--dataset=csv:${missing}`);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^mfld: cannot read ${missing}: ENOENT`));
    expect(stderr).not.toMatch(STACK_LINE);
  });

  const blocker = join(scratch, 'a-file');
  it.each([
    ['--json', scratch, 'it is a folder'],
    [
      '--save-particles',
      join(blocker, 'particles.npy'),
      `EEXIST: file already exists, mkdir '${blocker}'`,
    ],
    ['--checkpoint', join(blocker, 'run.ckpt'), 'EEXIST'],
  ])(
    'an output path that cannot be written (%s): exit 1 before the run, naming path and flag',
    async (flag, path, reason) => {
      writeFileSync(blocker, '');
      const { code, stdout, stderr } = await mainCaptured(['run', ...TINY, flag, path]);
      expect(code).toBe(1);
      expect(stderr).toMatch(new RegExp(`^mfld: cannot write ${path} \\(${flag}\\): ${reason}`));
      expect(stderr).not.toMatch(STACK_LINE);
      expect(stdout).toBe('');
    },
  );

  it('particles past the CPU reference memory: exit 1, naming n, d and the largest n', async () => {
    const args = ['run', '--backend', 'cpu', '--n', String(2 ** 26), '--dim', '4096'];
    const { code, stderr } = await mainCaptured(args);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^mfld: n = 67108864 particles of d = 4098 need 1100048498688 bytes; the CPU reference [^\n]*the largest n that fits is \d+\n$/,
    );
  });

  it('a malformed CSV file: exit 1, naming file, line and column', async () => {
    const csv = join(scratch, 'bad.csv');
    writeFileSync(csv, 'x,y\n1,2\n3,oops\n');
    const { code, stderr } = await mainCaptured([
      'run',
      '--backend',
      'cpu',
      `--dataset=csv:${csv}`,
    ]);
    expect(code).toBe(1);
    expect(stderr).toBe(`mfld: ${csv}:3: column 2: "oops" is not a number\n`);
  });
});

describe('mfld help', () => {
  it('lists every flag with its default and range', () => {
    const { code, stdout } = mfld('help');
    expect(code).toBe(0);
    for (const [flag] of BAD_VALUES) expect(stdout).toContain(`  ${flag} `);
    expect(stdout).toContain('--bias / --no-bias');
    expect(stdout).toMatch(/--prior-std X\n.*a number > 0; default 1\n/);
  });

  it('answers --help too, before any validation', async () => {
    const help = await mainCaptured(['--help']);
    const runHelp = await mainCaptured(['run', '--n', '0', '--help']);
    expect(help.code).toBe(0);
    expect(runHelp.code).toBe(0);
    expect(runHelp.stdout).toBe(help.stdout);
  });

  it('without a command: usage on stderr, exit 2', async () => {
    const { code, stdout, stderr } = await mainCaptured([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('mfld run [flags]');
  });
});
