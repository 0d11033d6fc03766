// Counts the AWS SDK v3 commands a process sends, by wrapping `send` on the DynamoDB, Step Functions and SQS
// client classes (their prototypes, so every instance counts, including the ones hookflow's bundled handlers
// create: their @aws-sdk imports are external and resolve to these very classes).
//
// Two uses:
// - required by the bench process itself (handlers run in process): `snapshot()` between invocations;
// - preloaded into the local stack with NODE_OPTIONS=--require <this file> and HOOKFLOW_BENCH_COUNTS_FILE set:
//   the stack's main process (local/start.ts) installs it and writes a snapshot to that file (and at exit); the
//   local Step Functions endpoint's process (local/stepfunctions/stepfunctions-process.ts: the workflows' own
//   calls, such as the Express run guard's PutItem) writes its own to `<file>.stepfunctions`, which the bench adds
//   in (bench/lib/stack.ts). tsx's CLI, dynalite and fauxqs inherit NODE_OPTIONS too and are left alone.
//
// Counting costs one object lookup and one increment per command; it is not on any hot path worth measuring.
'use strict';

const { renameSync, writeFileSync } = require('node:fs');

const clients = [
  ['@aws-sdk/client-dynamodb', 'DynamoDBClient', 'DynamoDB'],
  ['@aws-sdk/client-sfn', 'SFNClient', 'SFN'],
  ['@aws-sdk/client-sqs', 'SQSClient', 'SQS'],
  // The body store (docs/deliveries.md, "Where bodies live"): a recorded body over the inline limit is one PutObject.
  ['@aws-sdk/client-s3', 'S3Client', 'S3'],
];

/** `${service}.${operation}` -> { calls, ok, failed, entries, lastOkAt } */
const counts = Object.create(null);

function entryFor(key) {
  let entry = counts[key];
  if (entry === undefined) {
    entry = { calls: 0, ok: 0, failed: 0, entries: 0, lastOkAt: 0 };
    counts[key] = entry;
  }
  return entry;
}

/** Batch sizes: SQS entries, DynamoDB batch/transaction items; 1 for everything else. */
function entriesOf(operation, input) {
  if (input === undefined || input === null) return 1;
  if (Array.isArray(input.Entries)) return input.Entries.length;
  if (Array.isArray(input.TransactItems)) return input.TransactItems.length;
  if (input.RequestItems !== undefined && typeof input.RequestItems === 'object') {
    return Object.values(input.RequestItems).reduce(
      (sum, items) => sum + (Array.isArray(items) ? items.length : (items?.Keys?.length ?? 0)),
      0,
    );
  }
  return 1;
}

function install() {
  if (globalThis.__hookflowBenchCounter !== undefined) return globalThis.__hookflowBenchCounter;
  const installed = [];
  for (const [pkg, className, service] of clients) {
    let mod;
    try {
      mod = require(pkg);
    } catch {
      continue;
    }
    const Client = mod[className];
    if (typeof Client !== 'function') continue;
    const base = Object.getPrototypeOf(Client.prototype).send;
    Object.defineProperty(Client.prototype, 'send', {
      configurable: true,
      writable: true,
      value: function send(command, ...rest) {
        const operation = String(command?.constructor?.name ?? 'Unknown').replace(/Command$/, '');
        const entry = entryFor(`${service}.${operation}`);
        entry.calls += 1;
        entry.entries += entriesOf(operation, command?.input);
        const result = base.call(this, command, ...rest);
        if (result !== undefined && result !== null && typeof result.then === 'function') {
          result.then(
            () => {
              entry.ok += 1;
              entry.lastOkAt = Date.now();
            },
            () => {
              entry.failed += 1;
            },
          );
        }
        return result;
      },
    });
    installed.push(service);
  }
  const api = {
    installed,
    /** A copy of every counter, with the time it was taken. */
    snapshot: () => ({ at: Date.now(), counts: JSON.parse(JSON.stringify(counts)) }),
  };
  globalThis.__hookflowBenchCounter = api;
  return api;
}

const stackCountsFile = process.env.HOOKFLOW_BENCH_COUNTS_FILE;
const isStackMain = process.argv.some((arg) => /local[\\/]start\.ts$/.test(arg));
const isStepFunctions = process.argv.some((arg) => /local[\\/]stepfunctions[\\/]stepfunctions-process\.ts$/.test(arg));
const countsFile = isStepFunctions ? `${stackCountsFile}.stepfunctions` : stackCountsFile;
if (
  stackCountsFile !== undefined &&
  stackCountsFile !== '' &&
  (isStackMain || isStepFunctions) &&
  process.execArgv.some((a) => /tsx/.test(a))
) {
  const api = install();
  // Written every 250 ms when the counts changed, else every second (a reader waits for a snapshot newer than its
  // call): at every 100 ms, the write and rename were 4% of the stack process's busy CPU under the gateway part's
  // load (about 2 ms each on this file system), instrumentation charged to hookflow.
  let written = '';
  let lastWriteAt = 0;
  const write = () => {
    const snapshot = api.snapshot();
    const counts = JSON.stringify(snapshot.counts);
    if (counts === written && Date.now() - lastWriteAt < 1_000) return;
    written = counts;
    lastWriteAt = Date.now();
    try {
      const tmp = `${countsFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(snapshot));
      renameSync(tmp, countsFile);
    } catch {
      // the bench may have removed the folder while the stack stops
    }
  };
  write();
  setInterval(write, 250).unref();
  process.on('exit', write);
}

module.exports = { install };
