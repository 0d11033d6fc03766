import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { EngineBusyError, InvalidInputError } from '../../../functions/core/outcomes';
import { executionLinker } from '../../../functions/core/runs/execution-link';
import { deliveryNaming, keepsWhenBusy } from '../../../functions/core/runs/queue-when-busy';
import { makeRunStarter } from '../../../functions/core/runs/start-run';
import type { StartRequest } from '../../../functions/core/ports';
import { CREDENTIAL_HEADERS } from '../../../functions/http/request';
import { makeFanoutHandler } from '../../../functions/styles/inbound/fanout-worker';
import { fanoutMessageSchema } from '../../../functions/core/runs/queued-start-message';
import { makeInboundHandler } from '../../../functions/styles/inbound/http';
import {
  makeProcessStatusHandler,
  makeWebhookAdminHandler,
  makeWebhookTriggerHandler,
} from '../../../functions/styles/registered-webhooks/http';
import { PROCESS_LIMITS } from '../../../functions/styles/registered-webhooks/process-view';
import { makeEventIntakeHandler, makeEventWebhookHandler } from '../../../functions/styles/events/http';
import { makeClientWebhookHandler } from '../../../functions/styles/client-webhook/http';
import { makeFlowTriggerHandler } from '../../../functions/styles/flow-trigger/http';
import { flowRegistrations, readFlow } from '../../../functions/styles/flow-trigger/registration';
import { makeRunAndWait } from '../../../functions/core/runs/run-and-wait';
import { cachedWebhookReads } from '../../../functions/core/registry-cache';
import { eventWorkflowItems } from '../../../functions/styles/events/registration';
import {
  inboundWorkflowItems,
  inboundWorkflowRegistrations,
  readInboundWorkflow,
} from '../../../functions/styles/inbound/registration';
import { RegistrationError, parseRegistration } from '../../../functions/core/registration';
import { httpEvent, sqsEvent, testContext } from '../../support/api-gateway-events';
import {
  FakeEngine,
  FakeRegistry,
  FakeWorkQueue,
  InMemoryDedupeStore,
  InMemoryDeliveryLedger,
  InMemoryProcessStore,
  InMemoryRegistry,
  InMemoryWaitStore,
  InMemoryWebhookStore,
  eventsTestDeps,
  silentLogger,
} from '../../support/fakes';
import { InMemoryDeliveryLog } from '../../support/in-memory-delivery-log';

/**
 * Queue when busy (docs/deliveries.md): a busy engine keeps a delivery of a registration that queues, answers 202
 * `queued` with its delivery id, and the fan-out worker starts it later, once, marking its record started.
 */
const SECRET = 'queue-when-busy-secret';
const NOW = new Date('2026-01-01T00:00:00.000Z').getTime();
const BUSY = () => new EngineBusyError('Rate exceeded', { retryAfterSeconds: 3 });

/** An engine that starts the run and then loses the answer: the run exists, the caller hears "may have started". */
class AnswerLosingEngine extends FakeEngine {
  loseAnswers = false;
  override async start(request: StartRequest) {
    const run = await super.start(request);
    if (this.loseAnswers) throw new EngineBusyError('no answer', { mayHaveStarted: true, retryAfterSeconds: 2 });
    return run;
  }
}

/** What every queued answer holds. */
const QUEUED = {
  deliveryId: expect.stringMatching(/^dlv_/),
  status: 'queued',
  deliveryLink: expect.stringMatching(/\/api\/deliveries\/dlv_/),
};

/** A handler's answer, its body parsed. */
function answerOf<Body = Record<string, unknown>>(result: unknown) {
  const { statusCode, headers, body } = result as APIGatewayProxyStructuredResultV2;
  return { status: statusCode!, headers: headers ?? {}, body: JSON.parse(body ?? 'null') as Body };
}

/** Delivery records kept in `log`, as every handler here records them. */
const recordingInto = (log: InMemoryDeliveryLog) => ({
  deps: { log, credentialHeaders: CREDENTIAL_HEADERS },
  settings: { retentionDays: 7, inlineBodyBytes: 1024 },
  now: () => NOW,
});

/** Hands the worker what the handler queued when the engine was busy, as SQS records. */
const deliverAll = (fanout: ReturnType<typeof makeFanoutHandler>, queue: FakeWorkQueue) =>
  fanout(sqsEvent(queue.delayed.splice(0).map(({ message }) => message)), testContext);

function setup() {
  const registry = new FakeRegistry()
    .addInboundSecret(SECRET)
    .addInboundWorkflow('queues', 'aaaaaaaa-0b7d-4c55-9a51-1b2c3d4e5f60', 'STANDARD');
  registry.put(
    ...inboundWorkflowItems({
      name: 'rejects',
      workflowId: 'bbbbbbbb-0b7d-4c55-9a51-1b2c3d4e5f60',
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:rejects',
      workflowType: 'STANDARD',
      whenBusy: 'reject',
    }),
  );
  const engine = new AnswerLosingEngine();
  const dedupe = new InMemoryDedupeStore();
  const queue = new FakeWorkQueue();
  const log = new InMemoryDeliveryLog(() => NOW);
  const startRun = makeRunStarter(
    { engine, dedupe, logger: silentLogger, now: () => NOW },
    { dedupeTtlSeconds: 60, dedupeWaitMs: 100, dedupeLeaseMs: 1000 },
  );
  const handler = makeInboundHandler({
    registry,
    dedupe,
    startRun,
    queue,
    logger: silentLogger,
    executionLink: executionLinker('https://console.example/{executionArn}'),
    maxInputBytes: 10_000,
    limits: { maxBodyBytes: 1_000_000, maxBatchItems: 1000 },
    now: () => NOW,
    recording: recordingInto(log),
  });
  const fanout = makeFanoutHandler({
    startRun,
    logger: silentLogger,
    requeue: { queue, settings: { maxRequeues: 2, backoffSeconds: 2 } },
    deliveries: log,
  });
  const post = async (body: unknown) =>
    answerOf(
      await handler(
        httpEvent({ path: '/inbound', body: JSON.stringify(body), headers: { 'inbound-webhook-secret': SECRET } }),
        testContext,
      ),
    );
  const deliver = () => deliverAll(fanout, queue);
  return { engine, queue, log, post, deliver };
}

describe('keepsWhenBusy (functions/core/runs/queue-when-busy.ts)', () => {
  it.each([
    ['queue', BUSY(), 'dlv_1', true],
    ['queue', new EngineBusyError('no answer', { mayHaveStarted: true }), 'dlv_1', true],
    ['reject', BUSY(), 'dlv_1', false],
    ['queue', BUSY(), undefined, false],
    ['queue', new InvalidInputError('bad'), 'dlv_1', false],
    ['queue', new Error('socket hang up'), 'dlv_1', false],
  ] as const)('whenBusy %s, %p, delivery %s: %s', (whenBusy, error, deliveryId, kept) => {
    expect(keepsWhenBusy(error, whenBusy, deliveryId)).toBe(kept);
  });

  it('names an unkeyed start by its delivery and a nonce: the same naming, the same name; never guessable from the id', () => {
    expect(deliveryNaming('dlv_01ABC', NOW, 'n-1')).toEqual({ key: 'dlv#dlv_01ABC#n-1', createdAt: NOW });
    expect(deliveryNaming('dlv_01ABC', NOW).key).not.toBe(deliveryNaming('dlv_01ABC', NOW).key);
  });
});

describe('whenBusy, an inbound workflow registration field', () => {
  const input = { name: 'in', workflowId: 'cccccccc-0b7d-4c55-9a51-1b2c3d4e5f60', workflow: 'w' };
  const resolve = () => ({
    stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:x',
    workflowType: 'STANDARD' as const,
  });

  it('is written only when it differs from the default (queue), and read back', async () => {
    for (const [whenBusy, stored] of [
      ['reject', 'reject'],
      ['queue', undefined],
      [undefined, undefined],
    ] as const) {
      // Arrange
      const registry = new InMemoryRegistry();
      const registration = parseRegistration(inboundWorkflowRegistrations, {
        ...input,
        ...(whenBusy === undefined ? {} : { whenBusy }),
      });

      // Act
      const items = inboundWorkflowRegistrations.items(registration, resolve);
      for (const item of items) registry.put(item as never);

      // Assert
      expect(items.map((item) => item.whenBusy)).toEqual([stored, stored]);
      expect((await readInboundWorkflow(registry, 'in'))?.whenBusy).toBe(stored);
    }
  });

  it('refuses any other value, naming the field', () => {
    expect(() => parseRegistration(inboundWorkflowRegistrations, { ...input, whenBusy: 'later' })).toThrow(
      RegistrationError,
    );
    expect(() => parseRegistration(inboundWorkflowRegistrations, { ...input, whenBusy: 'later' })).toThrow(/whenBusy/);
  });
});

describe('POST /inbound when the engine is busy', () => {
  it('queues an unkeyed request (202 queued, record queued), then starts it once and marks its record started', async () => {
    // Arrange
    const { engine, queue, log, post, deliver } = setup();
    engine.failWith = BUSY();

    // Act
    const answer = await post({ workflow: 'queues', stateValues: { a: 1 } });
    const queuedRecord = await log.get(String(answer.body.deliveryId));
    engine.failWith = undefined;
    const worked = await deliver();

    // Assert
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      ...QUEUED,
      uid: null,
      runRef: null,
    });
    expect(answer.headers['hookflow-delivery-id']).toBe(answer.body.deliveryId);
    expect(queuedRecord).toMatchObject({ outcome: 'queued', status: 202, runs: [] });
    expect(worked.batchItemFailures).toEqual([]);
    expect(engine.started).toHaveLength(1);
    expect(engine.started[0]!.name).toMatch(/^hf-/);
    expect(await log.get(String(answer.body.deliveryId))).toMatchObject({
      outcome: 'started',
      runs: [{ executionArn: expect.stringContaining(engine.started[0]!.name) }],
    });
    expect(queue.delayed).toHaveLength(0);
  });

  it('sends one message carrying the target, the input, the naming and the delivery id, delayed by Retry-After', async () => {
    // Arrange
    const { engine, queue, post } = setup();
    engine.failWith = BUSY();

    // Act
    const answer = await post({ workflow: 'queues', stateValues: { a: 1 } });

    // Assert
    expect(queue.delayed).toHaveLength(1);
    expect(queue.delayed[0]!.delaySeconds).toBe(3);
    const message = fanoutMessageSchema.parse(JSON.parse(queue.delayed[0]!.message.body));
    expect(message).toMatchObject({
      deliveryId: answer.body.deliveryId,
      naming: { key: expect.stringMatching(new RegExp(`^dlv#${String(answer.body.deliveryId)}#`)), createdAt: NOW },
      target: { workflowType: 'STANDARD' },
      input: { stateValues: { a: 1 } },
    });
    expect(message.dedupeKey).toBeUndefined();
  });

  it('a handler that died after queueing wrote no record: the worker writes it from the message, started, without headers or body bytes', async () => {
    // Arrange: the message is sent; the record the handler would write next is gone (it died before its answer)
    const { engine, queue, log, post, deliver } = setup();
    engine.failWith = BUSY();
    const answer = await post({ workflow: 'queues', stateValues: { a: 1 } });
    const id = String(answer.body.deliveryId);
    log.records.delete(id);
    engine.failWith = undefined;
    const carried = fanoutMessageSchema.parse(JSON.parse(queue.delayed[0]!.message.body)).record;

    // Act
    await deliver();

    // Assert
    expect(carried).toMatchObject({ id, style: 'inbound', outcome: 'queued', headers: {} });
    expect(await log.get(id)).toMatchObject({
      id,
      style: 'inbound',
      outcome: 'started',
      status: 202,
      headers: {},
      runs: [{ executionArn: expect.stringContaining(engine.started[0]!.name) }],
    });
    expect((await log.get(id))!.body.inline).toBeUndefined();
  });

  it('carries no record for a keyed start that may have happened: its kept claim carries the record', async () => {
    // Arrange
    const { engine, queue, post } = setup();
    engine.loseAnswers = true;

    // Act
    await post({ workflow: 'queues', uid: 'order-8', stateValues: { a: 1 } });

    // Assert
    const message = fanoutMessageSchema.parse(JSON.parse(queue.delayed[0]!.message.body));
    expect(message.dedupeKey).toBeDefined();
    expect(message.record).toBeUndefined();
  });

  it('asks for the same execution name twice when the first start may have happened: Step Functions keeps one run', async () => {
    // Arrange: the engine starts the run but the answer is lost
    const { engine, post, deliver } = setup();
    engine.loseAnswers = true;
    const answer = await post({ workflow: 'queues', stateValues: { a: 1 } });
    engine.loseAnswers = false;

    // Act
    await deliver();

    // Assert: ExecutionAlreadyExists (Standard) or the run guard (Express) makes the second start that same run
    expect(answer.body.status).toBe('queued');
    expect(engine.started.map((s) => s.name)).toEqual([engine.started[0]!.name, engine.started[0]!.name]);
    expect(engine.started[0]!.name).toMatch(/^hf-/);
  });

  it('queues a keyed request on its uid: a resend meanwhile and the queued start make one run between them', async () => {
    // Arrange
    const { engine, log, post, deliver } = setup();
    engine.failWith = BUSY();
    const queued = await post({ workflow: 'queues', uid: 'order-7', stateValues: { a: 1 } });
    engine.failWith = undefined;

    // Act
    const resent = await post({ workflow: 'queues', uid: 'order-7', stateValues: { a: 1 } });
    const worked = await deliver();

    // Assert
    expect(queued.body).toMatchObject({ status: 'queued', uid: 'order-7', runRef: expect.stringMatching(/^u_/) });
    expect(resent.status).toBe(202);
    expect(worked.batchItemFailures).toEqual([]);
    expect(engine.started).toHaveLength(1);
    expect(await log.get(String(queued.body.deliveryId))).toMatchObject({
      outcome: 'started',
      runs: [{ executionArn: resent.body.executionId, runRef: queued.body.runRef }],
    });
  });

  it('answers 503 with Retry-After for a registration that rejects, and when the queue refuses the message', async () => {
    // Arrange
    const { engine, queue, log, post } = setup();
    engine.failWith = BUSY();

    // Act
    const rejected = await post({ workflow: 'rejects', stateValues: {} });
    queue.failDelayed = new Error('SQS unavailable');
    const unqueued = await post({ workflow: 'queues', stateValues: {} });

    // Assert
    for (const answer of [rejected, unqueued]) {
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('3');
      expect(await log.get(String(answer.headers['hookflow-delivery-id']))).toMatchObject({ outcome: 'failed' });
    }
    expect(queue.delayed).toHaveLength(0);
  });
});

/**
 * Registered webhooks (POST /api/trigger-webhooks/{id}): a busy engine queues each bound workflow's process.
 * `cacheTtlMs`: the trigger reads webhooks through the registry cache, as in AWS (REGISTRY_CACHE_SECONDS), on a
 * clock of its own (`pass`).
 */
function webhookSetup(options: { cacheTtlMs?: number } = {}) {
  const registry = new FakeRegistry()
    .addApiKey('acme-key', { keyId: 'acme-admin', orgs: ['acme'] })
    .addWebhookTemplate('acme', 'notify')
    .addWebhookTemplate('acme', 'audit');
  const engine = new AnswerLosingEngine();
  const queue = new FakeWorkQueue();
  const log = new InMemoryDeliveryLog(() => NOW);
  const deps = {
    registry,
    webhooks: new InMemoryWebhookStore(),
    processes: new InMemoryProcessStore(() => NOW),
    deliveries: new InMemoryDeliveryLedger(),
    engine,
    queue,
    logger: silentLogger,
    maxBodyBytes: 10_000,
    now: () => NOW,
    executionLink: executionLinker('https://console.example/{executionArn}'),
    recording: recordingInto(log),
  };
  const admin = makeWebhookAdminHandler(deps);
  let cacheNow = NOW;
  const trigger = makeWebhookTriggerHandler({
    ...deps,
    webhooks: cachedWebhookReads(deps.webhooks, { ttlMs: options.cacheTtlMs ?? 0, now: () => cacheNow }),
  });
  const pass = (ms: number) => void (cacheNow += ms);
  const unused = () => Promise.reject(new Error('a named message never goes through the run starter'));
  const fanout = makeFanoutHandler({ startRun: unused, engine, logger: silentLogger, deliveries: log });
  const webhook = async (body?: unknown) => {
    const created = answerOf<unknown>(
      await admin(
        httpEvent({
          path: '/api/webhooks',
          routeKey: 'POST /api/webhooks',
          headers: { 'x-api-key': 'acme-key', 'x-api-org': 'acme' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
        testContext,
      ),
    );
    const hook = created.body as { id: string; verifySecret: string; whenBusy: string };
    for (const template of ['notify', 'audit']) {
      await admin(
        httpEvent({
          method: 'PUT',
          path: `/api/webhooks/${hook.id}/workflows/${template}`,
          routeKey: 'PUT /api/webhooks/{webhookId}/workflows/{templateId}',
          pathParameters: { webhookId: hook.id, templateId: template },
          headers: { 'x-api-key': 'acme-key', 'x-api-org': 'acme' },
        }),
        testContext,
      );
    }
    return { created, hook };
  };
  const fire = async (hook: { id: string; verifySecret: string }, headers: Record<string, string> = {}) =>
    answerOf<unknown>(
      await trigger(
        httpEvent({
          path: `/api/trigger-webhooks/${hook.id}`,
          routeKey: 'POST /api/trigger-webhooks/{webhookId}',
          pathParameters: { webhookId: hook.id },
          headers: { 'x-verify-signature': hook.verifySecret, ...headers },
          body: '{"order":7}',
        }),
        testContext,
      ),
    );
  const patch = async (hook: { id: string }, body: unknown) =>
    answerOf<unknown>(
      await admin(
        httpEvent({
          method: 'PATCH',
          path: `/api/webhooks/${hook.id}`,
          routeKey: 'PATCH /api/webhooks/{webhookId}',
          pathParameters: { webhookId: hook.id },
          headers: { 'x-api-key': 'acme-key', 'x-api-org': 'acme' },
          body: JSON.stringify(body),
        }),
        testContext,
      ),
    );
  const deliver = () => deliverAll(fanout, queue);
  /** GET /api/processes/{id} as read `atMs` (the status handler's clock; the records keep theirs). */
  const status = async (processId: string, atMs: number) =>
    answerOf<{ status: string; queued?: true; error?: string }>(
      await makeProcessStatusHandler({ ...deps, now: () => atMs })(
        httpEvent({
          path: `/api/processes/${processId}`,
          routeKey: 'GET /api/processes/{processId}',
          pathParameters: { processId },
          headers: { 'x-api-key': 'acme-key', 'x-api-org': 'acme' },
        }),
        testContext,
      ),
    );
  return { engine, queue, log, webhook, fire, deliver, admin, patch, pass, status };
}

interface QueuedProcess {
  readonly id: string;
  readonly executionArn: string;
  readonly queued?: true;
}

describe('POST /api/trigger-webhooks/{id} when the engine is busy', () => {
  it('queues every bound workflow under its process id (202, processes queued, record queued), then starts each once and marks the record started with its runs', async () => {
    // Arrange
    const { engine, queue, log, webhook, fire, deliver } = webhookSetup();
    const { hook } = await webhook();
    engine.failWith = BUSY();

    // Act
    const answer = await fire(hook);
    const id = String(answer.headers['hookflow-delivery-id']);
    const queuedRecord = await log.get(id);
    const messages = queue.delayed.map(({ message, delaySeconds }) => ({
      delaySeconds,
      message: fanoutMessageSchema.parse(JSON.parse(message.body)),
    }));
    engine.failWith = undefined;
    const worked = await deliver();

    // Assert
    const processes = answer.body as QueuedProcess[];
    expect(answer.status).toBe(202);
    expect(processes).toHaveLength(2);
    for (const process of processes) {
      expect(process).toMatchObject({ status: 'PENDING', queued: true });
      expect(process.executionArn.endsWith(`:${process.id}`)).toBe(true);
    }
    expect(queuedRecord).toMatchObject({ outcome: 'queued', status: 202 });
    expect(queuedRecord!.runs.map((r) => r.executionArn).sort()).toEqual(processes.map((p) => p.executionArn).sort());
    expect(messages.map((m) => m.delaySeconds)).toEqual([3, 3]);
    expect(messages.map((m) => m.message.name).sort()).toEqual(processes.map((p) => p.id).sort());
    for (const { message } of messages) {
      expect(message).toMatchObject({
        style: 'registered-webhooks',
        deliveryId: id,
        // The record a worker writes if the handler dies before its answer (built on this busy path only).
        record: { id, style: 'registered-webhooks', outcome: 'queued', status: 202, headers: {} },
        target: { workflowType: 'STANDARD' },
        input: { body: { order: 7 }, deliveryId: id },
      });
    }
    expect(worked.batchItemFailures).toEqual([]);
    expect(engine.started.map((s) => s.name).sort()).toEqual(processes.map((p) => p.id).sort());
    const started = await log.get(id);
    expect(started).toMatchObject({ outcome: 'started' });
    expect(started!.runs).toEqual(queuedRecord!.runs);
  });

  it('a queued process reads PENDING queued, not FAILED, past the 5-minute start deadline, then its run once started', async () => {
    // Arrange
    const { engine, webhook, fire, deliver, status } = webhookSetup();
    const { hook } = await webhook();
    engine.failWith = BUSY();
    const [process] = (await fire(hook)).body as QueuedProcess[];
    const late = NOW + PROCESS_LIMITS.startDeadlineMs + 60_000;

    // Act
    const whileQueued = await status(process!.id, late);
    engine.failWith = undefined;
    await deliver();
    const once = await status(process!.id, late);

    // Assert
    expect(whileQueued.status).toBe(200);
    expect(whileQueued.body).toMatchObject({ status: 'PENDING', queued: true, updatedOn: new Date(NOW).toISOString() });
    expect(whileQueued.body.error).toBeUndefined();
    expect(once.body).toMatchObject({ status: 'PENDING' }); // the fake's run has entered no state yet
    expect(once.body.queued).toBeUndefined();
  });

  it('asks for the process id twice when the first start may have happened: Step Functions keeps one run per name', async () => {
    // Arrange: every start happens, but its answer is lost
    const { engine, webhook, fire, deliver } = webhookSetup();
    const { hook } = await webhook();
    engine.loseAnswers = true;
    const answer = await fire(hook);
    engine.loseAnswers = false;

    // Act
    await deliver();

    // Assert: two names, each asked for twice (StartExecution answers the second with the first run)
    const ids = (answer.body as QueuedProcess[]).map((p) => p.id).sort();
    expect(answer.status).toBe(202);
    expect(engine.started).toHaveLength(4);
    expect([...new Set(engine.started.map((s) => s.name))].sort()).toEqual(ids);
  });

  it('a keyed retry meanwhile and the queued starts ask for the same names: one run per bound workflow', async () => {
    // Arrange
    const { engine, webhook, fire, deliver } = webhookSetup();
    const { hook } = await webhook();
    engine.failWith = BUSY();
    const queued = await fire(hook, { 'idempotency-key': 'order-7' });
    engine.failWith = undefined;

    // Act
    const retried = await fire(hook, { 'idempotency-key': 'order-7' });
    await deliver();

    // Assert
    const ids = (queued.body as QueuedProcess[]).map((p) => p.id).sort();
    expect(queued.status).toBe(202);
    expect(retried.status).toBe(200);
    expect((retried.body as QueuedProcess[]).map((p) => p.id).sort()).toEqual(ids);
    expect([...new Set(engine.started.map((s) => s.name))].sort()).toEqual(ids);
  });

  it('answers 503 for a webhook created with whenBusy "reject", and when the queue refuses the messages', async () => {
    // Arrange
    const { engine, queue, log, webhook, fire } = webhookSetup();
    const rejecting = await webhook({ whenBusy: 'reject' });
    const queueing = await webhook();
    engine.failWith = BUSY();

    // Act
    const rejected = await fire(rejecting.hook);
    queue.failDelayed = new Error('SQS unavailable');
    const unqueued = await fire(queueing.hook);

    // Assert
    expect(rejecting.created.body).toMatchObject({ whenBusy: 'reject' });
    expect(queueing.created.body).toMatchObject({ whenBusy: 'queue' });
    for (const answer of [rejected, unqueued]) {
      expect(answer.status).toBe(503);
      expect(await log.get(String(answer.headers['hookflow-delivery-id']))).toMatchObject({ outcome: 'failed' });
    }
    expect(queue.delayed).toHaveLength(0);
  });

  it('honours whenBusy changed with PATCH from the next trigger: reject answers 503, back to queue answers 202 queued', async () => {
    // Arrange
    const { engine, queue, log, webhook, fire, patch } = webhookSetup();
    const { hook } = await webhook();
    engine.failWith = BUSY();

    // Act
    const toReject = await patch(hook, { whenBusy: 'reject' });
    const rejected = await fire(hook);
    const toQueue = await patch(hook, { whenBusy: 'queue' });
    const queued = await fire(hook);

    // Assert
    expect(toReject).toMatchObject({ status: 200, body: { id: hook.id, whenBusy: 'reject', recordDeliveries: true } });
    expect(rejected.status).toBe(503);
    expect(rejected.headers['retry-after']).toMatch(/^\d+$/);
    expect(await log.get(String(rejected.headers['hookflow-delivery-id']))).toMatchObject({ outcome: 'failed' });
    expect(toQueue).toMatchObject({ status: 200, body: { id: hook.id, whenBusy: 'queue' } });
    expect(queued.status).toBe(202);
    for (const process of queued.body as QueuedProcess[]) expect(process.queued).toBe(true);
    expect(queue.delayed).toHaveLength(2);
  });

  it('a trigger reading through the registry cache sees a changed whenBusy once its cached read expires, not before', async () => {
    // Arrange: REGISTRY_CACHE_SECONDS = 5; the webhook read (and cached) by a first trigger while the engine is free
    const { engine, webhook, fire, patch, pass } = webhookSetup({ cacheTtlMs: 5_000 });
    const { hook } = await webhook();
    await fire(hook);
    await patch(hook, { whenBusy: 'reject' });
    engine.failWith = BUSY();

    // Act
    const withinTtl = await fire(hook);
    pass(5_000);
    const afterTtl = await fire(hook);

    // Assert
    expect(withinTtl.status).toBe(202);
    expect(afterTtl.status).toBe(503);
  });

  it('refuses a whenBusy that is neither queue nor reject with 400, naming the field', async () => {
    // Arrange
    const { webhook } = webhookSetup();

    // Act
    const { created } = await webhook({ whenBusy: 'later' });

    // Assert
    expect(created.status).toBe(400);
    expect(JSON.stringify(created.body)).toContain('whenBusy');
  });
});

/** The engine, queue, log and run starter of a style whose queued start keeps its claim, on a clock of its own. */
function keyedPorts<Engine extends AnswerLosingEngine = AnswerLosingEngine>(
  engine: Engine = new AnswerLosingEngine() as Engine,
) {
  const queue = new FakeWorkQueue();
  const log = new InMemoryDeliveryLog(() => NOW);
  let now = NOW;
  const clock = () => now;
  const startRun = makeRunStarter(
    { engine, dedupe: new InMemoryDedupeStore(), logger: silentLogger, now: clock },
    { dedupeTtlSeconds: 60, dedupeWaitMs: 100, dedupeLeaseMs: 1000 },
  );
  /** Past the kept claim's lease (1 s): the queued start, or a sender's retry, takes the claim over. */
  const afterLease = () => void (now += 2_000);
  return { engine, queue, log, startRun, clock, afterLease };
}

/** The deps of the events style's handlers, on the ports of keyedPorts. */
function eventsHttpDeps(
  registry: FakeRegistry,
  ports: Pick<ReturnType<typeof keyedPorts>, 'engine' | 'startRun' | 'queue' | 'log' | 'clock'>,
  waits: InMemoryWaitStore,
) {
  const { engine, startRun, queue, log, clock } = ports;
  return eventsTestDeps({ registry, engine, waits, startRun, queue, now: clock, recording: recordingInto(log) });
}

/** Event workflows (POST /api/v2/webhook?ref=): the queued 202 names the run (`runRef`) the queued start becomes. */
function eventSetup() {
  const registry = new FakeRegistry()
    .addEventWorkflow('orders', [], 'STANDARD')
    .addEventWorkflow('orders-express', [], 'EXPRESS');
  registry.put(
    ...eventWorkflowItems({
      ref: 'rejects',
      eventTypes: [],
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:rejects',
      workflowType: 'STANDARD',
      whenBusy: 'reject',
    }),
  );
  const { engine, queue, log, startRun, clock, afterLease } = keyedPorts();
  const handler = makeEventWebhookHandler(
    eventsHttpDeps(registry, { engine, startRun, queue, log, clock }, new InMemoryWaitStore()),
  );
  const fanout = makeFanoutHandler({ startRun, engine, logger: silentLogger, deliveries: log });
  const post = async (ref: string, key?: string) =>
    answerOf(
      await handler(
        httpEvent({
          path: '/api/v2/webhook',
          query: { ref },
          headers: key === undefined ? {} : { 'idempotency-key': key },
          body: '{"order":7}',
        }),
        testContext,
      ),
    );
  const deliver = () => deliverAll(fanout, queue);
  return { engine, queue, log, post, deliver, afterLease };
}

describe('POST /api/v2/webhook?ref= when the engine is busy', () => {
  it.each(['orders', 'orders-express'])(
    'keyed (%s): keeps the claim, answers 202 queued with the runRef of the run the queued start then becomes',
    async (ref) => {
      // Arrange
      const { engine, queue, post, deliver, afterLease } = eventSetup();
      engine.failWith = BUSY();

      // Act
      const answer = await post(ref, 'order-7');
      const message = fanoutMessageSchema.parse(JSON.parse(queue.delayed[0]!.message.body));
      const delay = queue.delayed[0]!.delaySeconds;
      engine.failWith = undefined;
      afterLease();
      const worked = await deliver();

      // Assert
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({
        ...QUEUED,
        workflow: ref,
        runRef: expect.stringMatching(/^hf-/),
      });
      expect(delay).toBe(1); // the claim's lease: before, the worker would find the claim still held
      expect(message).toMatchObject({
        style: 'events',
        dedupeKey: expect.any(String),
        fingerprint: expect.any(String),
      });
      expect(worked.batchItemFailures).toEqual([]);
      expect(engine.started.map((s) => s.name)).toEqual([answer.body.runRef]);
    },
  );

  it('keyed: a sender retry after the lease and the queued start make one run, the one the 202 named', async () => {
    // Arrange
    const { engine, post, deliver, afterLease } = eventSetup();
    engine.failWith = BUSY();
    const queued = await post('orders', 'order-7');
    engine.failWith = undefined;
    afterLease();

    // Act
    const retried = await post('orders', 'order-7');
    const worked = await deliver();

    // Assert
    expect(queued.body.status).toBe('queued');
    expect(retried.status).toBe(202);
    expect(retried.body.runRef).toBe(queued.body.runRef);
    expect(worked.batchItemFailures).toEqual([]);
    expect(engine.started.map((s) => s.name)).toEqual([queued.body.runRef]);
  });

  it('keyed, the answer lost (the run may have started): the queued start asks for the same name, or finds the run', async () => {
    // Arrange: the engine starts the run but the answer is lost
    const { engine, post, deliver, afterLease } = eventSetup();
    engine.loseAnswers = true;
    const answer = await post('orders', 'order-7');
    engine.loseAnswers = false;
    afterLease();

    // Act
    await deliver();

    // Assert: the Standard claim names its run, which exists: the worker starts nothing more
    expect(answer.body.status).toBe('queued');
    expect(engine.started.map((s) => s.name)).toEqual([answer.body.runRef]);
  });

  it('unkeyed: the delivery names the run; 202 queued with that runRef, the record queued, then started with it', async () => {
    // Arrange
    const { engine, log, post, deliver } = eventSetup();
    engine.failWith = BUSY();

    // Act
    const answer = await post('orders');
    const queuedRecord = await log.get(String(answer.body.deliveryId));
    engine.failWith = undefined;
    await deliver();

    // Assert
    expect(answer.body).toMatchObject({ status: 'queued', runRef: expect.stringMatching(/^hf-/) });
    expect(queuedRecord).toMatchObject({ outcome: 'queued', status: 202 });
    expect(engine.started.map((s) => s.name)).toEqual([answer.body.runRef]);
    expect(await log.get(String(answer.body.deliveryId))).toMatchObject({
      outcome: 'started',
      runs: [{ executionArn: expect.stringContaining(String(answer.body.runRef)) }],
    });
  });

  it('answers 503 for a workflow that rejects, and when the queue refuses the message (the claim released)', async () => {
    // Arrange
    const { engine, queue, post } = eventSetup();
    engine.failWith = BUSY();

    // Act
    const rejected = await post('rejects', 'k-1');
    queue.failDelayed = new Error('SQS unavailable');
    const unqueued = await post('orders');
    queue.failDelayed = undefined;
    engine.failWith = undefined;
    const retried = await post('rejects', 'k-1');

    // Assert
    expect(rejected.status).toBe(503);
    expect(rejected.headers['retry-after']).toBe('3');
    expect(unqueued.status).toBe(503);
    expect(retried.status).toBe(202);
    expect(queue.delayed).toHaveLength(0);
  });
});

/** Client webhooks with `?async`: queued when the engine is busy, the 202 naming the run; a sync call never queues. */
function clientSetup() {
  const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
  const registry = new FakeRegistry()
    .addClientWebhook({
      client: 'c',
      name: 'std',
      productive: { stateMachineArn: arn('std'), workflowType: 'STANDARD' },
    })
    .addClientWebhook({ client: 'c', name: 'express' })
    .addClientWebhook({ client: 'c', name: 'rejects', whenBusy: 'reject' });
  const { engine, queue, log, startRun, clock, afterLease } = keyedPorts();
  const handler = makeClientWebhookHandler({
    registry,
    runAndWait: makeRunAndWait({ engine, logger: silentLogger }, { syncWaitMs: 1_000 }),
    startRun,
    queue,
    logger: silentLogger,
    maxBodyBytes: 1024,
    syncWaitMs: 1_000,
    executionLink: executionLinker('https://console.example/{executionArn}'),
    now: clock,
    recording: recordingInto(log),
  });
  const fanout = makeFanoutHandler({ startRun, engine, logger: silentLogger, deliveries: log });
  const call = async (name: string, query: Record<string, string>, key?: string) =>
    answerOf(
      await handler(
        httpEvent({
          path: `/webhook/c/${name}`,
          routeKey: 'POST /webhook/{client}/{name}',
          pathParameters: { client: 'c', name },
          query,
          headers: key === undefined ? {} : { 'idempotency-key': key },
          body: '{"order":7}',
        }),
        testContext,
      ),
    );
  return {
    engine,
    queue,
    log,
    call,
    deliver: () => deliverAll(fanout, queue),
    afterLease,
  };
}

describe('POST /webhook/{client}/{name}?async when the engine is busy', () => {
  it('keyed, Standard: 202 QUEUED naming the run (name, id, link); a retry after the lease and the queued start make that one run', async () => {
    // Arrange
    const { engine, call, deliver, afterLease } = clientSetup();
    engine.failWith = BUSY();
    const queued = await call('std', { async: '' }, 'order-7');
    engine.failWith = undefined;
    afterLease();

    // Act
    const retried = await call('std', { async: '' }, 'order-7');
    const worked = await deliver();

    // Assert
    expect(queued.status).toBe(202);
    expect(queued.headers['hookflow-execution-status']).toBe('QUEUED');
    expect(queued.body).toMatchObject({
      ...QUEUED,
      status: 'QUEUED',
      executionName: expect.stringMatching(/^hf-/),
      executionId: expect.stringContaining(':execution:std:hf-'),
    });
    expect(retried.body.executionId).toBe(queued.body.executionId);
    expect(worked.batchItemFailures).toEqual([]);
    expect(engine.started.map((s) => s.name)).toEqual([queued.body.executionName]);
  });

  it('unkeyed, Express: the delivery names the run; the record reads queued, then started with it', async () => {
    // Arrange
    const { engine, log, call, deliver } = clientSetup();
    engine.failWith = BUSY();

    // Act
    const queued = await call('express', { async: '' });
    const id = String(queued.body.deliveryId);
    const queuedRecord = await log.get(id);
    engine.failWith = undefined;
    await deliver();

    // Assert
    expect(queued.body).toMatchObject({
      status: 'QUEUED',
      executionId: null,
      executionName: expect.stringMatching(/^hf-/),
    });
    expect(queuedRecord).toMatchObject({ outcome: 'queued', status: 202 });
    expect(engine.started.map((s) => s.name)).toEqual([queued.body.executionName]);
    expect(await log.get(id)).toMatchObject({ outcome: 'started' });
  });

  it('never queues a synchronous call, nor a webhook that rejects: 503', async () => {
    // Arrange
    const { engine, queue, call } = clientSetup();
    engine.failWith = BUSY();

    // Act
    const sync = await call('std', {});
    const rejected = await call('rejects', { async: '' });

    // Assert
    expect([sync.status, rejected.status]).toEqual([503, 503]);
    expect(queue.delayed).toHaveLength(0);
  });
});

describe('whenBusy, a flow registration field (default reject)', () => {
  const input = { flowId: 'f', workflow: 'w' };
  const resolve = () => ({
    stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:x',
    workflowType: 'STANDARD' as const,
  });

  it('is written only when it differs from the default (reject), and read back', async () => {
    for (const [whenBusy, stored] of [
      ['queue', 'queue'],
      ['reject', undefined],
      [undefined, undefined],
    ] as const) {
      // Arrange
      const registry = new InMemoryRegistry();
      const registration = parseRegistration(flowRegistrations, {
        ...input,
        ...(whenBusy === undefined ? {} : { whenBusy }),
      });

      // Act
      const items = flowRegistrations.items(registration, resolve);
      for (const item of items) registry.put(item as never);

      // Assert
      expect(items.map((item) => item.whenBusy)).toEqual([stored]);
      expect((await readFlow(registry, 'f'))?.whenBusy).toBe(stored);
    }
  });

  it('refuses any other value, naming the field', () => {
    expect(() => parseRegistration(flowRegistrations, { ...input, whenBusy: 'later' })).toThrow(RegistrationError);
    expect(() => parseRegistration(flowRegistrations, { ...input, whenBusy: 'later' })).toThrow(/whenBusy/);
  });
});

/** Flows (POST /flows/{flowId}/trigger): opt-in; the queued 202 names the run (and a Standard run's ARN and link). */
function flowSetup() {
  const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
  const registry = new FakeRegistry()
    .addFlow({ flowId: 'std', stateMachineArn: arn('std'), workflowType: 'STANDARD', whenBusy: 'queue' })
    .addFlow({ flowId: 'express', whenBusy: 'queue' })
    .addFlow({ flowId: 'rejects' })
    .addApiKey('hf_test_key', { keyId: 'k' });
  const { engine, queue, log, startRun, clock, afterLease } = keyedPorts();
  const handler = makeFlowTriggerHandler({
    registry,
    startRun,
    queue,
    logger: silentLogger,
    maxBodyBytes: 1024,
    executionLink: executionLinker('https://console.example/{executionArn}'),
    now: clock,
    recording: recordingInto(log),
  });
  const fanout = makeFanoutHandler({ startRun, engine, logger: silentLogger, deliveries: log });
  const trigger = async (flowId: string, key?: string) =>
    answerOf(
      await handler(
        httpEvent({
          path: `/flows/${flowId}/trigger`,
          routeKey: 'POST /flows/{flowId}/trigger',
          pathParameters: { flowId },
          headers: { authorization: 'Bearer hf_test_key', ...(key === undefined ? {} : { 'idempotency-key': key }) },
          body: '{"order":7}',
        }),
        testContext,
      ),
    );
  return { engine, queue, log, trigger, deliver: () => deliverAll(fanout, queue), afterLease };
}

describe('POST /flows/{flowId}/trigger when the engine is busy', () => {
  it('keyed, Standard: 202 queued naming the run (name, ARN, link); a retry after the lease and the queued start make that one run', async () => {
    // Arrange
    const { engine, queue, trigger, deliver, afterLease } = flowSetup();
    engine.failWith = BUSY();
    const queued = await trigger('std', 'order-7');
    const message = fanoutMessageSchema.parse(JSON.parse(queue.delayed[0]!.message.body));
    engine.failWith = undefined;
    afterLease();

    // Act
    const retried = await trigger('std', 'order-7');
    const worked = await deliver();

    // Assert
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({
      ...QUEUED,
      executionName: expect.stringMatching(/^hf-/),
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:std:${String(queued.body.executionName)}`,
    });
    expect(queued.body.executionLink).toBe(`https://console.example/${String(queued.body.executionArn)}`);
    expect(message).toMatchObject({ style: 'flow-trigger', dedupeKey: expect.any(String) });
    expect(retried.body.executionLink).toBe(queued.body.executionLink);
    expect(worked.batchItemFailures).toEqual([]);
    expect(engine.started.map((s) => s.name)).toEqual([queued.body.executionName]);
  });

  it('unkeyed, Express: the delivery names the run (no ARN: AWS adds an id); the record reads queued, then started with it', async () => {
    // Arrange
    const { engine, log, trigger, deliver } = flowSetup();
    engine.failWith = BUSY();

    // Act
    const queued = await trigger('express');
    const id = String(queued.body.deliveryId);
    const queuedRecord = await log.get(id);
    engine.failWith = undefined;
    await deliver();

    // Assert
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ ...QUEUED, executionName: expect.stringMatching(/^hf-/) });
    expect(queued.body).not.toHaveProperty('executionArn');
    expect(queuedRecord).toMatchObject({ outcome: 'queued', status: 202 });
    expect(engine.started.map((s) => s.name)).toEqual([queued.body.executionName]);
    expect(await log.get(id)).toMatchObject({ outcome: 'started' });
  });

  it('answers 503 for a flow that rejects (the default), keyed or not, and queues nothing', async () => {
    // Arrange
    const { engine, queue, trigger } = flowSetup();
    engine.failWith = BUSY();

    // Act
    const unkeyed = await trigger('rejects');
    const keyed = await trigger('rejects', 'order-8');
    engine.failWith = undefined;
    const retried = await trigger('rejects', 'order-8');

    // Assert
    expect([unkeyed.status, keyed.status, retried.status]).toEqual([503, 503, 202]);
    expect(queue.delayed).toHaveLength(0);
    expect(engine.started).toHaveLength(1);
  });
});

/** An engine whose SendTaskSuccess may be throttled too (resumeBusy), apart from its starts (failWith). */
class ResumeBusyEngine extends AnswerLosingEngine {
  resumeBusy = false;
  override async resumeTask(taskToken: string, result: { output: unknown } | { error: string; cause: string }) {
    if (this.resumeBusy) throw new EngineBusyError('Rate exceeded', { retryAfterSeconds: 3, refused: true });
    return super.resumeTask(taskToken, result);
  }
}

/** CloudEvents intake (POST /api/v2/event): a start the busy engine refused is queued per event and subscriber. */
function intakeSetup() {
  const registry = new FakeRegistry().addEventWorkflow('orders', ['com.example.order.created'], 'STANDARD');
  registry.put(
    ...eventWorkflowItems({
      ref: 'rejects',
      eventTypes: ['com.example.order.refused'],
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:rejects',
      workflowType: 'STANDARD',
      whenBusy: 'reject',
    }),
  );
  const { engine, queue, log, startRun, clock, afterLease } = keyedPorts(new ResumeBusyEngine());
  const waits = new InMemoryWaitStore();
  const handler = makeEventIntakeHandler(eventsHttpDeps(registry, { engine, startRun, queue, log, clock }, waits));
  const fanout = makeFanoutHandler({ startRun, engine, logger: silentLogger, deliveries: log });
  const send = async (type: string, ref?: string) =>
    answerOf<IntakeAnswer>(
      await handler(
        httpEvent({
          path: '/api/v2/event',
          ...(ref === undefined ? {} : { query: { ref } }),
          headers: { 'content-type': 'application/cloudevents+json' },
          body: JSON.stringify({ specversion: '1.0', id: 'order-7', source: '/shop', type, data: { order: 7 } }),
        }),
        testContext,
      ),
    );
  const deliver = () => deliverAll(fanout, queue);
  return { engine, queue, log, waits, send, deliver, afterLease };
}

interface IntakeAnswer {
  readonly deliveryId?: string;
  readonly deliveryLink?: string;
  readonly events: readonly {
    readonly started: readonly { readonly runRef: string }[];
    readonly queued?: readonly { readonly workflow: string; readonly runRef: string }[];
    readonly resumed: boolean;
  }[];
}

describe('POST /api/v2/event when the engine is busy', () => {
  it('queues the start of a subscriber that queues: 202 listing it queued with its runRef, one message; the worker starts that run', async () => {
    // Arrange
    const { engine, queue, log, send, deliver, afterLease } = intakeSetup();
    engine.failWith = BUSY();

    // Act
    const answer = await send('com.example.order.created');
    const messages = queue.delayed.map(({ message }) => fanoutMessageSchema.parse(JSON.parse(message.body)));
    const queuedRecord = await log.get(String(answer.body.deliveryId));
    engine.failWith = undefined;
    afterLease();
    const worked = await deliver();

    // Assert
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({
      deliveryId: expect.stringMatching(/^dlv_/),
      deliveryLink: expect.stringMatching(/\/api\/deliveries\/dlv_/),
      events: [
        { started: [], queued: [{ workflow: 'orders', runRef: expect.stringMatching(/^hf-/) }], resumed: false },
      ],
    });
    expect(messages).toEqual([
      expect.objectContaining({ style: 'events', dedupeKey: expect.any(String), fingerprint: 'cloudevent' }),
    ]);
    // The claim does not carry the record: the message does, for a handler that dies before its answer.
    expect(messages[0]!.record).toMatchObject({ outcome: 'queued' });
    expect(queuedRecord).toMatchObject({ outcome: 'queued', status: 202 });
    expect(worked.batchItemFailures).toEqual([]);
    expect(engine.started.map((s) => s.name)).toEqual([answer.body.events[0]!.queued![0]!.runRef]);
    expect(await log.get(String(answer.body.deliveryId))).toMatchObject({ outcome: 'started' });
  });

  it('the same event resent (same source and id) meets the kept claim: no second run, before or after the worker', async () => {
    // Arrange
    const { engine, send, deliver, afterLease } = intakeSetup();
    engine.failWith = BUSY();
    const queued = await send('com.example.order.created');
    engine.failWith = undefined;
    afterLease();

    // Act
    const resent = await send('com.example.order.created');
    await deliver();
    const again = await send('com.example.order.created');

    // Assert
    const runRef = queued.body.events[0]!.queued![0]!.runRef;
    expect(resent.status).toBe(202);
    expect(resent.body.events[0]!.started.map((s) => s.runRef)).toEqual([runRef]);
    expect(again.body.events[0]!.started.map((s) => s.runRef)).toEqual([runRef]);
    expect(engine.started.map((s) => s.name)).toEqual([runRef]);
  });

  it('answers 503 with Retry-After for a subscriber that rejects, and queues nothing', async () => {
    // Arrange
    const { engine, queue, send } = intakeSetup();
    engine.failWith = BUSY();

    // Act
    const refused = await send('com.example.order.refused');

    // Assert
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('3');
    expect(queue.delayed).toHaveLength(0);
  });

  it('a busy resume answers 503 (not a start: never queued) with the start kept; the retry resumes and the start is one run', async () => {
    // Arrange: run `orders` waits on the event's type; the engine refuses both the start and the resume
    const { engine, queue, waits, send, deliver, afterLease } = intakeSetup();
    waits.add({ ref: 'orders', topic: 'com.example.order.created', taskToken: 'token-1' });
    engine.failWith = BUSY();
    engine.resumeBusy = true;

    // Act
    const busy = await send('com.example.order.created', 'orders');
    const kept = queue.delayed.length;
    engine.failWith = undefined;
    engine.resumeBusy = false;
    afterLease();
    const retried = await send('com.example.order.created', 'orders');
    const worked = await deliver();

    // Assert
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('3');
    expect(kept).toBe(1);
    expect(retried.status).toBe(202);
    expect(retried.body.events[0]).toMatchObject({ resumed: true, started: [{ runRef: expect.any(String) }] });
    expect(worked.batchItemFailures).toEqual([]);
    expect(engine.started.map((s) => s.name)).toEqual([retried.body.events[0]!.started[0]!.runRef]);
    expect(engine.resumed.map((r) => r.taskToken)).toEqual(['token-1']);
  });
});
