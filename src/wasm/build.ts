// `npm run wasm`: compiles every src/wasm/*.wat into its checked-in src/wasm/*.wasm.ts.
import { writeFileSync } from 'node:fs';
import { generatedModule, watSources } from './compile';

try {
  for (const name of watSources()) {
    const { path, text } = await generatedModule(name);
    writeFileSync(path, text);
    console.log(`${name} → ${path}`);
  }
} catch (error) {
  // wabt's message names the file, line and column; its stack is minified code.
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
