// The multiply-add loops of the CPU kernel (kernel.ts) in WebAssembly: the dot products α·z_b
// of the forward pass and the sums Σ_b v_b z_b of the drift, which are nearly all of the
// step's counted FLOP. In JavaScript every typed-array load of these loops also paid an index
// computation and a bounds check; here a load is one instruction. In a prototype timed beside
// the JavaScript loops in one process (d = 16, B = 64) the forward products ran 2.7 times as
// fast, and with these loops one thread's whole step 1.36 times as fast.
// WebAssembly's f64 arithmetic is IEEE double like JavaScript's, and every sum adds its terms
// in the order of the plain loop, so the results are the same bits.
//
// Addresses are bytes into the kernel's memory; rows of z are `rowBytes` apart; vectors are
// float64.
import { assemble } from '../wasm/assemble';

export interface Products {
  /** u[b] = α·z_b, v[b] = β·z_b for b < count; α at x0, β at x1, p terms each. */
  dotPair(
    x0: number,
    x1: number,
    z: number,
    rowBytes: number,
    count: number,
    u: number,
    v: number,
    p: number,
  ): void;
  /** u[b] = α·z_b for b < count; α at x, p terms. */
  dotOne(x: number, z: number, rowBytes: number, count: number, u: number, p: number): void;
  /**
   * g[j] += Σ_b v[b] z_b[j] and h[j] += Σ_b w[b] z_b[j] for j < rowBytes/8 (a multiple of 4),
   * b < count, each sum going on from the stored value in order b = 0 … count−1.
   */
  transposedPair(
    v: number,
    w: number,
    z: number,
    rowBytes: number,
    count: number,
    g: number,
    h: number,
  ): void;
  /** g[j] += Σ_b v[b] z_b[j], as transposedPair for one vector. */
  transposedOne(v: number, z: number, rowBytes: number, count: number, g: number): void;
}

/** Multiply-add statements of accumulators `acc` with factor `a` and terms `z`. */
function madd(acc: string[], a: string, z: string[]): string {
  return acc
    .map(
      (s, k) =>
        `(local.set ${s} (f64.add (local.get ${s}) (f64.mul (local.get ${a}) (local.get ${z[k]}))))`,
    )
    .join('\n');
}

/** Statements that apply `line` to each of the names. */
function each(names: string[], line: (name: string, k: number) => string): string {
  return names.map(line).join('\n');
}

const FOUR = [0, 1, 2, 3];
const Z = FOUR.map((k) => `$z${k}`);

/**
 * dotPair (pair) or dotOne: four rows at a time with four add chains per vector, then the
 * rows left one at a time. The vectors are named by their first letters: x0/u and x1/v.
 */
function dot(pair: boolean): string {
  const vectors = pair
    ? [
        { x: '$x0', out: '$u', acc: '$u', factor: '$a' },
        { x: '$x1', out: '$v', acc: '$v', factor: '$c' },
      ]
    : [{ x: '$x0', out: '$u', acc: '$u', factor: '$a' }];
  const params = vectors.map((v) => `(param ${v.x} i32)`).join(' ');
  const outs = vectors.map((v) => `(param ${v.out} i32)`).join(' ');
  const accs = vectors.flatMap((v) => FOUR.map((k) => `${v.acc}${k}`));
  return `
  (func (export "${pair ? 'dotPair' : 'dotOne'}") ${params} (param $z i32) (param $rowBytes i32)
      (param $count i32) ${outs} (param $p i32)
    (local $b i32) (local $end4 i32) (local $pBytes i32) (local $j i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    ${vectors.map((v) => `(local ${v.factor} f64)`).join(' ')}
    ${Z.map((z) => `(local ${z} f64)`).join(' ')}
    ${accs.map((a) => `(local ${a} f64)`).join(' ')}
    (local.set $pBytes (i32.shl (local.get $p) (i32.const 3)))
    (local.set $end4 (i32.and (local.get $count) (i32.const -4)))
    (local.set $r0 (local.get $z))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_s (local.get $b) (local.get $end4)))
      (local.set $r1 (i32.add (local.get $r0) (local.get $rowBytes)))
      (local.set $r2 (i32.add (local.get $r1) (local.get $rowBytes)))
      (local.set $r3 (i32.add (local.get $r2) (local.get $rowBytes)))
      ${each(accs, (a) => `(local.set ${a} (f64.const 0))`)}
      (local.set $j (i32.const 0))
      (block $termsDone (loop $terms
        (br_if $termsDone (i32.ge_s (local.get $j) (local.get $pBytes)))
        ${each(
          vectors.map((v) => v.factor),
          (f, k) =>
            `(local.set ${f} (f64.load (i32.add (local.get ${vectors[k]!.x}) (local.get $j))))`,
        )}
        ${each(Z, (z, k) => `(local.set ${z} (f64.load (i32.add (local.get $r${k}) (local.get $j))))`)}
        ${vectors
          .map((v) =>
            madd(
              FOUR.map((k) => `${v.acc}${k}`),
              v.factor,
              Z,
            ),
          )
          .join('\n')}
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $terms)))
      ${vectors
        .map((v) =>
          each(
            FOUR.map((k) => `${v.acc}${k}`),
            (a, k) => `(f64.store offset=${8 * k} (local.get ${v.out}) (local.get ${a}))`,
          ),
        )
        .join('\n')}
      ${each(
        vectors.map((v) => v.out),
        (o) => `(local.set ${o} (i32.add (local.get ${o}) (i32.const 32)))`,
      )}
      (local.set $r0 (i32.add (local.get $r3) (local.get $rowBytes)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br $rows)))
    (block $restDone (loop $rest
      (br_if $restDone (i32.ge_s (local.get $b) (local.get $count)))
      ${each(
        vectors.map((v) => `${v.acc}0`),
        (a) => `(local.set ${a} (f64.const 0))`,
      )}
      (local.set $j (i32.const 0))
      (block $termsDone (loop $terms
        (br_if $termsDone (i32.ge_s (local.get $j) (local.get $pBytes)))
        (local.set $z0 (f64.load (i32.add (local.get $r0) (local.get $j))))
        ${each(
          vectors.map((v) => v.factor),
          (f, k) =>
            `(local.set ${f} (f64.load (i32.add (local.get ${vectors[k]!.x}) (local.get $j))))`,
        )}
        ${vectors.map((v) => madd([`${v.acc}0`], v.factor, ['$z0'])).join('\n')}
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $terms)))
      ${vectors.map((v) => `(f64.store (local.get ${v.out}) (local.get ${v.acc}0))`).join('\n')}
      ${each(
        vectors.map((v) => v.out),
        (o) => `(local.set ${o} (i32.add (local.get ${o}) (i32.const 8)))`,
      )}
      (local.set $r0 (i32.add (local.get $r0) (local.get $rowBytes)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rest))))`;
}

/**
 * transposedPair (pair) or transposedOne: four coordinates at a time with four add chains per
 * vector, over the rows in order. Weights v/w, sums g/h.
 */
function transposed(pair: boolean): string {
  const vectors = pair
    ? [
        { weights: '$v', weight: '$vb', sums: '$g' },
        { weights: '$w', weight: '$wb', sums: '$h' },
      ]
    : [{ weights: '$v', weight: '$vb', sums: '$g' }];
  const accs = (v: { sums: string }) => FOUR.map((k) => `${v.sums}${k}`);
  return `
  (func (export "${pair ? 'transposedPair' : 'transposedOne'}")
      ${vectors.map((v) => `(param ${v.weights} i32)`).join(' ')} (param $z i32) (param $rowBytes i32)
      (param $count i32) ${vectors.map((v) => `(param ${v.sums} i32)`).join(' ')}
    (local $j i32) (local $b i32) (local $row i32)
    ${vectors.map((v) => `(local ${v.weight} f64)`).join(' ')}
    ${Z.map((z) => `(local ${z} f64)`).join(' ')}
    ${vectors
      .flatMap(accs)
      .map((a) => `(local ${a} f64)`)
      .join(' ')}
    (block $columnsDone (loop $columns
      (br_if $columnsDone (i32.ge_s (local.get $j) (local.get $rowBytes)))
      ${vectors.map((v) => each(accs(v), (a, k) => `(local.set ${a} (f64.load offset=${8 * k} (local.get ${v.sums})))`)).join('\n')}
      (local.set $row (i32.add (local.get $z) (local.get $j)))
      (local.set $b (i32.const 0))
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $b) (local.get $count)))
        ${vectors.map((v) => `(local.set ${v.weight} (f64.load (i32.add (local.get ${v.weights}) (i32.shl (local.get $b) (i32.const 3)))))`).join('\n')}
        ${each(Z, (z, k) => `(local.set ${z} (f64.load offset=${8 * k} (local.get $row)))`)}
        ${vectors.map((v) => madd(accs(v), v.weight, Z)).join('\n')}
        (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $rows)))
      ${vectors.map((v) => each(accs(v), (a, k) => `(f64.store offset=${8 * k} (local.get ${v.sums}) (local.get ${a}))`)).join('\n')}
      ${vectors.map((v) => `(local.set ${v.sums} (i32.add (local.get ${v.sums}) (i32.const 32)))`).join('\n')}
      (local.set $j (i32.add (local.get $j) (i32.const 32)))
      (br $columns))))`;
}

const SOURCE = `
(module
  (import "kernel" "memory" (memory 1))
  ${dot(true)}
  ${dot(false)}
  ${transposed(true)}
  ${transposed(false)}
)`;

let compiled: WebAssembly.Module | null = null;

/** The products over `memory`, which holds every vector they are given. */
export function createProducts(memory: WebAssembly.Memory): Products {
  compiled ??= new WebAssembly.Module(assemble(SOURCE));
  const instance = new WebAssembly.Instance(compiled, { kernel: { memory } });
  return instance.exports as unknown as Products;
}
