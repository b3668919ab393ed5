// The WAT assembler (src/wasm/assemble.ts) and the CPU kernel's products built with it:
// encodings by the specification's examples, behaviour by running what it assembles, and
// the products against plain loops, bit for bit.
import { describe, expect, it } from 'vitest';
import { createProducts } from '../src/cpu/products';
import { assemble, s32, u32, WatError } from '../src/wasm/assemble';
import { testGaussians } from './cpu-fixtures';

function run(source: string): Record<string, (...args: number[]) => number> {
  const module = new WebAssembly.Module(assemble(source));
  const memory = new WebAssembly.Memory({ initial: 1 });
  return new WebAssembly.Instance(module, { env: { memory } }).exports as never;
}

describe('WAT assembler', () => {
  it('encodes LEB128 as the specification does', () => {
    expect(u32(0)).toEqual([0]);
    expect(u32(127)).toEqual([0x7f]);
    expect(u32(128)).toEqual([0x80, 0x01]);
    expect(u32(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(u32(2 ** 32 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(s32(0)).toEqual([0]);
    expect(s32(-1)).toEqual([0x7f]);
    expect(s32(63)).toEqual([0x3f]);
    expect(s32(64)).toEqual([0xc0, 0x00]);
    expect(s32(-64)).toEqual([0x40]);
    expect(s32(-65)).toEqual([0xbf, 0x7f]);
    expect(s32(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(s32(-(2 ** 31))).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });

  it('writes the bytes of a minimal module', () => {
    const bytes = assemble(
      '(module (func (export "f") (param $a i32) (result i32) (i32.add (local.get $a) (i32.const 1))))',
    );
    // prettier-ignore
    expect([...bytes]).toEqual([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: (i32) → i32
      0x03, 0x02, 0x01, 0x00, // function 0 has type 0
      0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export "f" = function 0
      0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b, // local.get 0, i32.const 1, i32.add
    ]);
    const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f as (
      a: number,
    ) => number;
    expect(f(41)).toBe(42);
  });

  it('assembles loops, branches, memory and calls that run as written', () => {
    const exports = run(`
      (module
        (import "env" "memory" (memory 1))
        ;; Σ_{k<count} k·step, by a loop with a label and br_if.
        (func $sum (export "sum") (param $count i32) (param $step f64) (result f64)
          (local $k i32) (local $total f64)
          (block $done (loop $next
            (br_if $done (i32.ge_s (local.get $k) (local.get $count)))
            (local.set $total (f64.add (local.get $total)
              (f64.mul (f64.convert_i32_s (local.get $k)) (local.get $step))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $next)))
          (local.get $total))
        (; flat form, if/else, copysign and the saturating conversion ;)
        (func (export "classify") (param $x f64) (result f64)
          (local $out f64)
          (if (f64.lt (f64.abs (local.get $x)) (f64.const 1.5e-3))
            (then (local.set $out (f64.const -0.25)))
            (else
              local.get $x
              i32.trunc_sat_f64_s
              f64.convert_i32_s
              local.set $out))
          (f64.copysign (local.get $out) (local.get $x)))
        (func (export "roundTrip") (param $at i32) (param $x f64) (result f64)
          (f64.store offset=16 (local.get $at) (local.get $x))
          (i32.store offset=4 (local.get $at) (i32.const -7))
          (f64.add (f64.load offset=16 align=8 (local.get $at))
            (f64.convert_i32_s (i32.load offset=4 (local.get $at)))))
        (func (export "callSum") (result f64) (call $sum (i32.const 4) (f64.const 0.5))))
    `);
    expect(exports.sum!(5, 0.25)).toBe(2.5);
    expect(exports.sum!(0, 1)).toBe(0);
    expect(exports.classify!(1e-4)).toBe(0.25);
    expect(exports.classify!(-1e-4)).toBe(-0.25);
    expect(exports.classify!(-3.7)).toBe(-3);
    expect(exports.classify!(1e300)).toBe(2 ** 31 - 1);
    expect(exports.roundTrip!(8, 1.25)).toBe(-5.75);
    expect(exports.callSum!()).toBe(3);
  });

  it.each([
    ['(module (func (i32.frobnicate)))', /unsupported instruction 'i32.frobnicate'/],
    ['(module (func (local.get $x)))', /unknown local \$x/],
    ['(module (func (block $a (br $b))))', /br to unknown label \$b/],
    ['(module (func (drop (i32.const 1.5))))', /i32.const needs an integer/],
    ['(module (func (drop (f64.const x))))', /f64.const needs a number, got 'x'/],
    ['(module (func (drop (i32.const 1)))', /unbalanced \(/],
    ['(module (func block end))', /write 'block' in folded form/],
    ['(module (func (param i32)))', /param must be written \(param \$name type\)/],
    ['(module (memory 1))', /unsupported module field 'memory'/],
    ['(module (func (drop (f64.load offset=x (i32.const 0)))))', /takes offset=N and align=N/],
    ['(func)', /one \(module …\)/],
  ])('refuses %s with a message', (source, message) => {
    expect(() => assemble(source)).toThrow(WatError);
    expect(() => assemble(source)).toThrow(message);
  });
});

describe('CPU kernel products in WebAssembly', () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const products = createProducts(memory);
  const heap = new Float64Array(memory.buffer);
  // Doubles: two vectors at 0 and 32, rows of z from 64 (9 rows, stride 8), outputs at 256, 288.
  const X0 = 0;
  const X1 = 32;
  const Z = 64;
  const OUT0 = 256;
  const OUT1 = 288;
  const stride = 8;

  function fill(salt: number): void {
    heap.set(testGaussians(320, salt));
  }

  it.each([1, 2, 3, 5, 8])('dot products with p = %i equal the plain loops bit for bit', (p) => {
    for (let count = 0; count <= 9; count++) {
      fill(count + 10 * p);
      const expected = (x: number) =>
        Array.from({ length: count }, (_, b) => {
          let sum = 0;
          for (let j = 0; j < p; j++) sum += heap[x + j]! * heap[Z + b * stride + j]!;
          return sum;
        });
      const [u, v] = [expected(X0), expected(X1)];
      products.dotPair(X0 * 8, X1 * 8, Z * 8, stride * 8, count, OUT0 * 8, OUT1 * 8, p);
      expect(Array.from(heap.subarray(OUT0, OUT0 + count))).toEqual(u);
      expect(Array.from(heap.subarray(OUT1, OUT1 + count))).toEqual(v);
      heap.fill(0, OUT0, OUT0 + count);
      products.dotOne(X1 * 8, Z * 8, stride * 8, count, OUT0 * 8, p);
      expect(Array.from(heap.subarray(OUT0, OUT0 + count))).toEqual(v);
    }
  });

  it('transposed sums go on from the stored values and equal the plain loops bit for bit', () => {
    for (let count = 0; count <= 9; count++) {
      fill(100 + count);
      // v and w at X0 and X1 (count ≤ 9 < 32 doubles apart), g and h at OUT0 and OUT1.
      const expected = (weights: number, start: number) =>
        Array.from({ length: stride }, (_, j) => {
          let sum = heap[start + j]!;
          for (let b = 0; b < count; b++) sum += heap[weights + b]! * heap[Z + b * stride + j]!;
          return sum;
        });
      const [g, h] = [expected(X0, OUT0), expected(X1, OUT1)];
      const g1 = expected(X1, OUT0);
      products.transposedPair(X0 * 8, X1 * 8, Z * 8, stride * 8, count, OUT0 * 8, OUT1 * 8);
      expect(Array.from(heap.subarray(OUT0, OUT0 + stride))).toEqual(g);
      expect(Array.from(heap.subarray(OUT1, OUT1 + stride))).toEqual(h);
      heap.set(testGaussians(320, 100 + count).subarray(OUT0, OUT0 + stride), OUT0);
      products.transposedOne(X1 * 8, Z * 8, stride * 8, count, OUT0 * 8);
      expect(Array.from(heap.subarray(OUT0, OUT0 + stride))).toEqual(g1);
    }
  });
});
