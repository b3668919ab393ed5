// ESLint with typescript-eslint's type-checked rules over every TypeScript file of tsconfig.json,
// the plain JavaScript rules over the .mjs entry points; formatting is Prettier's alone
// (eslint-config-prettier turns off the rules it would fight). `npm run lint` runs both.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Built, generated or installed: not ours to lint.
  {
    ignores: ['dist/', 'site/', 'node_modules/', 'test-results/', 'reports/', 'playwright-report/'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node, ...globals.browser },
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
);
