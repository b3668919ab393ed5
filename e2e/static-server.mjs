// A plain static file server, as GitHub Pages or any file host is: no COOP/COEP headers, the
// site under a path prefix (a project site's /REPO/), a folder's index.html, a redirect from a
// folder named without its slash. The built-site tests (e2e/built/) run against it.
// Usage: node e2e/static-server.mjs ROOT PORT PREFIX
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

const [root = 'site', port = '5184', prefix = '/mfld/'] = process.argv.slice(2);

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

createServer((request, response) => {
  const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://host').pathname);
  if (`${pathname}/` === prefix) return redirect(response, prefix);
  if (!pathname.startsWith(prefix)) return notFound(response);
  // normalize() folds any ../ before the path is joined to the root.
  let file = join(root, normalize(`/${pathname.slice(prefix.length)}`));
  if (!isFile(file) && isFile(join(file, 'index.html'))) {
    if (!pathname.endsWith('/')) return redirect(response, `${pathname}/`);
    file = join(file, 'index.html');
  }
  if (!isFile(file)) return notFound(response);
  response.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(response);
}).listen(Number(port), () => console.log(`serving ${root} at http://localhost:${port}${prefix}`));

function redirect(response, location) {
  response.writeHead(301, { Location: location });
  response.end();
}

function notFound(response) {
  response.writeHead(404, { 'Content-Type': 'text/plain' });
  response.end('not found');
}
