// The layers of src/: which folder may import which. Read from the import statements
// themselves (static, type-only, re-exports and dynamic import()), so a new edge that crosses
// a layer the wrong way fails here, and an allowance nobody uses any more must go too.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
/** The files directly in src/: the library's entry points, which may import any layer. */
const ENTRY = '(entry)';

/**
 * What each folder of src/ may import, besides itself: a whole folder ('cpu') or one
 * module of it ('cpu/pool'). The engines sit on the contract; the study on any Simulation,
 * never on an engine; the front ends (cli, page) and the benchmark on everything below.
 */
const ALLOWED: Record<string, { readonly imports: readonly string[]; readonly why: string }> = {
  contract: {
    imports: [],
    why: 'SPEC in code, which everything else is held to: depends on nothing',
  },
  wasm: { imports: [], why: 'the constant WebAssembly modules and their loader' },
  plot: { imports: [], why: 'axis ticks and SVG drawing, free of the model' },
  cpu: {
    imports: ['contract', 'wasm'],
    why: 'the CPU engine, with its inner loops in WebAssembly',
  },
  gpu: {
    imports: ['contract', 'cpu/pool'],
    why: 'the WebGPU engine; cpu/pool only for the host memory a software adapter draws on',
  },
  io: { imports: ['contract'], why: 'file formats (npy, checkpoints) of the contract types' },
  data: { imports: ['contract', 'io/file-error'], why: 'data sets; io only for the CSV errors' },
  study: {
    imports: ['contract', 'data'],
    why: 'runs and sweeps on any Simulation: no engine, no front end',
  },
  bench: {
    imports: ['contract', 'cpu', 'data', 'gpu', 'node/gpu', 'study', 'wasm'],
    why: 'times both engines against their limits; node/ only for run-bench.ts, its Node host',
  },
  node: { imports: ['contract', 'cpu', 'gpu'], why: 'opens the engines in Node' },
  cli: {
    imports: ['bench', 'contract', 'cpu', 'data', 'gpu', 'io', 'node', 'plot', 'study'],
    why: 'the `mfld` front end in Node: everything but the page',
  },
  page: {
    imports: ['contract', 'cpu', 'data', 'gpu', 'io', 'plot', 'study'],
    why: 'the study page in the browser: nothing of Node (node/, cli/) or of the bench',
  },
};

interface Edge {
  /** The importing file, relative to src/. */
  readonly file: string;
  readonly from: string;
  /** The imported module, relative to src/ and without its extension. */
  readonly module: string;
  readonly to: string;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The folder of src/ a path (relative to src/, '/'-separated) lies in. */
function layerOf(path: string): string {
  const parts = path.split('/');
  return parts.length > 1 ? parts[0]! : ENTRY;
}

/** Every import of one layer by another in `source` (a file at `file`, relative to src/). */
function crossLayerImports(file: string, source: string): Edge[] {
  const from = layerOf(file);
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((name) => name.startsWith('.'))
    .flatMap((name) => {
      const target = relative(SRC, resolve(SRC, dirname(file), name))
        .split(sep)
        .join('/');
      if (target.startsWith('..')) return []; // shaders/ and the like, outside src/
      const module = target.replace(/\.(ts|js)$/, '');
      const to = layerOf(module);
      return to === from ? [] : [{ file, from, module, to }];
    });
}

function allows(allowed: readonly string[], edge: Edge): boolean {
  return allowed.some((entry) => entry === edge.to || edge.module === entry);
}

const edges = sourceFiles(SRC).flatMap((path) =>
  crossLayerImports(relative(SRC, path).split(sep).join('/'), readFileSync(path, 'utf8')),
);

describe('the layers of src/', () => {
  it('has a row in the table for every folder', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.filter((folder) => !(folder in ALLOWED))).toEqual([]);
  });

  it.each(Object.entries(ALLOWED))('%s imports only what the table allows', (layer, rule) => {
    const forbidden = edges
      .filter((edge) => edge.from === layer && !allows(rule.imports, edge))
      .map((edge) => `${edge.file} imports ${edge.module}`);
    expect(forbidden).toEqual([]);
  });

  it.each(Object.entries(ALLOWED))('%s uses every import the table allows it', (layer, rule) => {
    const unused = rule.imports.filter(
      (entry) => !edges.some((edge) => edge.from === layer && allows([entry], edge)),
    );
    expect(unused).toEqual([]);
  });

  it.each([
    ['a static import', "import { x } from '../gpu/simulation';", 'gpu/simulation'],
    ['a type-only import', "import type { X } from '../page/main';", 'page/main'],
    ['a re-export', "export { x } from '../cli/main';", 'cli/main'],
    ['a dynamic import', "const m = await import('../node/gpu');", 'node/gpu'],
  ])('sees %s as an edge', (_kind, source, module) => {
    expect(crossLayerImports('study/example.ts', source).map((edge) => edge.module)).toEqual([
      module,
    ]);
  });
});
