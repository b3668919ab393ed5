import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/contract/config';
import { ENTROPY_SUBSAMPLE } from '../../src/contract/observables';
import {
  ConfigError,
  configToJson,
  describeFlags,
  ignoredFields,
  parseConfigObject,
  parseRunArgs,
} from '../../src/contract/config-parse';
import { BAD_VALUES } from '../support/bad-flags';
import { HUGE, SLOWEST_CASE_MS } from '../support/fuzz';
import { thrownMessage } from '../support/thrown';

const parseError = (args: string[]): string => thrownMessage(() => parseRunArgs(args), ConfigError);

describe('parseRunArgs', () => {
  it('returns the defaults without flags', () => {
    const { config, cli, given } = parseRunArgs([]);
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(cli).toEqual({
      json: null,
      saveParticles: null,
      checkpoint: null,
      checkpointEvery: null,
      resume: null,
      threads: null,
      entropySubsample: ENTROPY_SUBSAMPLE,
      help: false,
    });
    expect(given.size).toBe(0);
  });

  it('reads --flag value and --flag=value alike', () => {
    const args = [
      '--dataset=gaussians',
      '--dim',
      '7',
      '--samples=100',
      '--test-samples',
      '0',
      '--n',
      '1e3',
      '--steps=0',
      '--sigma',
      '0',
      '--tau',
      '.5',
      '--batch=full',
      '--activation',
      'relu',
      '--loss=huber',
      '--huber-delta',
      '0.25',
      '--prior-std',
      '2',
      '--init-std=0',
      '--seed',
      '9007199254740991',
      '--no-bias',
      '--backend',
      'cpu',
      '--log-every',
      '10',
      '--json',
      'out/run.json',
      '--save-particles=x.npy',
      '--entropy-subsample=500',
      '--threads',
      '3',
    ];
    const { config, cli, given } = parseRunArgs(args);
    expect(config).toEqual({
      dataset: {
        name: 'gaussians',
        dim: 7,
        samples: 100,
        testSamples: 0,
        noise: 0.05,
        separation: 0.2,
        path: null,
      },
      n: 1000,
      steps: 0,
      sigma: 0,
      sigmaFinal: null,
      tau: 0.5,
      batch: 'full',
      activation: 'relu',
      loss: 'huber',
      huberDelta: 0.25,
      priorStd: 2,
      initStd: 0,
      seed: 2 ** 53 - 1,
      bias: false,
      backend: 'cpu',
      logEvery: 10,
    });
    expect(cli).toEqual({
      json: 'out/run.json',
      saveParticles: 'x.npy',
      checkpoint: null,
      checkpointEvery: null,
      resume: null,
      threads: 3,
      entropySubsample: 500,
      help: false,
    });
    expect(given.get('bias')).toBe('--no-bias');
    expect(given.get('dataset')).toBe('--dataset');
    expect(given.has('noise')).toBe(false);
  });

  it('reads csv:PATH and makes sine 1-D', () => {
    expect(parseRunArgs(['--dataset', 'csv:data/a b.csv']).config.dataset).toMatchObject({
      name: 'csv',
      path: 'data/a b.csv',
    });
    expect(parseRunArgs(['--dataset', 'sine', '--dim', '9']).config.dataset.dim).toBe(1);
  });

  it('takes a negative number as a value, to reject it by range', () => {
    expect(parseError(['--prior-std', '-1'])).toBe('--prior-std must be a number > 0, got "-1"');
  });

  it.each(BAD_VALUES)('rejects %s %s, naming the flag and its range', (flag, value, range) => {
    const expected = `${flag} must be ${range}, got "${value}"`;
    expect(parseError([flag, value])).toBe(expected);
    expect(parseError([`${flag}=${value}`])).toBe(expected);
  });

  it('rejects unknown flags, suggesting the closest', () => {
    expect(parseError(['--prior-sd', '1'])).toBe(
      'unknown flag "--prior-sd"; did you mean --prior-std?',
    );
    expect(parseError(['--sigm=1'])).toBe('unknown flag "--sigm"; did you mean --sigma?');
    expect(parseError(['--no-bais'])).toBe('unknown flag "--no-bais"; did you mean --no-bias?');
    expect(parseError(['--frobnicate'])).toBe('unknown flag "--frobnicate"');
  });

  it('rejects positional arguments and single-dash flags', () => {
    expect(parseError(['teacher'])).toBe('unexpected argument "teacher" (flags start with --)');
    expect(parseError(['-n', '5'])).toBe('unexpected argument "-n" (flags start with --)');
  });

  it('rejects duplicates, also through --bias / --no-bias', () => {
    expect(parseError(['--n', '5', '--n=6'])).toBe('--n is given twice');
    expect(parseError(['--bias', '--no-bias'])).toBe('--no-bias is given twice (also as --bias)');
  });

  it('rejects missing values', () => {
    expect(parseError(['--n'])).toBe('--n needs a value: an integer from 1 to 67108864 (2^26)');
    expect(parseError(['--n', '--steps', '5'])).toBe(
      '--n needs a value: an integer from 1 to 67108864 (2^26)',
    );
    expect(parseError(['--tau='])).toBe('--tau needs a value: a number > 0');
    expect(parseError(['--json'])).toBe('--json needs a value: a file path');
  });

  it('rejects a value given to a switch', () => {
    expect(parseError(['--bias=yes'])).toBe('--bias takes no value, got "yes"');
  });

  it('rejects a time step at which the prior drift explodes, naming --tau and the bound', () => {
    // a = τσ²/(2s²) < 2  ⇔  τ < 4s²/σ² = 4 for σ = s = 1.
    expect(parseRunArgs(['--sigma', '1', '--tau', '3.99']).config.tau).toBe(3.99);
    const message = parseError(['--sigma', '1', '--tau', '4']);
    expect(message).toMatch(/^--tau must be < 4 for --sigma 1 and --prior-std 1 .*got 4$/);
    expect(parseError(['--sigma', '5', '--prior-std', '0.5'])).toMatch(/^--tau must be < 0.04 /);
  });

  it('rejects data sets too large for memory, naming --samples', () => {
    expect(parseError(['--dim', '4096', '--samples', '100000'])).toMatch(
      /^--samples and --test-samples /,
    );
  });

  it('reads numbers in linear time, and never as −0', () => {
    // The number pattern once split runs of digits every possible way: seconds for 30,000, so
    // minutes for HUGE, against milliseconds now (the limit is generous: see SLOWEST_CASE_MS).
    const digits = '1'.repeat(HUGE);
    const start = performance.now();
    expect(parseError(['--n', `${digits}x`])).toMatch(/^--n must be an integer/);
    expect(parseError(['--tau', `${digits}.${digits}e${digits}x`])).toMatch(/^--tau must be/);
    expect(performance.now() - start).toBeLessThan(SLOWEST_CASE_MS);
    expect(Object.is(parseRunArgs(['--steps', '-0']).config.steps, 0)).toBe(true);
    expect(Object.is(parseConfigObject({ sigma: -0 }).sigma, 0)).toBe(true);
  });

  it('reads the checkpoint flags; --checkpoint-every needs --checkpoint', () => {
    const { cli } = parseRunArgs(['--checkpoint', 'runs/a.ckpt', '--checkpoint-every=500']);
    expect(cli).toMatchObject({ checkpoint: 'runs/a.ckpt', checkpointEvery: 500, resume: null });
    expect(parseError(['--checkpoint-every', '500'])).toBe(
      '--checkpoint-every needs --checkpoint PATH (where to write)',
    );
  });

  it('with --resume: takes --steps, --log-every, --backend and output flags only', () => {
    const args = ['--resume', 'a.ckpt', '--steps', '900', '--log-every=5', '--backend', 'cpu'];
    const more = ['--json', 'r.json', '--save-particles', 'r.npy', '--threads', '2'];
    const { config, cli, given } = parseRunArgs([...args, ...more, '--checkpoint', 'a.ckpt']);
    expect(cli).toMatchObject({ resume: 'a.ckpt', checkpoint: 'a.ckpt', json: 'r.json' });
    expect(config).toMatchObject({ steps: 900, logEvery: 5, backend: 'cpu' });
    expect([...given.keys()]).toEqual(['steps', 'backend', 'logEvery']);
    const base = { ...DEFAULT_CONFIG, n: 77, tau: 0.01 };
    expect(parseRunArgs(args, base).config).toEqual({
      ...base,
      steps: 900,
      logEvery: 5,
      backend: 'cpu',
    });
  });

  it.each(['--tau=0.2', '--n=5', '--no-bias', '--dataset=none', '--seed=3'])(
    'with --resume: refuses %s, a flag of the config the checkpoint keeps',
    (flag) => {
      expect(parseError(['--resume', 'a.ckpt', flag])).toBe(
        `${flag.split('=')[0]} cannot be given with --resume a.ckpt: a resumed run keeps the ` +
          'config of its checkpoint; only --steps, --log-every, --backend and the output flags ' +
          'may be given',
      );
    },
  );

  it('stops at --help anywhere', () => {
    expect(parseRunArgs(['--n', '0', '--help']).cli.help).toBe(true);
    expect(parseRunArgs(['-h']).cli.help).toBe(true);
  });
});

describe('parseConfigObject', () => {
  it('takes field names or flag names, strings or JSON values', () => {
    const config = parseConfigObject({
      priorStd: 2,
      'init-std': '0.5',
      bias: false,
      batch: 'full',
      n: '64',
    });
    expect(config).toMatchObject({ priorStd: 2, initStd: 0.5, bias: false, batch: 'full', n: 64 });
    expect(parseConfigObject({ bias: 'false' }).bias).toBe(false);
  });

  it('names the field as given', () => {
    expect(() => parseConfigObject({ priorStd: -1 })).toThrow(
      new ConfigError('"priorStd" must be a number > 0, got -1', {
        field: 'priorStd',
        kind: 'range',
      }),
    );
    expect(() => parseConfigObject({ 'prior-std': '-1' })).toThrow(
      new ConfigError('"prior-std" must be a number > 0, got "-1"', {
        field: 'priorStd',
        kind: 'range',
      }),
    );
    expect(() => parseConfigObject({ n: 2.5 })).toThrow('"n" must be an integer');
    expect(() => parseConfigObject({ bias: 1 })).toThrow('"bias" must be true or false, got 1');
    expect(() => parseConfigObject({ priorSd: 1 })).toThrow(
      new ConfigError('unknown field "priorSd"; did you mean priorStd?', { kind: 'unknown' }),
    );
    expect(() => parseConfigObject({ priorStd: 1, 'prior-std': 1 })).toThrow(
      new ConfigError('"prior-std" is given twice (also as "priorStd")', {
        field: 'priorStd',
        kind: 'twice',
      }),
    );
    expect(() => parseConfigObject({ sigma: 1, tau: 5 })).toThrow(
      /^"tau" must be < 4 for "sigma" 1 and "priorStd" 1/,
    );
    expect(() => parseConfigObject({ sigma: 1e3 })).toThrow(/^"tau" must be < 0.000004 /);
  });

  it('refuses values and inputs of any JSON type with a message, never a TypeError', () => {
    const object = JSON.parse('{"toString": null, "a": [1]}') as unknown;
    expect(thrownMessage(() => parseConfigObject({ priorStd: object }), ConfigError)).toBe(
      '"priorStd" must be a number > 0, got {"toString":null,"a":[1]}',
    );
  });

  it.each([
    [5, '5'],
    [null, 'null'],
    [[{ n: 4 }], '[{"n":4}]'],
    ['n=4', '"n=4"'],
  ] as const)('refuses a config that is not an object: %j', (input, shown) => {
    expect(thrownMessage(() => parseConfigObject(input), ConfigError)).toBe(
      `a config must be an object of fields, got ${shown}`,
    );
  });

  it('cuts long values short in messages', () => {
    expect(parseError(['--n', 'x'.repeat(1000)])).toBe(
      `--n must be an integer from 1 to 67108864 (2^26), got "${'x'.repeat(199)}… (1002 characters)`,
    );
  });

  it('reads back the JSON form of a config', () => {
    const configs = [
      DEFAULT_CONFIG,
      parseRunArgs([
        '--dataset',
        'csv:x.csv',
        '--batch',
        'full',
        '--no-bias',
        '--seed',
        '123456789012',
      ]).config,
      parseRunArgs(['--dataset', 'none', '--loss', 'logcosh', '--activation', 'sigmoid']).config,
    ];
    for (const config of configs) {
      const json = JSON.parse(JSON.stringify(configToJson(config))) as Record<string, unknown>;
      expect(parseConfigObject(json)).toEqual(config);
    }
    expect(configToJson(configs[1]!)).toMatchObject({
      dataset: 'csv:x.csv',
      batch: 'full',
      bias: false,
    });
  });
});

describe('describeFlags', () => {
  it('documents every flag with its range and default', () => {
    const docs = describeFlags();
    const usages = docs.map((doc) => doc.usage.split(' ')[0]);
    for (const flag of [
      ...new Set(BAD_VALUES.map(([flag]) => flag)),
      '--bias',
      '--json',
      '--checkpoint',
      '--checkpoint-every',
      '--resume',
      '--help',
    ]) {
      expect(usages).toContain(flag);
    }
    const prior = docs.find((doc) => doc.usage === '--prior-std X');
    expect(prior).toMatchObject({ range: 'a number > 0', defaultValue: '1' });
    expect(docs.find((doc) => doc.usage.startsWith('--bias'))?.usage).toBe('--bias / --no-bias');
  });
});

describe('ignoredFields', () => {
  it('names what a data set does not use', () => {
    const csv = parseRunArgs(['--dataset', 'csv:x.csv']).config;
    expect([...ignoredFields(csv).keys()]).toEqual(
      expect.arrayContaining(['dim', 'samples', 'testSamples', 'noise', 'huberDelta']),
    );
    expect(ignoredFields(DEFAULT_CONFIG).has('samples')).toBe(false);
    expect(ignoredFields(parseRunArgs(['--loss', 'huber']).config).has('huberDelta')).toBe(false);
  });
});
