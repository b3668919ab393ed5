// The WebAssembly kernels of the CPU's multiply-add limit: `chains` independent v128 chains
// of f64x2 or f32x4 multiply-then-add (WebAssembly SIMD has no fused multiply-add outside the
// relaxed-SIMD proposal), 4 steps per chain per loop trip, the trip count a parameter. The
// module is a few hundred bytes, encoded here directly (the project's WAT assembler,
// src/wasm/assemble.ts, has no v128 instructions). Reference: the WebAssembly core
// specification 2.0, section 5 (binary format), and its SIMD opcode table.

export type WasmLanes = 'f64x2' | 'f32x4';

export interface WasmFmaConfig {
  readonly lanes: WasmLanes;
  readonly chains: number;
}

/** Multiply-adds of each chain per loop trip, written out. */
export const WASM_FMA_UNROLL = 4;

const LANES: Record<WasmLanes, number> = { f64x2: 2, f32x4: 4 };

/** Scalar lanes of one v128 multiply-add. */
export function wasmFmaLanes(lanes: WasmLanes): number {
  return LANES[lanes];
}

// Opcodes (WebAssembly 2.0): SIMD instructions are 0xfd followed by a LEB128 index.
const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
const SIMD = 0xfd;
const SIMD_OP = {
  v128Const: 12,
  f32x4Splat: 19,
  f64x2Splat: 20,
  f32x4ExtractLane: 31,
  f64x2ExtractLane: 33,
  f32x4Add: 228,
  f32x4Mul: 230,
  f64x2Add: 240,
  f64x2Mul: 242,
};
const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32Sub: 0x6b,
  f64Add: 0xa0,
  f32DemoteF64: 0xb6,
  f64PromoteF32: 0xbb,
  emptyBlock: 0x40,
};

function leb128(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    const low = rest & 0x7f;
    rest >>>= 7;
    bytes.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
  return bytes;
}

function simd(op: number): number[] {
  return [SIMD, ...leb128(op)];
}

function f64Bytes(value: number): number[] {
  return [...new Uint8Array(new Float64Array([value]).buffer)];
}

/** A section: its id, then its contents' byte length, then the contents. */
function section(id: number, contents: number[]): number[] {
  return [id, ...leb128(contents.length), ...contents];
}

function vector(items: number[][]): number[] {
  return [...leb128(items.length), ...items.flat()];
}

/**
 * The module's bytes. It exports `run(trips: i32, m: f64, c: f64, start: f64) -> f64`:
 * chain j starts at `start + j / 64` in every lane, then each trip applies
 * `a = a * m + c` WASM_FMA_UNROLL times to every chain; the result is the sum of the chains'
 * first lanes, which depends on all the work.
 */
export function wasmFmaModule(config: WasmFmaConfig): Uint8Array<ArrayBuffer> {
  const { lanes, chains } = config;
  const single = lanes === 'f32x4';
  // Locals: 0 trips, 1 m, 2 c, 3 start (params); then m and c splatted, then the chains.
  const M = 4;
  const C = 5;
  const first = 6;
  const splat = simd(single ? SIMD_OP.f32x4Splat : SIMD_OP.f64x2Splat);
  const scalar = (local: number) => [OP.localGet, local, ...(single ? [OP.f32DemoteF64] : [])];
  const mul = simd(single ? SIMD_OP.f32x4Mul : SIMD_OP.f64x2Mul);
  const add = simd(single ? SIMD_OP.f32x4Add : SIMD_OP.f64x2Add);
  const code: number[] = [
    ...scalar(1),
    ...splat,
    OP.localSet,
    M,
    ...scalar(2),
    ...splat,
    OP.localSet,
    C,
  ];
  for (let j = 0; j < chains; j++) {
    code.push(OP.localGet, 3, OP.f64Const, ...f64Bytes(j / 64), OP.f64Add);
    if (single) code.push(OP.f32DemoteF64);
    code.push(...splat, OP.localSet, first + j);
  }
  code.push(OP.block, OP.emptyBlock, OP.loop, OP.emptyBlock);
  code.push(OP.localGet, 0, OP.i32Eqz, OP.brIf, 1);
  for (let u = 0; u < WASM_FMA_UNROLL; u++) {
    for (let j = 0; j < chains; j++) {
      code.push(OP.localGet, first + j, OP.localGet, M, ...mul, OP.localGet, C, ...add);
      code.push(OP.localSet, first + j);
    }
  }
  code.push(OP.localGet, 0, OP.i32Const, 1, OP.i32Sub, OP.localSet, 0, OP.br, 0);
  code.push(OP.end, OP.end);
  code.push(OP.f64Const, ...f64Bytes(0));
  for (let j = 0; j < chains; j++) {
    code.push(OP.localGet, first + j);
    if (single) code.push(...simd(SIMD_OP.f32x4ExtractLane), 0, OP.f64PromoteF32);
    else code.push(...simd(SIMD_OP.f64x2ExtractLane), 0);
    code.push(OP.f64Add);
  }
  code.push(OP.end);
  const locals = vector([[...leb128(2 + chains), V128]]);
  const body = [...locals, ...code];
  const name = [...new TextEncoder().encode('run')];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[0x60, ...vector([[I32], [F64], [F64], [F64]]), ...vector([[F64]])]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...leb128(name.length), ...name, 0x00, 0]])),
    ...section(10, vector([[...leb128(body.length), ...body]])),
  ]);
}

/** The kernel, compiled: runs `trips` loop trips and returns the sum of the chains' first lanes. */
export type WasmFmaRun = (trips: number, m: number, c: number, start: number) => number;

export function instantiateWasmFma(config: WasmFmaConfig): WasmFmaRun {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmFmaModule(config)));
  return instance.exports['run'] as WasmFmaRun;
}
