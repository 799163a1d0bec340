// Lint: typescript-eslint's recommended rules (syntax-level and fast; `npm run typecheck` runs tsc);
// formatting is Prettier's (`npm run format`), checked by `npm run lint`.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/', 'cdk.out/', 'dist/', 'test/artifacts/', 'bench/data/', '.mailflow*/', 'demo-exports/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Test fakes and JSON fixtures are typed loosely on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // A focused or skipped test passes CI while testing less: neither may be committed.
    files: ['test/**/*.ts'],
    // test:aws is opt-in by design: it runs only when MAILFLOW_AWS_STACK names a deployed stack.
    ignores: ['test/aws/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['it', 'test', 'describe'].flatMap((object) =>
          ['only', 'skip', 'todo', 'skipIf', 'runIf'].map((property) => ({
            object,
            property,
            message: `${object}.${property} runs less than the suite: remove it before committing`,
          })),
        ),
      ],
    },
  },
);
