// `npm run wasm`: compiles every src/wasm/*.wat into its checked-in src/wasm/*.wasm.ts.
import { writeFileSync } from 'node:fs';
import { generatedModule, watSources } from './compile';

for (const name of watSources()) {
  const { path, text } = await generatedModule(name);
  writeFileSync(path, text);
  console.log(`${name} → ${path}`);
}
