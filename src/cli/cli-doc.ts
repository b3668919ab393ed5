// docs/cli.md, generated from the field table and the commands' docs: `npm run docs:cli`
// writes it, and test/cli/docs-current.test.ts fails when the file differs from this.
import { cliMarkdown } from './help';
import { COMMAND_DOCS } from './main';

export const CLI_DOC_PATH = 'docs/cli.md';

export const cliDocText = (): string => cliMarkdown(COMMAND_DOCS);
