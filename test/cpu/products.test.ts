// The CPU kernel's products (src/wasm/products.wat through src/cpu/products.ts) against the
// plain loops, bit for bit: their SIMD lanes must not change a sum's order. Counts and
// lengths cover the eight-row and eight-coordinate blocks and every remainder path.
import { describe, expect, it } from 'vitest';
import { tanh } from '../../src/contract/tanh';
import { createProducts, TANH_TABLE_LENGTH, writeTanhTable } from '../../src/cpu/products';
import { testGaussians } from '../support/cpu-fixtures';

/** Rows of z the cases go up to: two eight-row blocks and one row left. */
const MAX_ROWS = 17;
// Doubles: two vectors at 0 and 32, z from 64 (rows: stride ≤ 16; columns: at most 16 of at
// most 20), outputs at 400 and 432.
const X0 = 0;
const X1 = 32;
const Z = 64;
const OUT0 = 400;
const OUT1 = 432;
const HEAP = 464;

describe('CPU kernel products in WebAssembly', () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const products = createProducts(memory);
  const heap = new Float64Array(memory.buffer);
  const counts = Array.from({ length: MAX_ROWS + 1 }, (_, count) => count);

  /** Fills the heap with Gaussians of `salt` and returns them. */
  function fill(salt: number): Float64Array {
    const values = testGaussians(HEAP, salt);
    heap.set(values);
    return values;
  }

  // p terms from columns `columnStride` doubles apart, with 8-row blocks, pairs of rows and an
  // odd last row (whose neighbour's value is not written).
  it.each([
    [1, 18],
    [3, 18],
    [8, 20],
    [15, 18],
    [16, 18],
  ])(
    'dot products with p = %i, columns %i apart equal the plain loops bit for bit',
    (p, columnStride) => {
      for (const count of counts) {
        const filled = fill(count + 100 * p);
        const expected = (x: number) =>
          Array.from({ length: count }, (_, b) => {
            let sum = 0;
            for (let j = 0; j < p; j++) sum += heap[x + j]! * heap[Z + j * columnStride + b]!;
            return sum;
          });
        const [u, v] = [expected(X0), expected(X1)];
        products.dotPair(X0 * 8, X1 * 8, Z * 8, columnStride * 8, count, OUT0 * 8, OUT1 * 8, p);
        expect(Array.from(heap.subarray(OUT0, OUT0 + count)), `count ${count}`).toEqual(u);
        expect(Array.from(heap.subarray(OUT1, OUT1 + count)), `count ${count}`).toEqual(v);
        expect(heap[OUT0 + count], `count ${count}`).toBe(filled[OUT0 + count]);
        expect(heap[OUT1 + count], `count ${count}`).toBe(filled[OUT1 + count]);
        heap.fill(0, OUT0, OUT0 + count);
        products.dotPair(X1 * 8, X1 * 8, Z * 8, columnStride * 8, count, OUT0 * 8, OUT0 * 8, p);
        expect(Array.from(heap.subarray(OUT0, OUT0 + count)), `count ${count}`).toEqual(v);
      }
    },
  );

  // Strides of one 4-coordinate block, one 8-coordinate block, both, and two 8-blocks.
  it.each([4, 8, 12, 16])(
    'transposed sums over rows of stride %i go on from the stored values and equal the plain loops bit for bit',
    (stride) => {
      for (const count of counts) {
        const filled = fill(1000 + count + 100 * stride);
        // v and w at X0 and X1 (count < 32 doubles apart), g and h at OUT0 and OUT1.
        const expected = (weights: number, start: number) =>
          Array.from({ length: stride }, (_, j) => {
            let sum = heap[start + j]!;
            for (let b = 0; b < count; b++) sum += heap[weights + b]! * heap[Z + b * stride + j]!;
            return sum;
          });
        const [g, h] = [expected(X0, OUT0), expected(X1, OUT1)];
        const g1 = expected(X1, OUT0);
        const gStart = heap.slice(OUT0, OUT0 + stride);
        products.transposedPair(X0 * 8, X1 * 8, Z * 8, stride * 8, count, OUT0 * 8, OUT1 * 8);
        expect(Array.from(heap.subarray(OUT0, OUT0 + stride)), `count ${count}`).toEqual(g);
        expect(Array.from(heap.subarray(OUT1, OUT1 + stride)), `count ${count}`).toEqual(h);
        // Nothing past the last coordinate is written.
        expect(heap[OUT0 + stride], `count ${count}`).toBe(filled[OUT0 + stride]);
        heap.set(gStart, OUT0);
        products.transposedOne(X1 * 8, Z * 8, stride * 8, count, OUT0 * 8);
        expect(Array.from(heap.subarray(OUT0, OUT0 + stride)), `count ${count}`).toEqual(g1);
      }
    },
  );

  // Arguments of every branch of tanh(): ±0, below 2^-28, the table's whole range, near and
  // past 22, infinities and NaN; counts leave 0 to 3 values after the blocks of four, the last
  // of an odd count going through the single-lane path.
  const special = [0, -0, 1e-300, -(2 ** -29), 2 ** -28, 3e-9, 21.999, 22, -22, 30, 1e300];
  const edges = [Infinity, -Infinity, NaN, Number.MIN_VALUE, -Number.MAX_VALUE];
  it.each([
    ['special values', [...special, ...edges]],
    ['Gaussians × 3', Array.from(testGaussians(4003, 7), (g) => 3 * g)],
    ['Gaussians × 0.01', Array.from(testGaussians(1002, 8), (g) => 0.01 * g)],
    ['a ramp over [−25, 25]', Array.from({ length: 5001 }, (_, k) => -25 + k / 100)],
  ])('tanh of %s equals contract/tanh.ts bit for bit', (_, values) => {
    const tanhMemory = new WebAssembly.Memory({ initial: 1 });
    const tanhProducts = createProducts(tanhMemory);
    const table = new Float64Array(tanhMemory.buffer, 0, TANH_TABLE_LENGTH);
    writeTanhTable(table);
    const at = TANH_TABLE_LENGTH;
    const v = new Float64Array(tanhMemory.buffer, at * 8, values.length + 1);
    v.set(values);
    v[values.length] = 0.5;
    tanhProducts.tanh(at * 8, values.length, 0);
    expect(Array.from(v.subarray(0, values.length))).toEqual(values.map(tanh));
    // The value after the last is not written.
    expect(v[values.length]).toBe(0.5);
  });
});
