import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

// Shared memory for the CPU reference's Web Workers needs cross-origin isolation. The dev
// server and `vite preview` send the headers; a static host (GitHub Pages) sends none, and
// there coi-serviceworker adds them (see docs/publishing.md).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const COI_FILE = 'coi-serviceworker.js';

/**
 * Serves coi-serviceworker.js (from its npm package) at the root of the site, where the pages
 * load it with a classic <script> before anything else: its scope is then the whole site.
 */
function coiServiceWorker(): Plugin {
  const source = (): string =>
    readFileSync(createRequire(import.meta.url).resolve(`coi-serviceworker/${COI_FILE}`), 'utf8');
  return {
    name: 'mfld-coi-serviceworker',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        if (request.url?.split('?')[0] !== `/${COI_FILE}`) return next();
        response.setHeader('Content-Type', 'text/javascript');
        response.end(source());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: COI_FILE, source: source() });
    },
  };
}

export default defineConfig({
  // Relative URLs: the built site works at any path (a GitHub Pages project site is at /REPO/).
  base: './',
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  plugins: [coiServiceWorker()],
  build: {
    target: 'es2022',
    // dist/ holds the library (npm run build:lib); the site goes to site/.
    outDir: 'site',
    emptyOutDir: true,
    rollupOptions: {
      // The study at /, the benchmark at /bench/, the minimal example at /examples/minimal/.
      input: {
        study: resolve(import.meta.dirname, 'index.html'),
        bench: resolve(import.meta.dirname, 'bench/index.html'),
        minimal: resolve(import.meta.dirname, 'examples/minimal/index.html'),
      },
    },
  },
});
