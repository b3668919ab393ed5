// ESLint with typescript-eslint's type-checked rules over every TypeScript file of tsconfig.json,
// the plain JavaScript rules over the .mjs entry points; formatting is Prettier's alone
// (eslint-config-prettier turns off the rules it would fight). `npm run eslint` runs this,
// `npm run lint` Prettier's check, and npm test both, each as its own stage.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Built, generated or installed: not ours to lint.
  {
    ignores: [
      'dist/',
      'site/',
      'out/',
      'node_modules/',
      'test-results/',
      'reports/',
      'playwright-report/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      // A leading underscore is this code's mark for a binding kept unused on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      // `async` without `await` keeps a Promise interface whose throws must become rejections.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['test/**', 'e2e/**'],
    rules: {
      // Tests read the JSON that the CLI and the pages write as a reader would, untyped: typing
      // it with the writer's own types would make the test trust what it checks.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
);
