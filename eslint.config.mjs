// Type-aware linting for every package; each package runs `eslint <its folders>`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.next/**',
      '**/generated/**',
      '**/*.mjs',
      '**/*.d.mts',
      '**/next-env.d.ts',
      // Checked by its own test (tsc against types generated at test time, with @ts-expect-error lines).
      'apps/web/test/openapi-client/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // The web app's browser code: zod stays out of its bundle (packages/contracts/src/rules.ts says why),
    // so it takes values from `@portal/contracts/browser` and only types from the package root; the
    // server packages bring zod with them, so types only from those too. app/docs/reference.ts runs on
    // the server alone.
    files: ['apps/web/app/**', 'apps/web/lib/**'],
    ignores: ['apps/web/app/docs/reference.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@portal/contracts',
              allowTypeImports: true,
              message: 'Import values from @portal/contracts/browser.',
            },
            ...['@portal/api', '@portal/core', '@portal/db'].map((name) => ({
              name,
              allowTypeImports: true,
              message: 'Server code: the browser bundle takes only its types.',
            })),
            { name: 'zod', message: 'The browser bundle carries no zod: use the checks in @portal/contracts/browser.' },
          ],
          patterns: [{ group: ['zod/*'], message: 'The browser bundle carries no zod.' }],
        },
      ],
    },
  },
  {
    // What @portal/contracts/browser exports stays free of zod.
    files: ['packages/contracts/src/{browser,errors,etag,rules,transport}.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['zod'], patterns: ['zod/*'] }],
    },
  },
  {
    files: ['**/test/**'],
    rules: {
      // Assertions read fields of parsed JSON bodies.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
