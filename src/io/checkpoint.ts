// Checkpoints of a run (`mfld run --checkpoint`, `--resume`): what it takes to continue a run
// where it stopped. The step index is global (SPEC §3), so the particles x^K and K continue
// the uninterrupted trajectory bit for bit on the same backend. One file:
//
//   offset   bytes   content
//   0        8       magic, ASCII "MFLDCKPT"
//   8        4       format version, uint32 little-endian: 1
//   12       4       H, the length of the header in bytes, uint32 little-endian
//   16       4       CRC-32 (IEEE, as zlib.crc32) of every byte from offset 20 to the end
//   20       H       header: UTF-8 JSON, padded with spaces so the particles start 4-aligned
//   20 + H   4·n·d   particles: float32 little-endian, C order, rows [α_1 … α_p, c] (SPEC §1)
//
// The header is {format: "mfld-checkpoint", version: 1, step: K, seed, n, d, config (the
// resolved config, as in the run summary), lossHistory (as in the run summary, up to step K),
// backend and device (where it ran), dataCrc32 (CRC-32 of the data set, so a CSV file that
// changed since is noticed)}. Pure: no file system access; errors are CheckpointErrors that
// name the file.
import { DEFAULT_CONFIG, type RunConfig } from '../contract/config';
import { ConfigError, configToJson, parseConfigObject } from '../contract/config-parse';
import type { LossEntry, Problem } from '../contract/simulation';

/** A checkpoint file is damaged, or does not fit the run it should continue. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

export const CHECKPOINT_FORMAT = 'mfld-checkpoint';
export const CHECKPOINT_VERSION = 1;

const MAGIC = 'MFLDCKPT';
const PREFIX_BYTES = 20;
const FLOAT_BYTES = 4;

export interface Checkpoint {
  /** The resolved config of the run; `steps` is the total it was going to. */
  readonly config: RunConfig;
  /** Global step K of the particles. */
  readonly step: number;
  readonly n: number;
  readonly d: number;
  /** `n × d`, rows [α_1 … α_p, c]; all finite. */
  readonly particles: Float32Array;
  /** The loss entries up to `step`, in step order. */
  readonly lossHistory: readonly LossEntry[];
  readonly backend: 'webgpu' | 'cpu';
  readonly device: string;
  /** problemCrc32 of the data the run trained on. */
  readonly dataCrc32: number;
}

/**
 * The checkpoint of a state of a run of `config` that passed the checks, made on `backend`
 * (`device`); `dataCrc32` is problemCrc32 of its data.
 */
export function checkpointOf(
  config: RunConfig,
  state: {
    readonly step: number;
    readonly particles: Float32Array;
    /** Its loss entries; only their LossEntry fields are kept. */
    readonly lossHistory: readonly LossEntry[];
  },
  where: Pick<Checkpoint, 'backend' | 'device'>,
  dataCrc32: number,
): Checkpoint {
  return {
    config,
    step: state.step,
    n: config.n,
    d: state.particles.length / config.n,
    particles: state.particles,
    lossHistory: state.lossHistory.map(({ step, time, train, test, freeEnergy }) => ({
      step,
      time,
      train,
      test,
      ...(freeEnergy === undefined ? {} : { freeEnergy }),
    })),
    backend: where.backend,
    device: where.device,
    dataCrc32,
  };
}

// ---------------------------------------------------------------------------------------
// CRC-32

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[i] = c;
  }
  return table;
})();

/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zlib's crc32 and Python's
 * `zlib.crc32`; `previous` continues the CRC of the bytes before `bytes`.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The little-endian bytes of float32 values: a view on little-endian hosts, else a copy. */
function littleEndianBytes(values: Float32Array): Uint8Array {
  if (HOST_LITTLE_ENDIAN)
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i]!, true);
  return bytes;
}

/** CRC-32 of a data set: its sizes, then the bytes of its inputs and labels, train then test. */
export function problemCrc32(problem: Problem): number {
  const { p, train, test } = problem;
  const sizes = new Uint8Array(16);
  const view = new DataView(sizes.buffer);
  [p, train.count, test ? 1 : 0, test?.count ?? 0].forEach((value, i) =>
    view.setUint32(4 * i, value, true),
  );
  let crc = crc32(sizes);
  for (const split of test ? [train, test] : [train]) {
    crc = crc32(littleEndianBytes(split.z), crc);
    crc = crc32(littleEndianBytes(split.y), crc);
  }
  return crc;
}

// ---------------------------------------------------------------------------------------
// Encoding

/** The bytes of a checkpoint file. Throws a RangeError when `checkpoint` is not consistent. */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const { config, step, n, d, particles, lossHistory, backend, device, dataCrc32 } = checkpoint;
  if (n !== config.n || particles.length !== n * d) {
    throw new RangeError(
      `encodeCheckpoint: ${particles.length} values for n = ${n} (config ${config.n}), d = ${d}`,
    );
  }
  if (!particles.every(Number.isFinite)) {
    throw new RangeError('encodeCheckpoint: the particles are not all finite');
  }
  const header = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step,
    seed: config.seed,
    n,
    d,
    backend,
    device,
    dataCrc32,
    config: configToJson(config),
    lossHistory,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = json.length + (-(PREFIX_BYTES + json.length) & 3);
  const payloadStart = PREFIX_BYTES + headerLength;

  const bytes = new Uint8Array(payloadStart + particles.length * FLOAT_BYTES);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, headerLength, true);
  bytes.set(json, PREFIX_BYTES);
  bytes.fill(0x20, PREFIX_BYTES + json.length, payloadStart); // JSON allows trailing spaces
  bytes.set(littleEndianBytes(particles), payloadStart);
  view.setUint32(16, crc32(bytes.subarray(PREFIX_BYTES)), true);
  return bytes;
}

// ---------------------------------------------------------------------------------------
// Decoding

/**
 * Reads a checkpoint file's bytes, checking everything: magic, version, lengths, checksum,
 * header fields, config ranges, loss history and finite particles. `source` (the file name)
 * starts every error message.
 */
export function decodeCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  function fail(why: string): never {
    throw new CheckpointError(`${source}: ${why}`);
  }
  const notCheckpoint = `not an mfld checkpoint (it does not start with "${MAGIC}")`;
  if (bytes.length < MAGIC.length) fail(notCheckpoint);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) fail(notCheckpoint);
  }
  if (bytes.length < PREFIX_BYTES) fail('the file is truncated (it ends inside the prefix)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) {
    fail(`checkpoint format version ${version} is not supported (this mfld reads version 1)`);
  }
  const headerLength = view.getUint32(12, true);
  const payloadStart = PREFIX_BYTES + headerLength;
  if (bytes.length < payloadStart) {
    fail(
      `the file is truncated or corrupted: it has ${bytes.length} bytes, its header would end ` +
        `at byte ${payloadStart}`,
    );
  }
  const header = parseHeader(bytes.subarray(PREFIX_BYTES, payloadStart));
  const payloadBytes = bytes.length - payloadStart;

  if (crc32(bytes.subarray(PREFIX_BYTES)) !== view.getUint32(16, true)) {
    // Say "truncated" where the header (if intact) shows it; else the file is corrupted.
    const n = header?.['n'];
    const d = header?.['d'];
    if (isCount(n) && isCount(d) && payloadBytes < n * d * FLOAT_BYTES) {
      fail(
        `the file is truncated: ${payloadBytes} bytes of particles, ${n} × ${d} need ` +
          `${n * d * FLOAT_BYTES}`,
      );
    }
    fail('checksum mismatch: the file is corrupted');
  }
  if (header === null) fail('the header is not a JSON object');
  return checkHeader(header, bytes.subarray(payloadStart), fail);
}

function parseHeader(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;

const isStep = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

const CONFIG_KEYS = Object.keys(configToJson(DEFAULT_CONFIG));

function checkHeader(
  header: Record<string, unknown>,
  payload: Uint8Array,
  fail: (why: string) => never,
): Checkpoint {
  const { format, version, step, seed, n, d, backend, device, dataCrc32 } = header;
  if (format !== CHECKPOINT_FORMAT || version !== CHECKPOINT_VERSION) {
    fail(`the header names format ${JSON.stringify(format)} version ${String(version)}`);
  }
  if (!isObject(header['config'])) fail('the header has no config object');
  const missing = CONFIG_KEYS.filter((key) => !(key in (header['config'] as object)));
  if (missing.length > 0) fail(`the config lacks ${missing.join(', ')}`);
  let config: RunConfig;
  try {
    config = parseConfigObject(header['config']);
  } catch (error) {
    if (error instanceof ConfigError) fail(`config: ${error.message}`);
    throw error;
  }
  if (!isStep(step) || step > config.steps) {
    fail(`step ${String(step)} is not an integer from 0 to the config's ${config.steps} steps`);
  }
  if (seed !== config.seed) fail(`seed ${String(seed)} differs from the config's ${config.seed}`);
  if (n !== config.n) fail(`n ${String(n)} differs from the config's ${config.n}`);
  if (!isCount(d) || d < 2) fail(`d ${String(d)} is not an integer ≥ 2`);
  if (backend !== 'webgpu' && backend !== 'cpu') fail(`unknown backend ${String(backend)}`);
  if (typeof device !== 'string') fail('the header has no device');
  if (!isStep(dataCrc32) || dataCrc32 > 0xffffffff) fail('the header has no valid dataCrc32');
  const lossHistory = checkLossHistory(header['lossHistory'], step, fail);

  if (payload.length !== config.n * d * FLOAT_BYTES) {
    fail(
      `${config.n} × ${d} particles need ${config.n * d * FLOAT_BYTES} bytes, the file has ` +
        `${payload.length}`,
    );
  }
  // A copy: the bytes of a Node Buffer need not be 4-byte aligned.
  const particles = new Float32Array(config.n * d);
  if (HOST_LITTLE_ENDIAN) {
    new Uint8Array(particles.buffer).set(payload);
  } else {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    for (let i = 0; i < particles.length; i++) particles[i] = view.getFloat32(4 * i, true);
  }
  const bad = particles.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) fail(`particle ${Math.floor(bad / d)}, coordinate ${bad % d} is ${particles[bad]}`);
  return { config, step, n: config.n, d, particles, lossHistory, backend, device, dataCrc32 };
}

function checkLossHistory(value: unknown, step: number, fail: (why: string) => never): LossEntry[] {
  if (!Array.isArray(value)) fail('the header has no lossHistory array');
  let previous = -1;
  return value.map((entry: unknown, i): LossEntry => {
    const bad = (why: string): never => fail(`lossHistory[${i}]: ${why}`);
    if (!isObject(entry)) return bad('not an object');
    const { step: at, time, train, test, freeEnergy } = entry;
    if (!isStep(at) || at <= previous || at > step) {
      return bad(`step ${String(at)} is not an integer after ${previous} and up to ${step}`);
    }
    previous = at;
    const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
    if (!finite(time) || !finite(train) || !(test === null || finite(test))) {
      return bad('time, train and test must be finite numbers (test may be null)');
    }
    if (!(freeEnergy === undefined || freeEnergy === null || finite(freeEnergy))) {
      return bad('freeEnergy must be a finite number or null');
    }
    return { step: at, time, train, test, ...(freeEnergy === undefined ? {} : { freeEnergy }) };
  });
}

// ---------------------------------------------------------------------------------------
// Resuming

/**
 * Refuses to continue `checkpoint` (read from `source`, the file's name) on `problem` when
 * the data differ from those it was trained on: a CSV file edited since, or data sets
 * generated differently. The CLI (`--resume`) and the study page both check with this.
 */
export function checkResumable(checkpoint: Checkpoint, problem: Problem, source: string): void {
  if (problem.p + 1 !== checkpoint.d) {
    throw new CheckpointError(
      `${source}: its particles have d = ${checkpoint.d} coordinates, the data set gives ` +
        `d = ${problem.p + 1}`,
    );
  }
  if (problemCrc32(problem) !== checkpoint.dataCrc32) {
    const { dataset } = checkpoint.config;
    const which = dataset.name === 'csv' ? `the file ${dataset.path ?? ''}` : 'the data set';
    throw new CheckpointError(
      `${source}: ${which} differs from the data the checkpoint was trained on (checksum ` +
        `mismatch); resuming on other data would not continue the same run`,
    );
  }
}
