import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FileError } from '../../src/io/file-error';
import { decodeNpy, encodeNpy } from '../../src/io/npy';
import { thrownMessage } from '../support/thrown';

const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../support/${name}`, import.meta.url)));

const VALUES = new Float32Array([-1, -0.5, 0, 0.5, 1, 1.5]);

/**
 * The bytes numpy's np.save writes for float32 [[-1, -0.5], [0, 0.5], [1, 1.5]], spelled out
 * from the format: magic, version 1.0, header length 118 (uint16 LE), the dict with sorted
 * keys, 21 − 1 spare spaces for the first axis to grow, padding to a 64-byte boundary, '\n'.
 */
function numpyBytesByHand(): Uint8Array {
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"; // 59 characters
  const header = dict + ' '.repeat(20) + ' '.repeat(38) + '\n'; // 10 + 118 = 128 bytes
  const prefix = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 118, 0x00];
  const data = [
    [0x00, 0x00, 0x80, 0xbf], // -1
    [0x00, 0x00, 0x00, 0xbf], // -0.5
    [0x00, 0x00, 0x00, 0x00], // 0
    [0x00, 0x00, 0x00, 0x3f], // 0.5
    [0x00, 0x00, 0x80, 0x3f], // 1
    [0x00, 0x00, 0xc0, 0x3f], // 1.5
  ].flat();
  return new Uint8Array([...prefix, ...[...header].map((c) => c.charCodeAt(0)), ...data]);
}

/** A .npy v1.0 file with `header` (padded as numpy does) and `dataBytes` zero bytes. */
function npyWithHeader(header: string, dataBytes: number): Uint8Array {
  const padded = header.padEnd(118, ' ') + '\n';
  const bytes = new Uint8Array(10 + padded.length + dataBytes);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length, 0]);
  bytes.set(
    [...padded].map((c) => c.charCodeAt(0)),
    10,
  );
  return bytes;
}

const decodeError = (bytes: Uint8Array): string =>
  thrownMessage(() => decodeNpy(bytes, 'p.npy'), FileError);

describe('encodeNpy', () => {
  it('writes the bytes the npy format spells out', () => {
    expect(encodeNpy(VALUES, 3, 2)).toEqual(numpyBytesByHand());
  });

  it('writes what numpy wrote (np.save, numpy 2.4)', () => {
    expect(encodeNpy(VALUES, 3, 2)).toEqual(fixture('numpy-3x2.npy'));
  });

  it.each([
    [1, 1],
    [4096, 6],
    [123456789, 0],
    [7, 123456],
  ])('aligns the data at 64 bytes whatever the shape: %i × %i', (rows, cols) => {
    const bytes = encodeNpy(new Float32Array(rows * cols), rows, cols);
    const headerLength = bytes[8]! + 256 * bytes[9]!;
    expect((10 + headerLength) % 64).toBe(0);
    expect(bytes[10 + headerLength - 1]).toBe(0x0a);
    expect(decodeNpy(bytes, 'x.npy')).toMatchObject({ rows, cols });
  });

  it('refuses data that does not fill the shape', () => {
    expect(() => encodeNpy(VALUES, 2, 2)).toThrow(RangeError);
  });
});

describe('decodeNpy', () => {
  it('round-trips', () => {
    const data = new Float32Array(5 * 7).map((_, i) => Math.fround(Math.sin(i) * 1e3));
    data[3] = NaN;
    data[4] = -Infinity;
    const back = decodeNpy(encodeNpy(data, 5, 7), 'x.npy');
    expect(back.rows).toBe(5);
    expect(back.cols).toBe(7);
    expect(back.data).toEqual(data);
  });

  it.each(['numpy-3x2.npy', 'numpy-3x2-v2.npy'])(
    'reads numpy files of versions 1.0 and 2.0: %s',
    (name) => {
      const { data, rows, cols } = decodeNpy(fixture(name), name);
      expect([rows, cols]).toEqual([3, 2]);
      expect(data).toEqual(VALUES);
    },
  );

  it('reads data at any byte offset of its buffer', () => {
    const bytes = encodeNpy(VALUES, 3, 2);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeNpy(shifted.subarray(1), 'x.npy').data).toEqual(VALUES);
  });

  it('reads headers spaced differently', () => {
    const bytes = npyWithHeader("{'shape':(2,1),'fortran_order':False,'descr':'<f4'}", 8);
    expect(decodeNpy(bytes, 'x.npy')).toMatchObject({ rows: 2, cols: 1 });
  });

  it('rejects files that are not .npy', () => {
    expect(decodeError(new TextEncoder().encode('a,b\n1,2\n'))).toBe(
      'p.npy: not a NumPy .npy file (it does not start with "\\x93NUMPY")',
    );
    expect(decodeError(new Uint8Array(0))).toMatch(/not a NumPy .npy file/);
  });

  it('rejects unknown versions', () => {
    const bytes = encodeNpy(VALUES, 3, 2);
    bytes[6] = 4;
    expect(decodeError(bytes)).toBe(
      'p.npy: .npy format version 4.0 is not supported (1.0, 2.0 and 3.0 are)',
    );
  });

  it('rejects a truncated header', () => {
    expect(decodeError(encodeNpy(VALUES, 3, 2).subarray(0, 50))).toBe(
      'p.npy: the file ends inside the .npy header',
    );
  });

  it('rejects malformed headers', () => {
    expect(decodeError(npyWithHeader("{'descr': '<f4', 'shape': (2, 1), }", 8))).toMatch(
      /malformed .npy header/,
    );
    expect(decodeError(npyWithHeader('shape (2, 1)', 8))).toMatch(/malformed .npy header/);
  });

  it.each(['>f4', '<f8', '<i4', '|u1'])('rejects other dtypes, naming them: %s', (descr) => {
    const bytes = npyWithHeader(
      `{'descr': '${descr}', 'fortran_order': False, 'shape': (2, 1), }`,
      8,
    );
    expect(decodeError(bytes)).toBe(
      `p.npy: dtype '${descr}' is not supported: particle files hold float32 little-endian ('<f4')`,
    );
  });

  it('rejects Fortran order', () => {
    const bytes = npyWithHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }", 8);
    expect(decodeError(bytes)).toBe(
      'p.npy: Fortran-order arrays are not supported: save in C order',
    );
  });

  it.each(['(6,)', '()', '(1, 2, 3)', '(-1, 2)'])(
    'rejects shapes that are not matrices: %s',
    (shape) => {
      const bytes = npyWithHeader(
        `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`,
        24,
      );
      expect(decodeError(bytes)).toMatch(/is not a matrix \[n, d\]$/);
    },
  );

  it('rejects a data length that does not match the shape', () => {
    const bytes = encodeNpy(VALUES, 3, 2);
    expect(decodeError(bytes.subarray(0, bytes.length - 4))).toBe(
      'p.npy: shape (3, 2) needs 24 data bytes, the file has 20 (truncated?)',
    );
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expect(decodeError(longer)).toBe('p.npy: shape (3, 2) needs 24 data bytes, the file has 28');
  });
});
