// Lint: typescript-eslint's recommended rules, plus what keeps tests honest (no .only, no .skip).
import tseslint from 'typescript-eslint';

// Clients measured against the AWS SDK by bench/support/sdk-alternatives.ts, devDependencies for that only: nothing
// deployed or run by the local stack may import them (docs/performance.md, "The decision the target needs").
const benchOnlyClients = {
  group: ['aws4', '@aws-lite/*'],
  message: 'a bench-only devDependency (bench/support/sdk-alternatives.ts); handlers use the AWS SDK',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.hookflow/', 'coverage/', 'dist/', 'docs/api/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only', message: 'a focused test hides the others' },
        { object: 'it', property: 'only', message: 'a focused test hides the others' },
        { object: 'test', property: 'only', message: 'a focused test hides the others' },
        { object: 'describe', property: 'skip', message: 'a skipped test cannot fail' },
        { object: 'it', property: 'skip', message: 'a skipped test cannot fail' },
        { object: 'test', property: 'skip', message: 'a skipped test cannot fail' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'xit', message: 'a skipped test cannot fail' },
        { name: 'xdescribe', message: 'a skipped test cannot fail' },
        { name: 'fit', message: 'a focused test hides the others' },
        { name: 'fdescribe', message: 'a focused test hides the others' },
      ],
    },
  },
  {
    // Handlers' schemas on zod/mini through one module (docs/performance.md, "Cold start"): one import of zod's
    // full API would put it back in every bundle that reaches it.
    files: ['functions/**/*.ts'],
    ignores: ['functions/core/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^zod(/|$)',
              message:
                "import zod from functions/core/zod.ts (zod/mini, English messages registered): zod's full API costs every cold start",
            },
            benchOnlyClients,
          ],
        },
      ],
    },
  },
  {
    // The core speaks in domain outcomes and talks to ports: no HTTP, no Lambda event types, no AWS SDK.
    // test/unit/core/layering.test.ts checks the same on the import graph.
    files: ['functions/core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['aws-lambda', '@types/aws-lambda'], message: 'the core takes plain inputs, not Lambda events' },
            { group: ['@aws-sdk/*'], message: 'the core talks to ports; adapters talk to AWS' },
            { group: ['@middy/*'], message: 'middleware belongs at the edge (functions/http)' },
            { group: ['**/http/*', '**/http'], message: 'the core throws domain outcomes; functions/http maps them' },
            {
              regex: '^zod(/|$)',
              message:
                "import zod from functions/core/zod.ts (zod/mini, English messages registered): zod's full API costs every cold start",
            },
            benchOnlyClients,
          ],
        },
      ],
    },
  },
  {
    files: ['lib/**/*.ts', 'local/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [benchOnlyClients] }] },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The one module that imports zod (and imports nothing the core may not).
    files: ['functions/core/zod.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
);
