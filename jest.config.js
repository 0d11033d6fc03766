/**
 * Four tiers, each its own jest project and npm script: unit (pure rules, adapters against mocked
 * clients), infra (CDK Template assertions + cdk-nag), e2e (the local stack driven over HTTP), faults (the
 * crash suite: the local stack killed and restarted mid-request, test/faults/). A fifth, iam, runs after them
 * (npm test runs it in a second jest call): it simulates every AWS call the e2e run recorded against the
 * synthesized IAM roles, so it needs a finished e2e run.
 */
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'commonjs' } },
];
const common = {
  testEnvironment: 'node',
  transform: {
    // The console's page files are imported as text (functions/styles/console/http.ts); first match wins.
    'functions/styles/console/assets/.+\\.(html|css|js)$': '<rootDir>/test/support/text-transform.js',
    '^.+\\.(t|j|mj)s$': swc,
  },
  // @middy/core 7 and @octokit/webhooks-methods 6 are ESM-only: let swc turn them into CommonJS like our own sources.
  transformIgnorePatterns: ['/node_modules/(?!@middy/|@octokit/webhooks-methods/)'],
  moduleNameMapper: {
    '^@middy/([^/]+)$': '<rootDir>/node_modules/@middy/$1/index.js',
    '^@octokit/webhooks-methods$': '<rootDir>/node_modules/@octokit/webhooks-methods/dist-node/index.js',
  },
};

module.exports = {
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      // HOOKFLOW_DYNAMODB=dynamodb-local: one DynamoDB Local JVM for the tier (a no-op on dynalite).
      globalSetup: '<rootDir>/test/support/dynamodb-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/dynamodb-global-teardown.ts',
    },
    {
      ...common,
      displayName: 'infra',
      testMatch: ['<rootDir>/test/infra/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.iam\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      // Records every AWS call of every stack of this run into one folder (for the iam project).
      globalSetup: '<rootDir>/test/support/aws-calls-run.js',
    },
    // The crash suite: the local stack killed with SIGKILL at chosen and random points, restarted, retried.
    { ...common, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'] },
    { ...common, displayName: 'iam', testMatch: ['<rootDir>/test/infra/**/*.iam.test.ts'] },
    // The console in a real browser: Debian's Chromium driven by playwright-core (scripts/ensure-chromium.sh).
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser.test.ts'] },
  ],
};
