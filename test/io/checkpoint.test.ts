// The checkpoint file format (src/io/checkpoint.ts): layout, round trip, and every way a
// damaged or inconsistent file is refused.
import { describe, expect, it } from 'vitest';
import { configToJson } from '../../src/contract/config-parse';
import type { Problem } from '../../src/contract/simulation';
import {
  CheckpointError,
  checkpointOf,
  crc32,
  decodeCheckpoint,
  encodeCheckpoint,
  problemCrc32,
} from '../../src/io/checkpoint';
import { sampleCheckpoint } from '../support/checkpoint-sample';
import { thrownMessage } from '../support/thrown';

const n = 5;
const d = 3;

const decodeError = (bytes: Uint8Array): string =>
  thrownMessage(() => decodeCheckpoint(bytes, 'run.ckpt'), CheckpointError);

const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset);
const headerLength = (bytes: Uint8Array): number => view(bytes).getUint32(12, true);

/** Stores the right CRC again, as a writer that produced a wrong file would. */
function withCrc(bytes: Uint8Array): Uint8Array {
  view(bytes).setUint32(16, crc32(bytes.subarray(20)), true);
  return bytes;
}

/** A file with `edit` applied to its header JSON, and a valid CRC. */
function withHeader(edit: (header: Record<string, unknown>) => void): Uint8Array {
  const bytes = encodeCheckpoint(sampleCheckpoint());
  const H = headerLength(bytes);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + H))) as Record<
    string,
    unknown
  >;
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = json.length + (-(20 + json.length) & 3);
  const out = new Uint8Array(20 + padded + (bytes.length - 20 - H));
  out.set(bytes.subarray(0, 20));
  out.fill(0x20, 20, 20 + padded);
  out.set(json, 20);
  out.set(bytes.subarray(20 + H), 20 + padded);
  view(out).setUint32(12, padded, true);
  return withCrc(out);
}

describe('crc32', () => {
  it('gives the IEEE check value and chains', () => {
    const text = new TextEncoder().encode('123456789');
    expect(crc32(text)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(text.subarray(4), crc32(text.subarray(0, 4)))).toBe(0xcbf43926);
  });

  it('fingerprints a data set: sizes, inputs and labels', () => {
    const problem: Problem = {
      p: 2,
      train: { z: new Float32Array([1, 2, 3, 4]), y: new Float32Array([5, 6]), count: 2 },
      test: null,
    };
    const base = problemCrc32(problem);
    expect(problemCrc32({ ...problem })).toBe(base);
    const y = new Float32Array([5, 6.000001]);
    expect(problemCrc32({ ...problem, train: { ...problem.train, y } })).not.toBe(base);
    expect(problemCrc32({ ...problem, test: { ...problem.train, count: 2 } })).not.toBe(base);
  });
});

describe('encodeCheckpoint / decodeCheckpoint', () => {
  it('round-trips every field, the particles bit for bit', () => {
    const checkpoint = sampleCheckpoint();
    const decoded = decodeCheckpoint(encodeCheckpoint(checkpoint), 'run.ckpt');
    expect(decoded).toEqual(checkpoint);
    expect(new Uint32Array(decoded.particles.buffer)).toEqual(
      new Uint32Array(checkpoint.particles.buffer),
    );
  });

  it('lays the file out as documented', () => {
    const checkpoint = sampleCheckpoint();
    const bytes = encodeCheckpoint(checkpoint);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('MFLDCKPT');
    expect(view(bytes).getUint32(8, true)).toBe(1);
    const H = headerLength(bytes);
    expect((20 + H) % 4).toBe(0);
    expect(bytes.length).toBe(20 + H + n * d * 4);
    expect(view(bytes).getUint32(16, true)).toBe(crc32(bytes.subarray(20)));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + H))) as Record<
      string,
      unknown
    >;
    expect(header).toMatchObject({
      format: 'mfld-checkpoint',
      version: 1,
      step: 40,
      seed: 2 ** 40 + 7,
      n,
      d,
      config: configToJson(checkpoint.config),
    });
    const payload = new Float32Array(bytes.slice(20 + H).buffer);
    expect(payload).toEqual(checkpoint.particles);
  });

  it('refuses to encode non-finite particles or a wrong shape', () => {
    const particles = sampleCheckpoint().particles.slice();
    particles[4] = NaN;
    expect(() => encodeCheckpoint(sampleCheckpoint({ particles }))).toThrow(RangeError);
    expect(() => encodeCheckpoint(sampleCheckpoint({ d: 4 }))).toThrow(RangeError);
  });
});

describe('decodeCheckpoint refuses', () => {
  const good = encodeCheckpoint(sampleCheckpoint());

  it('another kind of file', () => {
    expect(decodeError(new Uint8Array(0))).toBe(
      'run.ckpt: not an mfld checkpoint (it does not start with "MFLDCKPT")',
    );
    expect(decodeError(new TextEncoder().encode('{"format": "mfld-checkpoint"}'))).toMatch(
      /not an mfld checkpoint/,
    );
  });

  it('a truncated file, wherever it ends', () => {
    const H = headerLength(good);
    expect(decodeError(good.subarray(0, 12))).toMatch(/truncated \(it ends inside the prefix\)/);
    expect(decodeError(good.subarray(0, 20 + H - 1))).toMatch(
      /truncated or corrupted: it has \d+ bytes, its header would end at byte \d+$/,
    );
    expect(decodeError(good.subarray(0, good.length - 1))).toBe(
      `run.ckpt: the file is truncated: ${n * d * 4 - 1} bytes of particles, 5 × 3 need 60`,
    );
  });

  it.each([8, 13, 20, 40, good.length - 1])('a bit flipped in byte %i', (at) => {
    const bytes = good.slice();
    bytes[at]! ^= 0x10;
    const message = decodeError(bytes);
    expect(message).toMatch(/^run\.ckpt: (checksum mismatch|.*version 17|.*truncated or corr)/);
  });

  it('any flipped bit, by its checksum', () => {
    const flipped = good.slice();
    flipped[good.length - 3]! ^= 1;
    expect(decodeError(flipped)).toBe('run.ckpt: checksum mismatch: the file is corrupted');
  });

  it('a header that is not JSON, or not a checkpoint header', () => {
    const bytes = good.slice();
    bytes[20] = 0x5b; // '[' instead of '{'
    expect(decodeError(withCrc(bytes))).toBe('run.ckpt: the header is not a JSON object');
    expect(decodeError(withHeader((h) => (h['format'] = 'other')))).toMatch(
      /header names format "other" version 1/,
    );
  });

  it('a config out of range or incomplete', () => {
    expect(
      decodeError(withHeader((h) => ((h['config'] as Record<string, unknown>)['tau'] = -1))),
    ).toBe('run.ckpt: config: "tau" must be a number > 0, got -1');
    expect(
      decodeError(withHeader((h) => delete (h['config'] as Record<string, unknown>)['n'])),
    ).toBe('run.ckpt: the config lacks n');
  });

  it('fields that disagree: seed, n, step, shape', () => {
    expect(decodeError(withHeader((h) => (h['seed'] = 3)))).toMatch(/seed 3 differs/);
    expect(decodeError(withHeader((h) => (h['n'] = 6)))).toMatch(/n 6 differs/);
    expect(decodeError(withHeader((h) => (h['step'] = 101)))).toMatch(/step 101 is not/);
    expect(decodeError(withHeader((h) => (h['step'] = 1.5)))).toMatch(/step 1.5 is not/);
    expect(decodeError(withHeader((h) => (h['d'] = 4)))).toBe(
      'run.ckpt: 5 × 4 particles need 80 bytes, the file has 60',
    );
    expect(decodeError(withHeader((h) => (h['backend'] = 'tpu')))).toMatch(/unknown backend/);
  });

  it('a loss history out of order or not finite', () => {
    const edit = (entries: unknown) => withHeader((h) => (h['lossHistory'] = entries));
    expect(decodeError(edit({}))).toMatch(/no lossHistory array/);
    expect(
      decodeError(
        edit([
          { step: 20, time: 2, train: 1, test: null },
          { step: 20, time: 2, train: 1, test: null },
        ]),
      ),
    ).toMatch(/lossHistory\[1\]: step 20 is not an integer after 20/);
    expect(decodeError(edit([{ step: 50, time: 5, train: 1, test: null }]))).toMatch(/up to 40/);
    expect(decodeError(edit([{ step: 0, time: 0, train: null, test: null }]))).toMatch(
      /lossHistory\[0\]: time, train and test must be finite/,
    );
  });

  it('particles that are not finite', () => {
    const bytes = good.slice();
    view(bytes).setFloat32(20 + headerLength(bytes) + 4 * 7, Infinity, true);
    expect(decodeError(withCrc(bytes))).toBe('run.ckpt: particle 2, coordinate 1 is Infinity');
  });
});

describe('checkpointOf', () => {
  it('makes the checkpoint of a checked state, keeping only the loss fields of its rows', () => {
    const sample = sampleCheckpoint();
    // The free energy is a loss field (the CLI's checkpoints keep it); a page's other columns are not.
    const rows = sample.lossHistory.map((entry) => ({
      ...entry,
      freeEnergy: 1.5,
      energyGap: 0.25,
    }));
    const made = checkpointOf(
      sample.config,
      { step: sample.step, particles: sample.particles, lossHistory: rows },
      sample,
      sample.dataCrc32,
    );
    const withEnergy = {
      ...sample,
      lossHistory: sample.lossHistory.map((entry) => ({ ...entry, freeEnergy: 1.5 })),
    };
    expect(made).toEqual(withEnergy);
    expect(decodeCheckpoint(encodeCheckpoint(made), 'made.ckpt')).toEqual(withEnergy);
  });
});
