// `npm run build:lib` (and `prepack`): the package's JavaScript and .d.ts in dist/, one file
// per module of src/ as TypeScript compiles it, so that the installed package needs neither
// tsx nor TypeScript. Node's ES modules need full file names, where the sources import
// './x' (as Vite resolves them): every relative path in a string that names a module of src/
// is rewritten to its .js file, the worker entries included ('./worker.ts' → './worker.js').
// The WGSL shaders become strings in dist/gpu/shader-sources.browser.js, for any bundler.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const OUT = join(ROOT, 'dist');

/** The package's entry points; everything they import (dynamic imports too) comes along. */
const ENTRIES = [
  'index.ts', // Node
  'browser.ts', // browsers
  'cli/main.ts', // the mfld command
  'cpu/worker.ts', // CPU reference threads
  'bench/limits-cpu-worker.ts', // mfld bench's CPU limit threads
].map((entry) => join(SRC, entry));

/** `specifier`, relative to `fromFile`, as it must read in dist/: null where it names no module. */
function emittedSpecifier(specifier: string, fromFile: string): string | null {
  if (!/^\.\.?\//.test(specifier)) return null;
  const target = resolve(dirname(fromFile), specifier);
  if (specifier.endsWith('.ts') && existsSync(target)) return specifier.replace(/\.ts$/, '.js');
  if (existsSync(`${target}.ts`)) return `${specifier}.js`;
  if (existsSync(join(target, 'index.ts'))) return `${specifier.replace(/\/$/, '')}/index.js`;
  return null;
}

/** A transformer rewriting every string literal that is a relative path to a module of src/. */
function rewriteModulePaths<T extends ts.Node>(context: ts.TransformationContext) {
  return (root: T): T => {
    const fromFile = ts.isSourceFile(root) ? root.fileName : null;
    if (fromFile === null) return root;
    const visit = (node: ts.Node): ts.Node => {
      if (ts.isStringLiteral(node)) {
        const rewritten = emittedSpecifier(node.text, fromFile);
        if (rewritten !== null) return context.factory.createStringLiteral(rewritten, true);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(root, visit) as T;
  };
}

function compile(): void {
  const configFile = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) =>
    ts.sys.readFile(path),
  );
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const program = ts.createProgram(ENTRIES, {
    ...options,
    noEmit: false,
    allowImportingTsExtensions: false,
    declaration: true,
    rootDir: SRC,
    outDir: OUT,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const emitted = program.emit(undefined, undefined, undefined, false, {
    after: [rewriteModulePaths],
    afterDeclarations: [rewriteModulePaths],
  });
  const all = [...diagnostics, ...emitted.diagnostics];
  if (all.length > 0) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (name) => name,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => '\n',
    };
    throw new Error(ts.formatDiagnostics(all, host));
  }
}

/** The JavaScript of src/ that TypeScript does not compile (the workers' Node boot script). */
function copyScripts(folder = SRC): void {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) copyScripts(path);
    else if (entry.name.endsWith('.mjs')) cpSync(path, join(OUT, relative(SRC, path)));
  }
}

/** Replaces Vite's import.meta.glob of shaders/ with the sources themselves. */
function bundleShaders(): void {
  const folder = join(ROOT, 'shaders');
  const sources = Object.fromEntries(
    readdirSync(folder)
      .filter((file) => file.endsWith('.wgsl'))
      .sort()
      .map((file) => [file.slice(0, -'.wgsl'.length), readFileSync(join(folder, file), 'utf8')]),
  );
  writeFileSync(
    join(OUT, 'gpu', 'shader-sources.browser.js'),
    '// The WGSL shaders of shaders/, bundled by scripts/build-lib.ts.\n' +
      `export const browserShaderSources = ${JSON.stringify(sources, null, 2)};\n`,
  );
}

rmSync(OUT, { recursive: true, force: true });
compile();
copyScripts();
bundleShaders();
console.log(`built ${relative(ROOT, OUT)}/`);
