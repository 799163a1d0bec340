// Lint: typescript-eslint's recommended rules (syntax-level and fast; `npm run typecheck` runs tsc).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/', 'cdk.out/', 'test/artifacts/', 'bench/data/', '.mailflow*/', 'demo-exports/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // Test fakes and JSON fixtures are typed loosely on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
