// Fuzzing the config parsers with seeded random input: flags and values of every shape
// (huge, negative, NaN, 1e999, empty, unicode, very long, binary garbage) and JSON objects
// of every type. Each call returns a config within the documented ranges, or throws a
// ConfigError with a message: never another exception, never a hang. The study page's URL
// parameters go through the same parser: a config, or a message per field.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/contract/config';
import {
  ConfigError,
  RESUMABLE_FIELDS,
  configToJson,
  describeFlags,
  parseConfigObject,
  parseRunArgs,
} from '../../src/contract/config-parse';
import { queryFromRaw, rawFromQuery, validate } from '../../src/page/fields';
import {
  EDGE_NUMBERS,
  HUGE,
  Random,
  SLOWEST_CASE_MS,
  expectLinearTime,
  expectValidConfig,
  resultOrUserError,
  slowestCase,
} from '../support/fuzz';

const FLAGS = describeFlags().flatMap((doc) => doc.usage.split(' / ').map((u) => u.split(' ')[0]!));
const WORDS = [
  ...['none', 'teacher', 'gaussians', 'sine', 'csv:', 'csv:data.csv', 'csv:csv:x', 'mnist'],
  ...['tanh', 'sigmoid', 'relu', 'gelu', 'square', 'huber', 'logcosh', 'l1'],
  ...['auto', 'webgpu', 'cpu', 'gpu', 'full', 'all', 'out.npy', 'x.npy.txt', '.npy', 'a.json'],
  ...['--', '-', '-h', '--help', '=', '==', 'TANH', ' tanh', 'tanh\u0000', '\u{1F600}'],
];
const FIELD_NAMES = Object.keys(configToJson(DEFAULT_CONFIG));
const KEBAB_NAMES = FIELD_NAMES.map((key) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));

function randomValue(random: Random): string {
  switch (random.int(5)) {
    case 0:
    case 1:
      return random.numberText();
    case 2:
      return random.pick(WORDS);
    case 3:
      return random.garbage(random.length(20_000));
    default:
      return random.text(
        ['a', 'é', '∞', '中', '\n', ' ', '-', '.', '1', '\u202e'],
        random.length(100),
      );
  }
}

function randomFlag(random: Random): string {
  const flag = random.pick(FLAGS);
  switch (random.int(10)) {
    case 0: // a near miss: one character changed
      return flag.slice(0, 2) + random.garbage(1) + flag.slice(3);
    case 1:
      return `--${random.text(['a', 'b', '-', 'é', 'x'], random.length(30))}`;
    case 2:
      return `--${random.garbage(random.length(10_000))}`;
    default:
      return flag;
  }
}

function randomArgs(random: Random): string[] {
  const args: string[] = [];
  const count = random.int(8);
  for (let i = 0; i < count; i++) {
    const roll = random.int(10);
    if (roll < 5) args.push(randomFlag(random), randomValue(random));
    else if (roll < 8) args.push(`${randomFlag(random)}=${randomValue(random)}`);
    else if (roll < 9) args.push(randomFlag(random));
    else args.push(randomValue(random));
  }
  return args;
}

/** JSON of any type, built from text so that keys like __proto__ stay plain keys. */
function randomJson(random: Random, depth = 0): unknown {
  switch (random.int(depth > 2 ? 5 : 7)) {
    case 0:
      return Number(
        random.pick(EDGE_NUMBERS.filter((t) => Number.isFinite(Number(t)) && t.trim() !== '')),
      );
    case 1:
      return (random.next() / 2 ** 32 - 0.5) * 10 ** (random.int(40) - 20);
    case 2:
      return randomValue(random);
    case 3:
      return random.chance(0.5);
    case 4:
      return null;
    case 5:
      return Array.from({ length: random.int(4) }, () => randomJson(random, depth + 1));
    default:
      return randomObject(random, depth + 1);
  }
}

function randomObject(random: Random, depth = 0): Record<string, unknown> {
  const entries: string[] = [];
  const count = random.int(6);
  for (let i = 0; i < count; i++) {
    const key =
      random.int(4) === 0
        ? random.pick(['__proto__', 'constructor', 'toString', '', ' n', 'N', random.garbage(5)])
        : random.pick(random.chance(0.5) ? FIELD_NAMES : KEBAB_NAMES);
    entries.push(`${JSON.stringify(key)}:${JSON.stringify(randomJson(random, depth))}`);
  }
  return JSON.parse(`{${entries.join(',')}}`) as Record<string, unknown>;
}

describe('fuzz parseRunArgs', () => {
  it('returns a valid config and options, or throws a ConfigError (4000 cases)', () => {
    const random = new Random(20261128);
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const args = randomArgs(random);
      const what = `case ${i}: ${JSON.stringify(args)}`;
      const parsed = resultOrUserError(what, () => parseRunArgs(args), ConfigError);
      if (!parsed) continue;
      accepted++;
      const { config, cli, given } = parsed;
      if (cli.help) {
        expect(config).toBe(DEFAULT_CONFIG);
        continue;
      }
      expectValidConfig(config, what);
      const path = (x: string | null) => x === null || (typeof x === 'string' && x !== '');
      expect(path(cli.json) && path(cli.checkpoint) && path(cli.resume), what).toBe(true);
      expect(cli.saveParticles === null || cli.saveParticles.endsWith('.npy'), what).toBe(true);
      expect(cli.threads === null || (cli.threads >= 1 && cli.threads <= 1024), what).toBe(true);
      if (cli.checkpointEvery !== null) expect(cli.checkpoint, what).not.toBeNull();
      for (const [key, flag] of given) {
        expect(
          args.some((arg) => arg === flag || arg.startsWith(`${flag}=`)),
          what,
        ).toBe(true);
        if (cli.resume !== null) expect(RESUMABLE_FIELDS, what).toContain(key);
      }
    }
    // The generator must reach the success path too, not only errors.
    expect(accepted).toBeGreaterThan(400);
    expect(slowestCase()).toBeLessThan(SLOWEST_CASE_MS);
  });
});

describe('fuzz parseConfigObject', () => {
  it('returns a valid config, or throws a ConfigError (4000 cases)', () => {
    const random = new Random(7);
    let base: RunConfig = DEFAULT_CONFIG;
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const input = random.chance(0.9) ? randomObject(random) : randomJson(random);
      const what = `case ${i}: ${JSON.stringify(input)}`;
      const config = resultOrUserError(what, () => parseConfigObject(input, base), ConfigError);
      if (!config) continue;
      accepted++;
      expectValidConfig(config, what);
      if (random.chance(0.3)) base = config;
    }
    expect(accepted).toBeGreaterThan(400);
    expect(slowestCase()).toBeLessThan(SLOWEST_CASE_MS);
  });
});

/** Every UTF-8 byte as %XX (encodeURIComponent throws on the lone surrogates of garbage). */
const percentEncoded = (text: string): string =>
  Array.from(
    new TextEncoder().encode(text),
    (byte) => `%${byte.toString(16).padStart(2, '0')}`,
  ).join('');

/** A URL query: field names (both spellings, near misses), values of every shape, %-escapes. */
function randomQuery(random: Random): string {
  const parts: string[] = [];
  const count = random.int(8);
  for (let i = 0; i < count; i++) {
    const name =
      random.int(5) === 0
        ? random.pick(['autorun', '', '=', '&', '%', '%zz', 'n%00', random.garbage(8)])
        : random.pick(random.chance(0.5) ? FIELD_NAMES : KEBAB_NAMES);
    const value = random.int(4) === 0 ? '%' + random.garbage(2) : randomValue(random);
    parts.push(
      random.chance(0.7) ? `${percentEncoded(name)}=${percentEncoded(value)}` : `${name}=${value}`,
    );
  }
  return (random.chance(0.5) ? '?' : '') + parts.join(random.chance(0.9) ? '&' : ';');
}

/** The page's reading of a URL query: its fields, the unknown names, a config or messages. */
function readQuery(query: string) {
  const { raw, unknown } = rawFromQuery(query);
  return { raw, unknown, ...validate(raw) };
}

describe('the config parsers read huge hostile input in linear time', () => {
  const digits = '1'.repeat(HUGE);
  const garbage = new Random(5).garbage(HUGE);
  it.each([
    ['a flag of garbage', ['--' + garbage, '1']],
    ['a near miss of a flag, very long', ['--sigmaa' + 'a'.repeat(HUGE), '1']],
    ['an integer of very many digits', ['--n', digits + 'x']],
    ['a number of very many digits', ['--tau', `${digits}.${digits}e${digits}x`]],
    ['a value of garbage', ['--dataset', garbage]],
    ['very many flags', Array.from({ length: HUGE / 10 }, (_, i) => `--seed=${i}`)],
  ])('parseRunArgs: %s', (what, args) => {
    expectLinearTime(what, () => parseRunArgs(args), ConfigError);
  });

  it.each([
    ['a key of garbage', { [garbage]: 1 }],
    ['a number of very many digits', { sigma: digits }],
    ['a string of garbage', { activation: garbage }],
  ])('parseConfigObject: %s', (what, input) => {
    expectLinearTime(what, () => parseConfigObject(input), ConfigError);
  });

  // The page never throws: a config or messages, so no error type is expected here.
  it.each([
    ['a value of very many digits', `n=${digits}`],
    ['very many bad escapes', 'n=' + '%zz'.repeat(HUGE / 3)],
    ['very many fields', 'seed=1&'.repeat(HUGE / 7)],
    ['a name of garbage', `${encodeURIComponent(garbage.replace(/[\ud800-\udfff]/g, '?'))}=1`],
  ])('the page URL: %s', (what, query) => {
    expectLinearTime(what, () => readQuery(query), Error);
  });
});

describe('fuzz the study page URL parameters', () => {
  it('give a valid config or messages naming fields, never a throw (3000 cases)', () => {
    const random = new Random(20261129);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const query = randomQuery(random);
      const what = `case ${i}: ${JSON.stringify(query.slice(0, 300))}`;
      const { raw, unknown, config, errors } = resultOrUserError(
        what,
        () => readQuery(query),
        Error,
      )!;
      for (const message of [...unknown, ...errors.values()]) {
        expect(typeof message === 'string' && message.length > 0, what).toBe(true);
      }
      if (config) {
        accepted++;
        expect(errors.size, what).toBe(0);
        expectValidConfig(config, what);
        // The page's link of an accepted config gives back the same config.
        expect(validate(rawFromQuery(queryFromRaw(raw)).raw).config, what).toEqual(config);
      } else {
        expect(errors.size, what).toBeGreaterThan(0);
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });
});
