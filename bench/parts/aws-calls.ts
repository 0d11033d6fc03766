import { randomUUID } from 'node:crypto';
import { request } from '../../test/support/local-stack';
import { runScenarios, type ScenarioRun } from '../lib/in-process';
import { log } from '../lib/log';
import { type BenchStack, diffCounts, UNRECORDED_FLOW } from '../lib/stack';
import { round } from '../lib/stats';

export interface AwsCallsRow {
  readonly handler: string;
  readonly what: string;
  readonly dedupe: string;
  /** Calls per request (per invocation; for SQS batches, per record too). */
  readonly calls: Record<string, number>;
  readonly constant: boolean;
  readonly dynamodbReads: number;
  readonly dynamodbWrites: number;
  readonly stepFunctions: number;
  readonly sqs: number;
  readonly recordsPerInvocation: number;
}

export interface AwsCallsResult {
  /** In process: each handler's deployed bundle, its SDK calls counted by wrapping the clients' send. */
  readonly perHandler: AwsCallsRow[];
  /** Through the gateway: sequential flow triggers, counted in the stack process. */
  readonly gatewayCrossCheck: {
    readonly requests: number;
    readonly withIdempotencyKey: Record<string, number>;
    readonly withoutIdempotencyKey: Record<string, number>;
    /** The same for hello-standard (a Standard workflow): a keyed claim names its run, no second write. */
    readonly standardWithIdempotencyKey?: Record<string, number>;
    /** hello-standard, every request repeating one Idempotency-Key whose run has started: the duplicate path. */
    readonly standardDuplicate?: Record<string, number>;
    /**
     * The same for hello-unrecorded (hello's guarded Express workflow, no delivery records): the claim is the one
     * write, the run guard names the run (functions/core/runs/run-guard.ts).
     */
    readonly expressUnrecordedWithIdempotencyKey?: Record<string, number>;
    /** hello-unrecorded, every request repeating one Idempotency-Key whose run has started: the duplicate path. */
    readonly expressUnrecordedDuplicate?: Record<string, number>;
  };
}

const READS = /^DynamoDB\.(GetItem|Query|Scan|BatchGetItem|TransactGetItems)$/;
const WRITES = /^DynamoDB\.(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/;
const sum = (calls: Record<string, number>, pattern: RegExp) =>
  round(
    Object.entries(calls)
      .filter(([op]) => pattern.test(op))
      .reduce((total, [, n]) => total + n, 0),
    3,
  );

export function callsRow(run: ScenarioRun): AwsCallsRow {
  return {
    handler: run.handler,
    what: run.what,
    dedupe: run.dedupe,
    calls: run.awsCalls,
    constant: run.awsCallsConstant,
    dynamodbReads: sum(run.awsCalls, READS),
    dynamodbWrites: sum(run.awsCalls, WRITES),
    stepFunctions: sum(run.awsCalls, /^SFN\.Start/),
    sqs: sum(run.awsCalls, /^SQS\./),
    recordsPerInvocation: run.recordsPerInvocation,
  };
}

/** AWS calls per flow trigger through the gateway, counted in the stack process over `n` sequential requests. */
export async function gatewayCalls(
  stack: BenchStack,
  n: number,
  withKey: boolean | 'repeated',
  flow = 'hello',
  body = '{"hello":"world"}',
): Promise<Record<string, number>> {
  const repeated = `bench-calls-${randomUUID()}`;
  const send = (key: string | undefined) =>
    request(`${stack.url}/flows/${flow}/trigger`, {
      method: 'POST',
      headers: { authorization: 'Bearer hf_local_dev_key', ...(key === undefined ? {} : { 'idempotency-key': key }) },
      body,
    });
  // The first request with the repeated key starts its run; the counted ones are its duplicates.
  if (withKey === 'repeated') await send(repeated);
  const before = await stack.counts({ newerThan: Date.now() });
  for (let i = 0; i < n; i++) {
    const key = withKey === 'repeated' ? repeated : withKey ? `bench-calls-${randomUUID()}` : undefined;
    const answer = await send(key);
    if (answer.status !== 202) throw new Error(`flow trigger answered ${answer.status}: ${answer.text}`);
  }
  const after = await stack.counts({ newerThan: Date.now() + 150 });
  return Object.fromEntries(
    Object.entries(diffCounts(before.counts, after.counts))
      .filter(([op]) => !/^SQS\.(ReceiveMessage|DeleteMessageBatch)$/.test(op)) // the idle fan-out poller
      .map(([op, { calls }]) => [op, round(calls / n, 3)]),
  );
}

/**
 * 5. AWS calls per webhook: each style's main request, run in process against the local stack's services
 * with the SDK clients instrumented; reuses the handler-CPU part's runs when it ran in the same invocation.
 * Cross-checked through the gateway for the flow trigger.
 */
export async function runAwsCalls(stack: BenchStack, handlerRuns?: readonly ScenarioRun[]): Promise<AwsCallsResult> {
  const runs =
    handlerRuns ??
    (await runScenarios(
      stack,
      { replay: false, warmup: 2, iterations: { '1KB': 10, '100KB': 0, none: 10 } },
      'aws-calls',
    ));
  const perHandler = runs.filter((r) => r.size === '1KB' || r.size === null).map(callsRow);
  const n = 20;
  log('aws-calls', `gateway cross-check: ${n} flow triggers with an Idempotency-Key and ${n} without`);
  const withKey = await gatewayCalls(stack, n, true);
  const withoutKey = await gatewayCalls(stack, n, false);
  log('aws-calls', `  with key ${JSON.stringify(withKey)}; without ${JSON.stringify(withoutKey)}`);
  const standardWithKey = await gatewayCalls(stack, n, true, 'hello-standard');
  const standardDuplicate = await gatewayCalls(stack, n, 'repeated', 'hello-standard');
  log(
    'aws-calls',
    `  hello-standard with key ${JSON.stringify(standardWithKey)}; duplicates ${JSON.stringify(standardDuplicate)}`,
  );
  const unrecordedWithKey = await gatewayCalls(stack, n, true, UNRECORDED_FLOW);
  const unrecordedDuplicate = await gatewayCalls(stack, n, 'repeated', UNRECORDED_FLOW);
  log(
    'aws-calls',
    `  ${UNRECORDED_FLOW} with key ${JSON.stringify(unrecordedWithKey)}; duplicates ${JSON.stringify(unrecordedDuplicate)}`,
  );
  return {
    perHandler,
    gatewayCrossCheck: {
      requests: n,
      withIdempotencyKey: withKey,
      withoutIdempotencyKey: withoutKey,
      standardWithIdempotencyKey: standardWithKey,
      standardDuplicate,
      expressUnrecordedWithIdempotencyKey: unrecordedWithKey,
      expressUnrecordedDuplicate: unrecordedDuplicate,
    },
  };
}
