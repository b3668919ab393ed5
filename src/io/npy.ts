// Particle files (SPEC §5): NumPy .npy, float32 little-endian ('<f4'), C order, shape [n, d].
// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
// The writer produces the bytes numpy's own np.save writes for such an array (version 1.0,
// header padded with spaces to a multiple of 64 bytes, with numpy's spare room for the
// first axis to grow), so files diff clean against numpy's. Pure: no file system access.
import { FileError } from './file-error';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** numpy aligns the start of the data to this many bytes. */
const ARRAY_ALIGN = 64;
/** numpy leaves room in the header for the grown first axis to have this many digits. */
const GROWTH_AXIS_MAX_DIGITS = 21;
const FLOAT32_DESCR = '<f4';

export interface NpyMatrix {
  /** Row-major, `rows × cols`. */
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The .npy bytes of a `rows × cols` float32 matrix stored row-major in `data`. */
export function encodeNpy(data: Float32Array, rows: number, cols: number): Uint8Array {
  if (data.length !== rows * cols) {
    throw new RangeError(`encodeNpy: ${data.length} values do not fill a ${rows} × ${cols} matrix`);
  }
  // numpy: the dict with sorted keys and repr() values, spare spaces, then pad + '\n'.
  let header = `{'descr': '${FLOAT32_DESCR}', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(rows).length));
  const prefixLength = MAGIC.length + 2 + 2; // magic, version, uint16 header length
  const unpadded = header.length + 1; // + '\n'
  // Like numpy, a header that already ends on the alignment still gets a full block of padding.
  const padding = ARRAY_ALIGN - ((prefixLength + unpadded) % ARRAY_ALIGN);
  header += ' '.repeat(padding) + '\n';

  const bytes = new Uint8Array(prefixLength + header.length + data.length * 4);
  bytes.set(MAGIC, 0);
  bytes[6] = 1; // version 1.0
  bytes[7] = 0;
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[prefixLength + i] = header.charCodeAt(i);
  const body = new DataView(bytes.buffer, prefixLength + header.length);
  if (HOST_LITTLE_ENDIAN) {
    bytes.set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      prefixLength + header.length,
    );
  } else {
    for (let i = 0; i < data.length; i++) body.setFloat32(4 * i, data[i]!, true);
  }
  return bytes;
}

/**
 * Reads a .npy file holding a 2-D float32 little-endian C-order array. `source` (the file
 * name) starts every error message.
 */
export function decodeNpy(bytes: Uint8Array, source: string): NpyMatrix {
  function fail(why: string): never {
    throw new FileError(`${source}: ${why}`);
  }
  if (bytes.length < MAGIC.length + 2 || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail('not a NumPy .npy file (it does not start with "\\x93NUMPY")');
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  // Versions 2.0 and 3.0 differ from 1.0 only in a 4-byte header length (and 3.0's UTF-8).
  if (![1, 2, 3].includes(major) || minor !== 0) {
    fail(`.npy format version ${major}.${minor} is not supported (1.0, 2.0 and 3.0 are)`);
  }
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthBytes;
  if (bytes.length < headerStart) fail('the file ends inside the .npy header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) fail('the file ends inside the .npy header');
  const header = new TextDecoder().decode(bytes.subarray(headerStart, dataStart)).trim();
  if (!header.startsWith('{') || !header.endsWith('}')) {
    fail(`malformed .npy header ${JSON.stringify(header)}`);
  }

  const descr = matchHeaderKey(header, 'descr', /^'([^']*)'/);
  const fortranOrder = matchHeaderKey(header, 'fortran_order', /^(True|False)\b/);
  const shapeText = matchHeaderKey(header, 'shape', /^\(([^)]*)\)/);
  if (descr === null || fortranOrder === null || shapeText === null) {
    fail(`malformed .npy header ${JSON.stringify(header)}`);
  }
  if (descr !== FLOAT32_DESCR) {
    fail(`dtype '${descr}' is not supported: particle files hold float32 little-endian ('<f4')`);
  }
  if (fortranOrder === 'True') fail('Fortran-order arrays are not supported: save in C order');
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (dims.length !== 2 || dims.some((s) => !/^\d+$/.test(s))) {
    fail(`shape (${shapeText}) is not a matrix [n, d]`);
  }
  const rows = Number(dims[0]);
  const cols = Number(dims[1]);
  const expectedBytes = rows * cols * 4;
  const actualBytes = bytes.length - dataStart;
  if (actualBytes !== expectedBytes) {
    fail(
      `shape (${rows}, ${cols}) needs ${expectedBytes} data bytes, the file has ${actualBytes}` +
        (actualBytes < expectedBytes ? ' (truncated?)' : ''),
    );
  }
  // A copy: the data of a Node Buffer need not be 4-byte aligned.
  const data = new Float32Array(rows * cols);
  if (HOST_LITTLE_ENDIAN) {
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart));
  } else {
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(dataStart + 4 * i, true);
  }
  return { data, rows, cols };
}

/** The value text after `'key':` in a header dict literal, matched by `value`; null if absent. */
function matchHeaderKey(header: string, key: string, value: RegExp): string | null {
  const at = header.indexOf(`'${key}'`);
  if (at < 0) return null;
  const rest = header.slice(at + key.length + 2).replace(/^\s*:\s*/, '');
  return value.exec(rest)?.[1] ?? null;
}
