// Fuzzing the file readers with seeded random input: CSV texts (random, crafted, enormous,
// truncated), .npy and checkpoint bytes (random, truncated, bit-flipped valid files). Each call
// returns a consistent result, or throws the reader's own error (FileError, CheckpointError)
// with a message: never another exception, never a hang.
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/contract/config';
import { parseRunArgs } from '../../src/contract/config-parse';
import { parseCsv } from '../../src/data/csv';
import {
  CheckpointError,
  crc32,
  decodeCheckpoint,
  encodeCheckpoint,
  type Checkpoint,
} from '../../src/io/checkpoint';
import { FileError } from '../../src/io/file-error';
import { decodeNpy, encodeNpy } from '../../src/io/npy';
import { sampleCheckpoint } from '../support/checkpoint-sample';
import {
  HUGE,
  Random,
  SLOWEST_CASE_MS,
  expectLinearTime,
  expectValidConfig,
  resultOrUserError,
  slowestCase,
} from '../support/fuzz';

const CSV_PIECES = [
  ...['0', '1', '7', '-', '+', '.', 'e', 'E', ' ', '\t', ',', ',', ',', ';', '|'],
  ...['\n', '\n', '\r\n', '\r', 'NaN', 'nan', 'inf', '-Infinity', '1e39', '1e-50', '"', 'x'],
  ...['\u0000', '\u00a0', 'é', '\u{1F600}', '\ufeff'],
];

/** A well-formed CSV text of random numbers, and the values it holds. */
function validCsv(random: Random): { text: string; rows: number[][] } {
  const columns = 2 + random.int(5);
  const rows = Array.from({ length: 1 + random.int(20) }, () =>
    Array.from({ length: columns }, () =>
      Math.fround((random.next() / 2 ** 32 - 0.5) * 10 ** (random.int(12) - 4)),
    ),
  );
  const header = random.chance(0.5)
    ? `${Array.from({ length: columns }, (_, c) => `col${c}`).join(',')}\n`
    : '';
  const newline = random.pick(['\n', '\r\n']);
  const text = header + rows.map((row) => row.join(random.pick([',', ', ']))).join(newline);
  return { text: text + (random.chance(0.5) ? newline : ''), rows };
}

function mutateText(random: Random, text: string): string {
  switch (random.int(6)) {
    case 0:
      return text.slice(0, random.int(text.length + 1));
    case 1: {
      const at = random.int(text.length + 1);
      return text.slice(0, at) + random.text(CSV_PIECES, 1 + random.int(5)) + text.slice(at);
    }
    case 2:
      return text.replaceAll(',', random.pick([';', '\t', ' ', ',,']));
    case 3: // an enormous line: very many fields, or a very long number
      return random.chance(0.5)
        ? `${text}\n${'1,'.repeat(50_000)}1`
        : `${text}\n${'9'.repeat(30_000)}${random.pick(['', 'x', '.5.'])},1`;
    case 4: {
      const at = random.int(text.length);
      return text.slice(0, at) + random.garbage(1) + text.slice(at + 1);
    }
    default:
      return text.replace(/\d+(\.\d+)?/, random.pick(['NaN', 'Infinity', '-inf', '1e999', '']));
  }
}

describe('fuzz parseCsv', () => {
  it('reads valid files exactly, and refuses the rest with a FileError (3000 cases)', () => {
    const random = new Random(31);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const valid = validCsv(random);
      const roll = random.int(4);
      const text =
        roll === 0
          ? valid.text
          : roll === 1
            ? random.text(CSV_PIECES, random.length(2000))
            : mutateText(random, valid.text);
      const what = `case ${i}: ${JSON.stringify(text.slice(0, 300))}`;
      const csv = resultOrUserError(what, () => parseCsv(text, 'data.csv'), FileError);
      if (roll === 0) expect(csv, what).not.toBeNull();
      if (!csv) continue;
      accepted++;
      expect(csv.count, what).toBeGreaterThanOrEqual(1);
      expect(csv.p, what).toBeGreaterThanOrEqual(1);
      expect(csv.z.length, what).toBe(csv.count * csv.p);
      expect(csv.y.length, what).toBe(csv.count);
      expect([...csv.z, ...csv.y].every(Number.isFinite), what).toBe(true);
      if (roll === 0) {
        expect(Array.from(csv.y), what).toEqual(valid.rows.map((row) => row.at(-1)));
        expect(Array.from(csv.z), what).toEqual(valid.rows.flatMap((row) => row.slice(0, -1)));
      }
    }
    expect(accepted).toBeGreaterThan(750);
    expect(slowestCase()).toBeLessThan(SLOWEST_CASE_MS);
  });

  it('refuses with the file name in every message', () => {
    const random = new Random(32);
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const text = random.text(CSV_PIECES, random.length(200));
      const what = `case ${i}: ${JSON.stringify(text)}`;
      try {
        parseCsv(text, 'named.csv');
      } catch (error) {
        refused++;
        expect((error as Error).message, what).toMatch(/^named\.csv/);
      }
    }
    // Random pieces are mostly not a CSV: most cases must reach the check above.
    expect(refused).toBeGreaterThan(250);
  });
});

describe('parseCsv reads huge hostile texts in linear time', () => {
  it.each([
    ['one line of very many fields', `a,b\n${'1,'.repeat(HUGE / 2)}1`],
    ['a very long number', `z,y\n${'9'.repeat(HUGE)}x,1`],
    ['very many lines', '1,2\n'.repeat(HUGE / 4)],
    ['very many empty lines and separators', ',\r\n;\t'.repeat(HUGE / 5)],
    ['pieces at random', new Random(33).text(CSV_PIECES, HUGE)],
  ])('%s', (what, text) => {
    expectLinearTime(what, () => parseCsv(text, 'huge.csv'), FileError);
  });
});

function mutateBytes(random: Random, bytes: Uint8Array): Uint8Array {
  switch (random.int(4)) {
    case 0:
      return bytes.slice(0, random.int(bytes.length));
    case 1: {
      const out = bytes.slice();
      const flips = 1 + random.int(3);
      for (let f = 0; f < flips; f++) out[random.int(out.length)]! ^= 1 << random.int(8);
      return out;
    }
    case 2: {
      const out = bytes.slice();
      out[random.int(out.length)] = random.int(256);
      return out;
    }
    default: {
      const extra = random.bytes(1 + random.int(16));
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes);
      out.set(extra, bytes.length);
      return out;
    }
  }
}

describe('fuzz decodeNpy', () => {
  it('returns a consistent matrix, or throws a FileError (3000 cases)', () => {
    const random = new Random(41);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const rows = random.int(6);
      const cols = random.int(6);
      const data = Float32Array.from({ length: rows * cols }, () => random.next() / 2 ** 16);
      const valid = encodeNpy(data, rows, cols);
      const roll = random.int(5);
      const bytes =
        roll === 0
          ? valid
          : roll === 1
            ? random.bytes(random.length(300))
            : roll === 2
              ? withText(valid, random)
              : mutateBytes(random, valid);
      const what = `case ${i}: ${Array.from(bytes.slice(0, 120)).join(',')}`;
      const matrix = resultOrUserError(what, () => decodeNpy(bytes, 'x.npy'), FileError);
      if (roll === 0) expect(matrix, what).toEqual({ data, rows, cols });
      if (!matrix) continue;
      accepted++;
      expect(Number.isSafeInteger(matrix.rows) && Number.isSafeInteger(matrix.cols), what).toBe(
        true,
      );
      expect(matrix.data).toBeInstanceOf(Float32Array);
      expect(matrix.data.length, what).toBe(matrix.rows * matrix.cols);
    }
    expect(accepted).toBeGreaterThan(600);
    expect(slowestCase()).toBeLessThan(SLOWEST_CASE_MS);
  });
});

/** A .npy file whose header has one of its values replaced by something odd. */
function withText(valid: Uint8Array, random: Random): Uint8Array {
  const text = new TextDecoder('latin1').decode(valid);
  const replaced = text.replace(
    random.pick([/\(\d+, \d+\)/, /'<f4'/, /False/, /'shape'/]),
    random.pick([
      '(99999999999999999999, 2)',
      '(3,)',
      '()',
      '(-1, 2)',
      "'<f8'",
      "'>f4'",
      'True',
      "'shape': (2, 2), 'shape'",
      '',
    ]),
  );
  return Uint8Array.from(replaced, (c) => c.charCodeAt(0) & 0xff);
}

describe('decodeNpy reads huge hostile headers in linear time', () => {
  /** A version 2 .npy (4-byte header length) whose header is `header`, and no data. */
  const npyWithHeader = (header: string): Uint8Array => {
    const text = new TextEncoder().encode(header);
    const bytes = new Uint8Array(12 + text.length);
    bytes.set([0x93, ...new TextEncoder().encode('NUMPY'), 2, 0]);
    new DataView(bytes.buffer).setUint32(8, text.length, true);
    bytes.set(text, 12);
    return bytes;
  };
  it.each([
    [
      'a very long shape',
      `{'descr': '<f4', 'fortran_order': False, 'shape': (${'9'.repeat(HUGE)}, 2), }`,
    ],
    [
      'very many dimensions',
      `{'descr': '<f4', 'fortran_order': False, 'shape': (${'1, '.repeat(HUGE / 3)}), }`,
    ],
    [
      'a very long key',
      `{'${'d'.repeat(HUGE)}': '<f4', 'fortran_order': False, 'shape': (1, 2), }`,
    ],
    ['spaces', `{${' '.repeat(HUGE)}'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }`],
  ])('%s', (what, header) => {
    expectLinearTime(what, () => decodeNpy(npyWithHeader(header), 'huge.npy'), FileError);
  });
});

/** A random valid checkpoint: a config from random flags, random particles and history. */
function randomCheckpoint(random: Random): Checkpoint {
  let config: RunConfig;
  try {
    config = parseRunArgs([
      `--n=${1 + random.int(6)}`,
      `--steps=${random.int(1000)}`,
      `--seed=${random.next() * 2 ** 21}`,
      `--tau=${random.pick(['0.1', '1e-7', '3'])}`,
      `--dataset=${random.pick(['teacher', 'none', 'csv:é.csv', 'sine'])}`,
    ]).config;
  } catch {
    return sampleCheckpoint();
  }
  const d = 2 + random.int(4);
  const step = random.int(config.steps + 1);
  const lossHistory = [];
  for (let k = 0; k <= step; k += 1 + random.int(300)) {
    lossHistory.push({ step: k, time: k * config.tau, train: random.next(), test: null });
  }
  const particles = Float32Array.from(
    { length: config.n * d },
    () => (random.next() - 2 ** 31) * 1e-5,
  );
  return {
    config,
    step,
    n: config.n,
    d,
    particles,
    lossHistory,
    backend: random.pick(['cpu', 'webgpu'] as const),
    device: random.garbage(random.int(10)).replace(/[\ud800-\udfff]/g, '?'),
    dataCrc32: random.next(),
  };
}

describe('fuzz decodeCheckpoint', () => {
  it('round-trips valid files, and refuses any damage with a CheckpointError (3000 cases)', () => {
    const random = new Random(53);
    for (let i = 0; i < 3000; i++) {
      const checkpoint = randomCheckpoint(random);
      const valid = encodeCheckpoint(checkpoint);
      const roll = random.int(5);
      if (roll === 0) {
        expect(decodeCheckpoint(valid, 'c.ckpt'), `case ${i}`).toEqual(checkpoint);
        continue;
      }
      const bytes =
        roll === 1
          ? random.chance(0.5)
            ? random.bytes(random.length(400))
            : Uint8Array.from([...new TextEncoder().encode('MFLDCKPT'), ...random.bytes(40)])
          : mutateBytes(random, valid);
      const what = `case ${i} (roll ${roll}): ${Array.from(bytes.slice(0, 60)).join(',')}`;
      const decoded = resultOrUserError(
        what,
        () => decodeCheckpoint(bytes, 'c.ckpt'),
        CheckpointError,
      );
      // No damage goes unnoticed: truncations, changed bytes and appended bytes alike (a
      // mutation may happen to give the same bytes back: two flips of one bit).
      const same = bytes.length === valid.length && bytes.every((b, j) => b === valid[j]);
      expect(decoded === null, what).toBe(!same);
    }
    expect(slowestCase()).toBeLessThan(SLOWEST_CASE_MS);
  });

  it('with a valid checksum, still checks every field of a damaged header', () => {
    const random = new Random(54);
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      const valid = encodeCheckpoint(
        random.chance(0.5) ? sampleCheckpoint() : randomCheckpoint(random),
      );
      const bytes = mutateBytes(random, valid);
      if (bytes.length >= 20) {
        new DataView(bytes.buffer).setUint32(16, crc32(bytes.subarray(20)), true);
      }
      const what = `case ${i}: ${new TextDecoder().decode(bytes.slice(0, 400))}`;
      const decoded = resultOrUserError(
        what,
        () => decodeCheckpoint(bytes, 'c.ckpt'),
        CheckpointError,
      );
      if (!decoded) continue;
      accepted++;
      expectValidConfig(decoded.config, what);
      expect(decoded.particles.length, what).toBe(decoded.n * decoded.d);
      expect(decoded.particles.every(Number.isFinite), what).toBe(true);
      expect(decoded.step, what).toBeLessThanOrEqual(decoded.config.steps);
      const steps = decoded.lossHistory.map((entry) => entry.step);
      expect(
        steps.every((k, j) => k <= decoded.step && (j === 0 || k > steps[j - 1]!)),
        what,
      ).toBe(true);
    }
    // A flip in the particles or in a digit of the header can leave a valid file.
    expect(accepted).toBeGreaterThan(0);
    expect(slowestCase()).toBeLessThan(SLOWEST_CASE_MS);
  });
});
