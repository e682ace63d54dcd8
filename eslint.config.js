// Lint: ESLint's recommended rules plus typescript-eslint's, over everything tsc compiles.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', 'test-artifacts/', 'docs/api/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', Buffer: 'readonly', console: 'readonly', setTimeout: 'readonly',
        clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly',
        setImmediate: 'readonly', clearImmediate: 'readonly', URL: 'readonly', queueMicrotask: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'prefer-const': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  // The command line is its own package (@h2kit/cli): it uses the library through the entry
  // points users have (h2kit, h2kit/hpack, h2kit/connection), never a relative path out of src/cli.
  ...[
    { files: ['src/cli/*.ts'], group: ['../*'] },
    { files: ['src/cli/*/*.ts'], group: ['../../*'] },
  ].map(({ files, group }) => ({
    files,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group, message: "src/cli is the @h2kit/cli package: import the library as 'h2kit', 'h2kit/hpack' or 'h2kit/connection'." }],
      }],
    },
  })),
);
