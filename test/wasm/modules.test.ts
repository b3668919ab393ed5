// The checked-in WebAssembly modules (src/wasm/NAME.wasm.ts) are what wabt makes of their
// .wat sources now, so that no one edits a .wat and ships the old binary: `npm run wasm`
// regenerates them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileWat, generatedModule, watSources } from '../../src/wasm/compile';
import { wasmModule } from '../../src/wasm/module';

describe('WebAssembly modules from .wat', () => {
  it('has the sources the CPU kernel needs', () => {
    expect(watSources()).toContain('products.wat');
  });

  it.each(watSources())('%s: the checked-in module is current (npm run wasm)', async (name) => {
    const { path, text } = await generatedModule(name);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('compiles f64x2 SIMD into a module that runs', async () => {
    const bytes = await compileWat(
      'double.wat',
      `(module (func (export "twice") (param $x f64) (result f64)
         (f64x2.extract_lane 1 (f64x2.add (f64x2.splat (local.get $x)) (f64x2.splat (local.get $x))))))`,
    );
    const base64 = Buffer.from(bytes).toString('base64');
    const twice = new WebAssembly.Instance(wasmModule(base64)).exports.twice as (
      x: number,
    ) => number;
    expect(twice(1.25)).toBe(2.5);
    expect(wasmModule(base64)).toBe(wasmModule(base64));
  });

  it('refuses a source with an error, naming the file and line', async () => {
    await expect(
      compileWat('broken.wat', '(module\n  (func (export "f") (result i32) (f64.const 1)))'),
    ).rejects.toThrow(/broken\.wat:2/);
  });
});
