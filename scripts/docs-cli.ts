// `npm run docs:cli`: writes docs/cli.md from the field table (src/cli/cli-doc.ts).
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLI_DOC_PATH, cliDocText } from '../src/cli/cli-doc';

const path = join(resolve(import.meta.dirname, '..'), CLI_DOC_PATH);
writeFileSync(path, cliDocText());
process.stdout.write(`wrote ${CLI_DOC_PATH}\n`);
