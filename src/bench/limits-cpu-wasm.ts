// The WebAssembly kernels of the CPU's multiply-add limit (src/wasm/fma-limits.wat): `chains`
// independent v128 chains of f64x2 or f32x4 multiply-then-add, WASM_FMA_UNROLL steps per chain
// per loop trip, the trip count a parameter.
import { WASM_BASE64 } from '../wasm/fma-limits.wasm';
import { wasmModule } from '../wasm/module';

export type WasmLanes = 'f64x2' | 'f32x4';

export interface WasmFmaConfig {
  readonly lanes: WasmLanes;
  /** 4, 8 or 16: the .wat has a function for each. */
  readonly chains: 4 | 8 | 16;
}

/** Multiply-adds of each chain per loop trip, written out in the .wat. */
export const WASM_FMA_UNROLL = 4;

const LANES: Record<WasmLanes, number> = { f64x2: 2, f32x4: 4 };

/** Scalar lanes of one v128 multiply-add. */
export function wasmFmaLanes(lanes: WasmLanes): number {
  return LANES[lanes];
}

/**
 * The kernel: runs `trips` loop trips from chains that start at `start + j / 64`, and
 * returns the sum of the chains' first lanes.
 */
export type WasmFmaRun = (trips: number, m: number, c: number, start: number) => number;

export function instantiateWasmFma(config: WasmFmaConfig): WasmFmaRun {
  const instance = new WebAssembly.Instance(wasmModule(WASM_BASE64));
  return instance.exports[`${config.lanes}_${config.chains}`] as WasmFmaRun;
}
