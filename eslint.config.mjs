// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const coreFolders = ['src/law/**', 'src/fit/**', 'src/runs/**', 'src/train/**', 'src/ptq/**'];

export default tseslint.config(
  { ignores: ['dist/**', '**/node_modules/**', 'out/**', 'test-results/**', '.e2e/**', 'bench/results/**', '*.vsix', '.code-server/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Warnings, not errors: they point a reader at the functions to split next (ARCHITECTURE.md).
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    rules: {
      'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true }],
      complexity: ['warn', 25],
    },
  },
  {
    // The core runs unchanged in node:test, the CLI and the trainer worker: no editor API in it.
    files: coreFolders,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The core (law, fit, runs, train, ptq) must not depend on VS Code.' }],
          patterns: [{ group: ['**/extension/**', '**/extension'], message: 'The core must not import the VS Code adapters.' }],
        },
      ],
    },
  },
  {
    files: ['esbuild.js', 'scripts/**/*.js', 'scripts/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { require: 'readonly', process: 'readonly', console: 'readonly', __dirname: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
