import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_DOC_PATH, cliDocText } from '../../src/cli/cli-doc';

describe('docs/cli.md', () => {
  it('is what `npm run docs:cli` writes from the field table (run it after changing a flag)', () => {
    const written = readFileSync(join(resolve(import.meta.dirname, '../..'), CLI_DOC_PATH), 'utf8');
    expect(written).toBe(cliDocText());
  });
});
