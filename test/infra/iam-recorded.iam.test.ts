/**
 * IAM both ways, from what the handlers really did: every AWS call the e2e run recorded
 * (functions/adapters/aws/clients.ts, HOOKFLOW_RECORD_AWS_CALLS) is simulated with @cloud-copilot/iam-simulate
 * against the synthesized role of its handler's function, and every action a handler's role grants must be
 * one some recorded call used (or one the Lambda service uses on the function's behalf, or a path listed
 * below with the reason e2e cannot reach it). Runs as the jest project `iam`, after the e2e project
 * (npm test; alone: npm run test:e2e && npm run test:iam).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedAwsCall } from '../../functions/adapters/aws/clients';
import { ACCOUNT, type IamRequest, REGION, ReferenceStack, simulate } from './iam-support';

/** Where test/support/aws-calls-run.js (the e2e project's globalSetup) names the latest run's folder. */
const awsCallsBase = join(__dirname, '..', '..', 'node_modules', '.cache', 'hookflow', 'aws-calls');

/** The local stack's table names (local/start.ts), as the reference stack's tables. */
const LOCAL_TABLES: Record<string, 'registry' | 'dedupe'> = {
  'hookflow-registry': 'registry',
  'hookflow-dedupe': 'dedupe',
};
/** The local fan-out queue (local/start.ts); `-missing` is its fault injection (HOOKFLOW_LOCAL_SQS_FAIL_SENDS). */
const LOCAL_QUEUE = 'hookflow-fanout';
const FAULT_INJECTED_QUEUE = `${LOCAL_QUEUE}-missing`;
/** The local bodies bucket (local/start.ts), as the reference stack's (lib/hookflow-bodies.ts). */
const LOCAL_BUCKET = 'hookflow-bodies';

/**
 * Granted actions no handler code calls: the Lambda service takes them with the function's role.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html (logs),
 * https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html (active tracing),
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html (the SQS event source mapping polls,
 * deletes and extends visibility with the function's execution role).
 */
const USED_BY_LAMBDA: Record<string, string> = {
  'logs:CreateLogStream': 'Lambda writes the function logs',
  'logs:PutLogEvents': 'Lambda writes the function logs',
  'xray:PutTraceSegments': 'active tracing',
  'xray:PutTelemetryRecords': 'active tracing',
  'sqs:ReceiveMessage': 'the SQS event source mapping',
  'sqs:DeleteMessage': 'the SQS event source mapping',
  'sqs:ChangeMessageVisibility': 'the SQS event source mapping',
  'sqs:GetQueueAttributes': 'the SQS event source mapping',
  'sqs:GetQueueUrl': 'the SQS event source mapping',
};

/**
 * Code paths the e2e suite reaches only by timing (a retry that arrives after the first run has ended, in the
 * crash suite or under concurrency): exempt from the check below that an unreached path stays unreached.
 */
const TAKEN_NAME = {
  'states:DescribeExecution':
    'a Standard start whose name an ended run already took (ExecutionAlreadyExists) reads that run (sfn-engine.ts describeExisting); reached only when a retry comes after the first run ended',
};
/**
 * A claim's UpdateItem, by time or by workflow: a take-over of a claim whose owner died (past DEDUPE_LEASE_SECONDS,
 * DynamoDbDedupeStore.replaceOwner), or recording the run of an Express workflow without the run guard
 * (DynamoDbDedupeStore.complete). The demo's Express workflows all start with the guard, whose item names a keyed
 * run (functions/core/runs/run-guard.ts), so the e2e requests of these handlers record none on their claims.
 */
const CLAIM_UPDATE = {
  'dynamodb:UpdateItem':
    "takes over a dead owner's claim, or records the run of an Express workflow without the run guard, on its claim",
};
const SOMETIMES_REACHED: Record<string, Record<string, string>> = {
  // Never called by code: with it, S3 answers a GetObject of a missing key with NoSuchKey rather than AccessDenied
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"), so an expired body reads
  // as gone (410), not as a permissions fault. Needed only when a record outlives its body.
  'deliveries-api': {
    's3:ListBucket': 'what makes a missing body NoSuchKey (gone) instead of AccessDenied',
    // Also an if-no-run replay of an inbound item whose run never started (its claim is the run record
    // GET /inbound/runs reads: recordRun).
    ...CLAIM_UPDATE,
  },
  'client-webhook': CLAIM_UPDATE,
  'flow-trigger': TAKEN_NAME,
  inbound: TAKEN_NAME,
  'inbound-fanout': TAKEN_NAME,
  'event-webhook': TAKEN_NAME,
  'event-intake': TAKEN_NAME,
};
/**
 * Code paths the e2e suite cannot reach, each with its reason. Keep it short: every entry is a grant no test
 * has shown to be needed.
 */
const UNREACHED: Record<string, Record<string, string>> = {};

function recordedCalls(): { folder: string; calls: RecordedAwsCall[] } {
  const pointer = join(awsCallsBase, 'latest');
  const folder =
    process.env.HOOKFLOW_RECORD_AWS_CALLS ?? (existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : '');
  if (folder === '' || !existsSync(folder)) return { folder, calls: [] };
  const calls = readdirSync(folder)
    .filter((file) => file.endsWith('.jsonl'))
    .flatMap((file) => readFileSync(join(folder, file), 'utf8').split('\n'))
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RecordedAwsCall);
  return { folder, calls };
}

const reference = new ReferenceStack();
const roles = reference.handlerRoles();
const machines = new Map(reference.stateMachines().map((m) => [m.name, reference.stateMachineName(m.logicalId)]));
const { folder, calls } = recordedCalls();

/** A state machine ARN of the local stack as the reference stack's (by workflow name). */
function deployedStateMachine(localName: string): string {
  const name = machines.get(localName);
  if (name === undefined) throw new Error(`state machine ${localName} is not in the reference stack`);
  return name;
}

/** The IAM requests one recorded call makes, or 'fault' for a call aimed at a fault-injected resource. */
function iamRequests(call: RecordedAwsCall): IamRequest[] | 'fault' {
  const action = `${call.service}:${call.action}`;
  if (call.service === 'dynamodb') {
    return (call.tables ?? []).map(({ table, leadingKeys, index }) => {
      const kind = LOCAL_TABLES[table];
      if (kind === undefined) throw new Error(`table ${table} is not one of the reference stack's`);
      return {
        action,
        resource: index === undefined ? reference.tableArn(kind) : `${reference.tableArn(kind)}/index/${index}`,
        ...(leadingKeys.length === 0 ? {} : { context: { 'dynamodb:LeadingKeys': [...leadingKeys] } }),
      };
    });
  }
  if (call.service === 'sqs') {
    const queue = call.queueUrl?.split('/').at(-1);
    if (queue === FAULT_INJECTED_QUEUE) return 'fault';
    if (queue !== LOCAL_QUEUE) throw new Error(`queue ${call.queueUrl} is not the reference stack's`);
    // SendMessageBatch is authorized as sqs:SendMessage:
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html
    return [{ action: action.replace(/Batch$/, ''), resource: reference.fanoutQueueArn() }];
  }
  if (call.service === 's3') {
    if (call.bucket !== LOCAL_BUCKET) throw new Error(`bucket ${call.bucket} is not the reference stack's`);
    // GetObject of a key that may be gone is also authorized against s3:ListBucket (lib/hookflow-bodies.ts).
    return [{ action, resource: `${reference.bodiesBucketArn()}/${call.key}` }];
  }
  if (call.stateMachineArn !== undefined) {
    const local = call.stateMachineArn.split(':').at(-1)!;
    return [{ action, resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${deployedStateMachine(local)}` }];
  }
  if (call.executionArn !== undefined) {
    // arn:aws:states:REGION:ACCOUNT:(execution|express):STATE_MACHINE:NAME[:ID]
    const [kind, local, ...rest] = call.executionArn.split(':').slice(5);
    return [
      {
        action,
        resource: `arn:aws:states:${REGION}:${ACCOUNT}:${kind}:${deployedStateMachine(local!)}:${rest.join(':')}`,
      },
    ];
  }
  // SendTaskSuccess / SendTaskFailure name a task token, no resource:
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
  return [{ action, resource: '*' }];
}

describe('IAM: every AWS call the e2e run recorded', () => {
  it('has calls to check (run the e2e project first: npm run test:e2e)', () => {
    expect({ folder, recorded: calls.length > 0 }).toEqual({ folder, recorded: true });
  });

  it("is allowed by the synthesized role of the handler's function", async () => {
    // Arrange: one simulation per distinct request (the suite repeats many calls)
    const distinct = new Map<string, { handler: string; request: IamRequest }>();
    let faults = 0;
    for (const call of calls) {
      const requests = iamRequests(call);
      if (requests === 'fault') {
        faults++;
        continue;
      }
      for (const request of requests)
        distinct.set(JSON.stringify([call.handler, request]), { handler: call.handler, request });
    }
    // Act
    const denied: unknown[] = [];
    for (const { handler, request } of distinct.values()) {
      const role = roles.get(handler);
      if (role === undefined) throw new Error(`recorded handler ${handler} has no function in the reference stack`);
      const decision = await simulate(reference.statementsOf(role), request);
      if (decision !== 'Allowed') denied.push({ handler, ...request, decision });
    }
    process.stdout.write(
      `[iam] ${calls.length} recorded AWS calls (${faults} to a fault-injected queue), ${distinct.size} distinct requests simulated: ${distinct.size - denied.length} allowed, ${denied.length} denied\n`,
    );
    // Assert
    expect(denied).toEqual([]);
  });

  it.each([...roles.keys()])('grants %s no action that no recorded call used', (handler) => {
    const used = new Set(
      calls
        .filter((call) => call.handler === handler)
        .flatMap((call) => {
          const requests = iamRequests(call);
          return requests === 'fault' ? [] : requests.map((r) => r.action);
        }),
    );
    const unused = [...reference.allowedActions(roles.get(handler)!)].filter(
      (action) =>
        !used.has(action) &&
        !(action in USED_BY_LAMBDA) &&
        !(action in (UNREACHED[handler] ?? {})) &&
        !(action in (SOMETIMES_REACHED[handler] ?? {})),
    );
    expect(unused).toEqual([]);
  });

  it('lists no unreached path that the e2e run did reach (the allowlist shrinks as tests grow)', () => {
    const reached = Object.entries(UNREACHED).flatMap(([handler, actions]) =>
      Object.keys(actions).filter((action) =>
        calls.some((call) => call.handler === handler && `${call.service}:${call.action}` === action),
      ),
    );
    expect(reached).toEqual([]);
  });
});
