// WGSL sources are plain files in shaders/; WGSL has no includes, so a module is built by
// concatenating shared pieces and a kernel, behind a header of constants. Array lengths
// (D, P, tile sizes) must be constant expressions, so these are `const`s, not overrides.

/** Every shaders/*.wgsl file by name without extension. Node reads them from disk
 *  (src/node/gpu.ts), the browser bundles them (shader-sources.browser.ts). */
export type ShaderSources = Readonly<Record<string, string>>;

export type ShaderConstants = Readonly<Record<string, number>>;

/** `enables` are WGSL extensions (`subgroups`), which must precede every declaration. */
export function composeShader(
  sources: ShaderSources,
  pieces: readonly string[],
  constants: ShaderConstants,
  enables: readonly string[] = [],
): string {
  const header = Object.entries(constants).map(([name, value]) => {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
      throw new Error(`shader constant ${name} must be a u32, got ${value}`);
    }
    return `const ${name}: u32 = ${value}u;`;
  });
  const bodies = pieces.map((piece) => {
    const source = sources[piece];
    if (source === undefined) throw new Error(`shader source "${piece}.wgsl" is missing`);
    return `// ---- ${piece}.wgsl\n${source}`;
  });
  return [...enables.map((name) => `enable ${name};`), ...header, ...bodies].join('\n');
}
