/**
 * The synthesized roles, checked with @cloud-copilot/iam-simulate (AWS's evaluation logic, not ours): what
 * each state machine's Task states call is allowed, nothing else is granted, and what must be refused is.
 * The handlers' recorded calls are simulated in iam-recorded.iam.test.ts, after the e2e run.
 */
import { handlers } from '../../functions/routes';
import {
  type RegistryPartition,
  registryPartitionPrefixes,
  apiKeyKey,
  clientWebhookKey,
  eventSubscriptionPartition,
  eventWorkflowKey,
  flowKey,
  inboundSecretKey,
  inboundVerifierKey,
  inboundWorkflowKey,
  orgWebhooksPartition,
  webhookPartition,
  webhookTemplatePartition,
  dedupePartitionPrefixes,
  DELIVERIES_INDEX,
  processKey,
  waitKey,
} from '../../functions/adapters/aws/registry-items';
import { ACCOUNT, REGION, ReferenceStack, type IamRequest, simulate } from './iam-support';
import { KEY_KINDS, compositeKey } from '../../functions/core/keys';
import { runRefFor } from '../../functions/styles/inbound/run-refs';

const reference = new ReferenceStack();
const roles = reference.handlerRoles();
const registry = reference.tableArn('registry');
const dedupe = reference.tableArn('dedupe');
/** Denials the tests below expect (each one asserted), for the printed count. */
let denials = 0;
const decide = async (handler: string, request: IamRequest) => {
  const decision = await simulate(reference.statementsOf(roles.get(handler)!), request);
  if (decision !== 'Allowed') denials++;
  return decision;
};
const item = (table: string, action: string, ...leadingKeys: string[]): IamRequest => ({
  action: `dynamodb:${action}`,
  resource: table,
  context: { 'dynamodb:LeadingKeys': leadingKeys },
});

/**
 * Who may read each registry partition that holds a secret or a key hash: only the handlers that check it.
 * docs/iam.md ("Who can read a secret") says the same in prose; this is the test that holds it.
 */
// The deliveries API reads the registrations a replay re-resolves (docs/iam.md says why): their items hold these.
const secretReaders: Partial<Record<RegistryPartition, readonly string[]>> = {
  flows: ['deliveries-api', 'flow-trigger'], // a flow's verifier secrets
  'api-keys': ['deliveries-api', 'flow-trigger', 'webhook-admin', 'webhook-process-status'], // API key hashes
  'client-webhooks': ['client-webhook', 'deliveries-api'], // the webhook's key hash and verifier secrets
  'inbound-secret': ['inbound', 'inbound-run-status'], // Inbound-Webhook-Secret hashes only
  'inbound-verifier': ['inbound'], // inbound's verifier secrets: only the route that verifies
  'event-workflows': ['deliveries-api', 'event-webhook', 'event-intake'], // verifier secrets: both routes verify them
  webhooks: ['deliveries-api', 'webhook-admin', 'webhook-trigger'], // registered webhooks' signing secrets
};

describe('IAM: the registry partitions a handler may read', () => {
  it('keeps every registry key function inside its declared partition prefix', () => {
    // Arrange: one key of each kind, as the adapters build them
    const keys: Record<RegistryPartition, string> = {
      flows: flowKey('f').pk,
      'api-keys': apiKeyKey('h').pk,
      'client-webhooks': clientWebhookKey('c', 'n').pk,
      'inbound-workflows': inboundWorkflowKey('w').pk,
      'inbound-secret': inboundSecretKey().pk,
      'inbound-verifier': inboundVerifierKey().pk,
      'event-workflows': eventWorkflowKey('r').pk,
      'event-subscriptions': eventSubscriptionPartition('t'),
      'webhook-templates': webhookTemplatePartition('o'),
      webhooks: webhookPartition('w'),
      'org-webhooks': orgWebhooksPartition('o'),
    };
    // Assert: each starts with its own prefix and with no other kind's (no grant reaches a neighbour)
    for (const [kind, pk] of Object.entries(keys) as [RegistryPartition, string][]) {
      const matching = Object.entries(registryPartitionPrefixes)
        .filter(([, prefix]) => pk.startsWith(prefix))
        .map(([other]) => other);
      expect({ kind, matching }).toEqual({ kind, matching: [kind] });
    }
  });

  it.each(Object.entries(secretReaders))('lets only its checkers read the %s partition', async (kind, readers) => {
    // Arrange
    const pk = `${registryPartitionPrefixes[kind as RegistryPartition]}x`;
    // Act: every handler tries a GetItem and a Query of it (each kind is read one way: docs/iam.md)
    const allowed: string[] = [];
    for (const handler of roles.keys()) {
      const get = await decide(handler, item(registry, 'GetItem', pk));
      const query = await decide(handler, item(registry, 'Query', pk));
      if (get === 'Allowed' || query === 'Allowed') allowed.push(handler);
    }
    // Assert
    expect(allowed.sort()).toEqual([...readers!].sort());
  });

  it('refuses a read that mixes an allowed partition with another (BatchGetItem checks every key)', async () => {
    expect(await decide('webhook-admin', item(registry, 'BatchGetItem', webhookPartition('w')))).toBe('Allowed');
    expect(await decide('webhook-admin', item(registry, 'BatchGetItem', webhookPartition('w'), flowKey('f').pk))).toBe(
      'ImplicitlyDenied',
    );
  });

  it('refuses flow-trigger the signing secrets of registered webhooks and the secrets of other styles', async () => {
    for (const pk of [webhookPartition('w'), clientWebhookKey('c', 'n').pk, inboundSecretKey().pk]) {
      expect(await decide('flow-trigger', item(registry, 'GetItem', pk))).toBe('ImplicitlyDenied');
      expect(await decide('flow-trigger', item(registry, 'Query', pk))).toBe('ImplicitlyDenied');
    }
  });
});

describe('IAM: the dedupe table, by item kind', () => {
  it('keeps every dedupe key builder inside its declared prefix, and no prefix inside another', () => {
    // Arrange: one key of each kind, as the code builds them
    const claims = [
      ...KEY_KINDS.map((kind) => compositeKey(kind, 'a', 'b')),
      `delivery#${compositeKey('delivery', 'scope', 'how', 'what')}`, // dynamodb-delivery-ledger.ts
      runRefFor('uid-1').dedupeKey,
      runRefFor(undefined).dedupeKey,
      processKey('p').pk,
    ];
    const all = [
      ...dedupePartitionPrefixes.claims,
      dedupePartitionPrefixes.waits,
      dedupePartitionPrefixes.runGuard,
      dedupePartitionPrefixes.records,
    ];
    // Assert
    for (const pk of claims) expect(dedupePartitionPrefixes.claims.filter((p) => pk.startsWith(p))).toHaveLength(1);
    expect(waitKey(compositeKey('callback-id', 's', 'e'), 'topic').pk.startsWith(dedupePartitionPrefixes.waits)).toBe(
      true,
    );
    for (const prefix of all)
      expect({ prefix, within: all.filter((p) => prefix.startsWith(p)) }).toEqual({
        prefix,
        within: [prefix],
      });
  });

  it('lets webhook-trigger mark its process record queued (UpdateItem on process#, the busy path) and not the status reader', async () => {
    // Arrange
    const pk = processKey('p').pk;
    // Act
    const trigger = await decide('webhook-trigger', item(dedupe, 'UpdateItem', pk));
    const status = await decide('webhook-process-status', item(dedupe, 'UpdateItem', pk));
    // Assert
    expect([trigger, status]).toEqual(['Allowed', 'ImplicitlyDenied']);
  });

  it("lets only the handlers that resume runs read or write a waiting task's token", async () => {
    // Arrange
    const pk = waitKey('run-ref', 'approval').pk;
    // Act
    const readers: string[] = [];
    const writers: string[] = [];
    for (const handler of roles.keys()) {
      if ((await decide(handler, item(dedupe, 'GetItem', pk))) === 'Allowed') readers.push(handler);
      if ((await decide(handler, item(dedupe, 'UpdateItem', pk))) === 'Allowed') writers.push(handler);
    }
    // Assert: flow-trigger, inbound and the others hold dedupe grants, but not on wait# items
    expect(readers.sort()).toEqual(['event-callback', 'event-intake']);
    expect(writers.sort()).toEqual(['event-callback', 'event-intake', 'wait-for-event']);
  });

  it('keeps the waiting handlers off the claims and ledgers', async () => {
    for (const handler of ['event-callback', 'wait-for-event']) {
      expect(await decide(handler, item(dedupe, 'PutItem', compositeKey('flow-trigger', 'f', 'k', 'i')))).toBe(
        'ImplicitlyDenied',
      );
    }
    expect(await decide('flow-trigger', item(dedupe, 'PutItem', compositeKey('flow-trigger', 'f', 'k', 'i')))).toBe(
      'Allowed',
    );
  });

  it('lets only the deliveries API read delivery records: the index, dlv# items and claims, never a task token', async () => {
    // Arrange
    const index = `${dedupe}/index/${DELIVERIES_INDEX}`;
    const record = `${dedupePartitionPrefixes.records}01JEBX6Q2Z8K3V4M5N6P7Q8R9S`;
    // Act
    const indexReaders: string[] = [];
    const recordReaders: string[] = [];
    for (const handler of roles.keys()) {
      if ((await decide(handler, item(index, 'Query', 'd#0'))) === 'Allowed') indexReaders.push(handler);
      if ((await decide(handler, item(dedupe, 'GetItem', record))) === 'Allowed') recordReaders.push(handler);
    }
    // Assert
    expect(indexReaders).toEqual(['deliveries-api']);
    expect(recordReaders).toEqual(['deliveries-api']);
    expect(await decide('deliveries-api', item(dedupe, 'GetItem', compositeKey('flow-trigger', 'f', 'k')))).toBe(
      'Allowed',
    );
    expect(await decide('deliveries-api', item(dedupe, 'GetItem', waitKey('r', 't').pk))).toBe('ImplicitlyDenied');
    // A replay is a delivery of its own: the API writes its record (a dlv# item), and never a task token's item.
    expect(await decide('deliveries-api', item(dedupe, 'PutItem', record))).toBe('Allowed');
    expect(await decide('deliveries-api', item(dedupe, 'PutItem', waitKey('r', 't').pk))).toBe('ImplicitlyDenied');
    expect(await decide('deliveries-api', item(dedupe, 'Query', record))).toBe('ImplicitlyDenied');
  });

  it("lets only the deliveries API batch-read the run guard's items (a guarded record's run), and never write one", async () => {
    // Arrange
    const guard = `${dedupePartitionPrefixes.runGuard}arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:hello#hf-1-x`;
    // Act
    const batchReaders: string[] = [];
    for (const handler of roles.keys()) {
      if ((await decide(handler, item(dedupe, 'BatchGetItem', guard))) === 'Allowed') batchReaders.push(handler);
    }
    // Assert: the batch reads run# items only; nothing of hookflow's writes them (the state machines' roles do)
    expect(batchReaders).toEqual(['deliveries-api']);
    expect(await decide('deliveries-api', item(dedupe, 'BatchGetItem', waitKey('r', 't').pk))).toBe('ImplicitlyDenied');
    expect(await decide('deliveries-api', item(dedupe, 'PutItem', guard))).toBe('ImplicitlyDenied');
  });

  it('lets only the fan-out worker update a delivery record (a queued one marked started), and only a dlv# item', async () => {
    // Arrange
    const record = `${dedupePartitionPrefixes.records}01JEBX6Q2Z8K3V4M5N6P7Q8R9S`;
    // Act
    const updaters: string[] = [];
    for (const handler of roles.keys()) {
      if ((await decide(handler, item(dedupe, 'UpdateItem', record))) === 'Allowed') updaters.push(handler);
    }
    // Assert
    expect(updaters).toEqual(['inbound-fanout']);
    expect(await decide('inbound-fanout', item(dedupe, 'UpdateItem', waitKey('r', 't').pk))).toBe('ImplicitlyDenied');
  });

  it("lets a flow's busy trigger be queued (whenBusy: queue) and the fan-out worker start every flow's workflow", async () => {
    // Arrange: the workflows the reference stack binds to flows (hello and hello-queued, hello-standard, always-fails)
    const flowMachines = ['hookflow-echo', 'hookflow-echo-standard', 'hookflow-fail'].map((name) => {
      const machine = reference.stateMachines().find((m) => m.name === name)!;
      return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${reference.stateMachineName(machine.logicalId)}`;
    });
    // Act
    const sent = await decide('flow-trigger', { action: 'sqs:SendMessage', resource: reference.fanoutQueueArn() });
    const started = await Promise.all(
      flowMachines.map((resource) => decide('inbound-fanout', { action: 'states:StartExecution', resource })),
    );
    // Assert
    expect(sent).toBe('Allowed');
    expect(started).toEqual(flowMachines.map(() => 'Allowed'));
  });

  it('lets the CloudEvents intake queue a busy start (whenBusy: queue) on the fan-out queue, and no other queue', async () => {
    // Act
    const sent = await decide('event-intake', { action: 'sqs:SendMessage', resource: reference.fanoutQueueArn() });
    const elsewhere = await decide('event-intake', {
      action: 'sqs:SendMessage',
      resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:another-queue`,
    });
    // Assert
    expect(sent).toBe('Allowed');
    expect(elsewhere).toBe('ImplicitlyDenied');
  });

  it('lets the deliveries API claim replays (replay#) and start a bound workflow, never resume a task', async () => {
    const echo = reference.stateMachines().find((m) => m.name === 'hookflow-echo')!;
    const machine = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${reference.stateMachineName(echo.logicalId)}`;
    expect(await decide('deliveries-api', item(dedupe, 'PutItem', compositeKey('replay', 'dlv_x')))).toBe('Allowed');
    // An if-no-run replay of a keyed flow trigger claims the sender's own key (docs/deliveries.md)
    const senderKey = compositeKey('flow-trigger', 'orders', 'key-id', 'idem-1');
    expect(await decide('deliveries-api', item(dedupe, 'PutItem', senderKey))).toBe('Allowed');
    expect(await decide('deliveries-api', { action: 'states:StartExecution', resource: machine })).toBe('Allowed');
    expect(await decide('deliveries-api', { action: 'states:SendTaskSuccess', resource: '*' })).toBe(
      'ImplicitlyDenied',
    );
  });

  it('lets an Express run guard write its own run# items and nothing else', async () => {
    const guarded = reference
      .stateMachines()
      .filter((m) => reference.taskStates(m.logicalId).some((t) => t.resource.endsWith(':dynamodb:putItem')));
    expect(guarded.length).toBeGreaterThan(0);
    for (const machine of guarded) {
      const statements = reference.statementsOf(machine.roleId);
      expect(await simulate(statements, item(dedupe, 'PutItem', 'run#sm#hf-1'))).toBe('Allowed');
      expect(await simulate(statements, item(dedupe, 'PutItem', waitKey('r', 't').pk))).toBe('ImplicitlyDenied');
      expect(await simulate(statements, item(dedupe, 'PutItem', 'flow-trigger#f#k#i'))).toBe('ImplicitlyDenied');
    }
  });
});

describe('IAM: actions no handler may take', () => {
  it.each([...roles.keys()])('refuses %s a Scan of either table, even of an allowed partition', async (handler) => {
    for (const table of [registry, dedupe]) {
      expect(await decide(handler, { action: 'dynamodb:Scan', resource: table })).toBe('ImplicitlyDenied');
      // A Scan names no partition; a condition that only tests ForAllValues would let it through.
      expect(await decide(handler, item(table, 'Scan', 'FLOW#x'))).toBe('ImplicitlyDenied');
    }
  });

  it.each([...roles.keys()])('refuses %s BatchWriteItem outside registered-webhook items', async (handler) => {
    expect(await decide(handler, item(dedupe, 'BatchWriteItem', 'flow-trigger#x'))).toBe('ImplicitlyDenied');
    expect(await decide(handler, item(registry, 'BatchWriteItem', apiKeyKey('h').pk))).toBe('ImplicitlyDenied');
  });

  it('lets only the handler that waits for runs start them synchronously', async () => {
    const echo = reference.stateMachines().find((m) => m.name === 'hookflow-echo')!;
    const resource = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${reference.stateMachineName(echo.logicalId)}`;
    const syncStarters: string[] = [];
    for (const handler of roles.keys()) {
      if ((await decide(handler, { action: 'states:StartSyncExecution', resource })) === 'Allowed') {
        syncStarters.push(handler);
      }
    }
    expect(syncStarters).toEqual(['client-webhook']);
  });

  it('keeps the read-only handlers read-only', async () => {
    const readOnly = handlers
      .filter((spec) => spec.routes.length > 0 && spec.routes.every((route) => route.method === 'GET'))
      .map((s) => s.name);
    expect(readOnly.sort()).toEqual(['console', 'inbound-run-status', 'webhook-process-status']);
    for (const handler of readOnly) {
      for (const action of ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']) {
        for (const [table, pk] of [
          [registry, inboundSecretKey().pk],
          [dedupe, 'inbound#uid#x'],
        ] as const) {
          expect({ handler, action, decision: await decide(handler, item(table, action, pk)) }).toEqual({
            handler,
            action,
            decision: 'ImplicitlyDenied',
          });
        }
      }
      for (const action of ['states:StartExecution', 'states:SendTaskSuccess', 'sqs:SendMessage']) {
        const resource = action.startsWith('sqs') ? reference.fanoutQueueArn() : '*';
        expect(await decide(handler, { action, resource })).toBe('ImplicitlyDenied');
      }
    }
  });

  it('gives the console (a static page, no needs) no table, engine or queue at all, not even a read', async () => {
    for (const [table, pk] of [
      [registry, inboundSecretKey().pk],
      [dedupe, 'inbound#uid#x'],
    ] as const) {
      for (const action of ['GetItem', 'Query']) {
        expect({ action, decision: await decide('console', item(table, action, pk)) }).toEqual({
          action,
          decision: 'ImplicitlyDenied',
        });
      }
    }
    for (const action of ['states:DescribeExecution', 'states:StartExecution', 'sqs:SendMessage']) {
      const resource = action.startsWith('sqs') ? reference.fanoutQueueArn() : '*';
      expect(await decide('console', { action, resource })).toBe('ImplicitlyDenied');
    }
  });
});

/** The IAM action and resource a Task state's integration calls (optimized or AWS SDK, any pattern). */
function taskCall(resource: string, parameters: Record<string, unknown>): IamRequest {
  // lambda:invoke (any pattern) calls Invoke on the function it names
  // (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html, IAM policies for it).
  if (/^arn:aws:states:::lambda:invoke(?:\.waitForTaskToken)?$/.test(resource)) {
    return { action: 'lambda:InvokeFunction', resource: String(parameters.FunctionName) };
  }
  const match = /^arn:aws:states:::(?:aws-sdk:)?(dynamodb):(\w+)(?:\.waitForTaskToken)?$/.exec(resource);
  if (match === null) {
    throw new Error(`Task resource ${resource}: teach taskCall which IAM action and resource it needs`);
  }
  const [, service, api] = match as unknown as [string, string, string];
  const action = `${service}:${api[0]!.toUpperCase()}${api.slice(1)}`;
  return {
    action,
    resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${String(parameters.TableName)}`,
    context: { 'dynamodb:LeadingKeys': [taskPartitionKey(parameters)] },
  };
}

/**
 * The partition key a DynamoDB Task addresses (IAM's dynamodb:LeadingKeys): written as is (`"pk": {"S": …}`) or
 * built at run time by States.Format, whose fixed text before the first `{}` is the key's prefix.
 */
function taskPartitionKey(parameters: Record<string, unknown>): string {
  const key = (parameters.Item ?? parameters.Key) as { pk?: { S?: string; 'S.$'?: string } } | undefined;
  if (typeof key?.pk?.S === 'string') return key.pk.S;
  const format = /^States\.Format\('([^{']*)\{\}/.exec(key?.pk?.['S.$'] ?? '');
  if (format === null) throw new Error(`Task parameters ${JSON.stringify(parameters)}: teach taskPartitionKey its pk`);
  return `${format[1]}example`;
}

/** What the Step Functions service itself does with a state machine's role: log delivery and X-Ray. */
const serviceActions: Record<string, string> = {
  // https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html (the role must allow log delivery)
  'logs:CreateLogDelivery': 'logging to CloudWatch Logs',
  'logs:GetLogDelivery': 'logging to CloudWatch Logs',
  'logs:UpdateLogDelivery': 'logging to CloudWatch Logs',
  'logs:DeleteLogDelivery': 'logging to CloudWatch Logs',
  'logs:ListLogDeliveries': 'logging to CloudWatch Logs',
  'logs:PutResourcePolicy': 'logging to CloudWatch Logs',
  'logs:DescribeResourcePolicies': 'logging to CloudWatch Logs',
  'logs:DescribeLogGroups': 'logging to CloudWatch Logs',
  // https://docs.aws.amazon.com/step-functions/latest/dg/concepts-xray-tracing.html
  'xray:PutTraceSegments': 'X-Ray tracing',
  'xray:PutTelemetryRecords': 'X-Ray tracing',
  'xray:GetSamplingRules': 'X-Ray tracing',
  'xray:GetSamplingTargets': 'X-Ray tracing',
};

describe('IAM: the bodies bucket (large bodies, issue 19)', () => {
  const bucket = reference.bodiesBucketArn();
  const writers = handlers.filter((spec) => spec.needs.includes('bodies:write')).map((spec) => spec.name);

  it("lets exactly the handlers that store request bodies (claim-check, delivery record, a replayed run's claim-check) store them, under bodies/ only", async () => {
    const allowed: string[] = [];
    for (const handler of roles.keys()) {
      const put = await decide(handler, { action: 's3:PutObject', resource: `${bucket}/bodies/0a/dlv_x` });
      if (put === 'Allowed') allowed.push(handler);
      // Outside hookflow's key layout, or another bucket: never.
      expect(await decide(handler, { action: 's3:PutObject', resource: `${bucket}/other/x` })).toBe('ImplicitlyDenied');
      expect(await decide(handler, { action: 's3:PutObject', resource: 'arn:aws:s3:::another/bodies/x' })).toBe(
        'ImplicitlyDenied',
      );
    }
    expect(allowed.sort()).toEqual(
      [
        'client-webhook',
        // A replayed run input over 256 KiB is claim-checked into a fresh object (docs/deliveries.md).
        'deliveries-api',
        'event-callback',
        'event-intake',
        'event-webhook',
        'flow-trigger',
        'inbound',
        'webhook-trigger',
      ].sort(),
    );
    expect(writers.sort()).toEqual(allowed.sort());
  });

  it.each([...roles.keys()])('refuses %s reading, deleting or listing bodies it did not declare', async (handler) => {
    const spec = handlers.find((h) => h.name === handler)!;
    const reads = spec.needs.includes('bodies:read');
    expect(await decide(handler, { action: 's3:GetObject', resource: `${bucket}/bodies/0a/dlv_x` })).toBe(
      reads ? 'Allowed' : 'ImplicitlyDenied',
    );
    expect(await decide(handler, { action: 's3:DeleteObject', resource: `${bucket}/bodies/0a/dlv_x` })).toBe(
      'ImplicitlyDenied',
    );
    expect(await decide(handler, { action: 's3:ListBucket', resource: bucket })).toBe(
      reads ? 'Allowed' : 'ImplicitlyDenied',
    );
  });
});

describe('IAM: state machine roles', () => {
  const machines = reference.stateMachines();
  let simulated = 0;
  afterAll(() => {
    process.stdout.write(
      `[iam] handler roles: ${denials} requests denied as intended; ${machines.length} state machines, ${simulated} Task state calls simulated against their roles: all allowed\n`,
    );
  });

  it.each(machines.map((m) => [m.name, m] as const))('allows every Task of %s its call', async (_, machine) => {
    const statements = reference.statementsOf(machine.roleId);
    for (const task of reference.taskStates(machine.logicalId)) {
      const call = taskCall(task.resource, task.parameters);
      expect({ state: task.state, ...call, decision: await simulate(statements, call) }).toEqual({
        state: task.state,
        ...call,
        decision: 'Allowed',
      });
      simulated++;
    }
  });

  it.each(machines.map((m) => [m.name, m] as const))('grants %s no action its Tasks do not call', (_, machine) => {
    const used = new Set(
      reference.taskStates(machine.logicalId).map((task) => taskCall(task.resource, task.parameters).action),
    );
    const unused = [...reference.allowedActions(machine.roleId)].filter(
      (action) => !used.has(action) && !(action in serviceActions),
    );
    expect(unused).toEqual([]);
  });

  it('has Task states to check (the approval workflows wait for events)', () => {
    const tasks = machines.flatMap((m) => reference.taskStates(m.logicalId));
    expect(tasks.length).toBeGreaterThanOrEqual(2);
  });
});
