/**
 * The e2e project's globalSetup: one fresh folder per jest run for the AWS calls the handlers make
 * (functions/adapters/aws/clients.ts records them; test/support/local-stack.ts turns that on for every stack),
 * and a `latest` file naming it, for the iam project to simulate once the e2e run is over. Set here, in the
 * parent process, the variable reaches every jest worker and every stack they start.
 */
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const base = join(__dirname, '..', '..', 'node_modules', '.cache', 'hookflow', 'aws-calls');

module.exports = async function recordAwsCallsOfThisRun() {
  if (process.env.HOOKFLOW_RECORD_AWS_CALLS) return; // a caller chose the folder
  // Earlier runs' folders go: only the latest run is simulated.
  rmSync(base, { recursive: true, force: true });
  const folder = join(base, `run-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(base, 'latest'), folder);
  process.env.HOOKFLOW_RECORD_AWS_CALLS = folder;
};
module.exports.awsCallsBase = base;
