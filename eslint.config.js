// ESLint (flat config): the recommended JavaScript and TypeScript rules over every TypeScript source; formatting is
// prettier's job (.prettierrc.json), types are tsc's (npm run build).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/build/**', 'reports/sample/**', 'test-logs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // unused names are tsc's (noUnusedLocals/Parameters), which knows about types; `_`-prefixed ones are deliberate
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      // a variable a closure reads before its one assignment (cli.ts's progress bar) stays a let
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-console': 'off',
    },
  },
);
