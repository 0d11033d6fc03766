import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { executionLinker } from '../../../functions/core/runs/execution-link';
import { makeRunStarter } from '../../../functions/core/runs/start-run';
import { busyRequeueDelay, makeFanoutHandler } from '../../../functions/styles/inbound/fanout-worker';
import { EngineBusyError } from '../../../functions/core/outcomes';
import { makeInboundHandler, makeRunStatusHandler } from '../../../functions/styles/inbound/http';
import { httpEvent, sqsEvent, testContext } from '../../support/api-gateway-events';
import { FakeEngine, FakeRegistry, FakeWorkQueue, InMemoryDedupeStore, silentLogger } from '../../support/fakes';

const SECRET = 'inbound-test-secret';
const ONBOARDING_ID = '3f1c2a9e-0b7d-4c55-9a51-1b2c3d4e5f60';

function setup(options: { maxBatchItems?: number; maxInputBytes?: number } = {}) {
  const registry = new FakeRegistry()
    .addInboundSecret(SECRET)
    .addInboundWorkflow('workflow name', ONBOARDING_ID)
    .addInboundWorkflow('alternative workflow', '0e4a7a51-5d0f-4a9a-8f4e-2f7c6b1d9e10');
  const engine = new FakeEngine();
  const dedupe = new InMemoryDedupeStore();
  const queue = new FakeWorkQueue();
  const startRun = makeRunStarter(
    { engine, dedupe, logger: silentLogger },
    { dedupeTtlSeconds: 60, dedupeWaitMs: 100, dedupeLeaseMs: 1000 },
  );
  const executionLink = executionLinker('https://console.example/{executionArn}');
  const handler = makeInboundHandler({
    registry,
    dedupe,
    startRun,
    queue,
    logger: silentLogger,
    executionLink,
    maxInputBytes: options.maxInputBytes ?? 10_000,
    limits: { maxBodyBytes: 1_000_000, maxBatchItems: options.maxBatchItems ?? 1000 },
    now: () => new Date('2026-01-01T00:00:00.000Z').getTime(),
  });
  const statusHandler = makeRunStatusHandler({ registry, dedupe, executionLink, logger: silentLogger });
  // As deployed: a busy engine sends the item back to the same queue, delayed (here at most twice).
  const fanout = makeFanoutHandler({
    startRun,
    logger: silentLogger,
    requeue: { queue, settings: { maxRequeues: 2, backoffSeconds: 2 } },
    random: () => 0.5,
  });

  const respond = (result: APIGatewayProxyStructuredResultV2) => ({
    status: result.statusCode,
    headers: result.headers ?? {},
    body: JSON.parse(result.body ?? 'null') as Record<string, unknown>,
  });
  const post = async (body: unknown, headers: Record<string, string> = { 'inbound-webhook-secret': SECRET }) =>
    respond(
      (await handler(
        httpEvent({ path: '/inbound', body: typeof body === 'string' ? body : JSON.stringify(body), headers }),
        testContext,
      )) as APIGatewayProxyStructuredResultV2,
    );
  const status = async (runRef: string) =>
    respond(
      (await statusHandler(
        httpEvent({
          method: 'GET',
          path: `/inbound/runs/${runRef}`,
          routeKey: 'GET /inbound/runs/{runRef}',
          pathParameters: { runRef },
          headers: { 'inbound-webhook-secret': SECRET },
        }),
        testContext,
      )) as APIGatewayProxyStructuredResultV2,
    );
  /** Delivers what the inbound handler queued to the worker, as SQS records. */
  const deliver = async (messages = queue.sent.splice(0)) => fanout(sqsEvent(messages), testContext);
  return { registry, engine, queue, post, status, deliver };
}

/** Seed 4's single request example, verbatim. */
const SEED_SINGLE = {
  workflow: 'workflow name',
  stateValues: { statename: 'value' },
  uid: 'a generated unique ID for the request',
  extra_stuff: { lots: 'of it' },
};
/** Seed 4's batch example, verbatim. */
const SEED_BATCH = {
  workflow: 'workflow name',
  batch: [
    {
      uid: 'request1',
      workflow: 'alternative workflow',
      stateValues: { state: 'value' },
      runtimeData: { key: 'value' },
    },
    { uid: 'request2', stateValues: { state: 'value' } },
  ],
};

describe('POST /inbound, single requests', () => {
  it("starts the seed's example with stateValues and the other fields as runtime data", async () => {
    const { engine, post } = setup();

    const response = await post(SEED_SINGLE);

    expect(response).toMatchObject({
      status: 202,
      body: {
        uid: SEED_SINGLE.uid,
        runRef: expect.stringMatching(/^u_/),
        executionId: expect.stringContaining(':execution:workflow name:'),
        executionLink: expect.stringContaining('https://console.example/'),
      },
    });
    expect(engine.started[0]!.input).toEqual({
      stateValues: { statename: 'value' },
      runtime: { extra_stuff: { lots: 'of it' } },
      trigger: {
        style: 'inbound',
        workflow: 'workflow name',
        workflowId: ONBOARDING_ID,
        uid: SEED_SINGLE.uid,
        runRef: response.body.runRef,
        receivedAt: '2026-01-01T00:00:00.000Z',
        // The run leads back to its delivery record (docs/deliveries.md).
        deliveryId: response.headers['hookflow-delivery-id'],
      },
    });
  });

  it('finds the workflow by its id too', async () => {
    const { engine, post } = setup();

    await post({ workflow: ONBOARDING_ID });

    expect(engine.started[0]!.stateMachineArn).toContain(':stateMachine:workflow name');
  });

  it('finds the workflow by its id in upper case too: UUIDs compare case-insensitively', async () => {
    const { engine, post } = setup();

    const single = await post({ workflow: ONBOARDING_ID.toUpperCase() });
    const batch = await post({
      workflow: 'workflow name',
      batch: [{ workflow: '0E4A7A51-5D0F-4A9A-8F4E-2F7C6B1D9E10' }],
    });

    expect(single.status).toBe(202);
    expect(engine.started[0]!.stateMachineArn).toContain(':stateMachine:workflow name');
    expect(batch.status).toBe(202);
  });

  it('keeps comparing names exactly: a name in another case is not found', async () => {
    const { engine, post } = setup();

    const response = await post({ workflow: 'Workflow Name' });

    expect(response).toMatchObject({ status: 404, body: { error: 'workflow "Workflow Name" does not exist' } });
    expect(engine.started).toHaveLength(0);
  });

  it('starts nothing for a uid seen before, answering with the first run', async () => {
    const { engine, post } = setup();

    const first = await post(SEED_SINGLE);
    const again = await post({ ...SEED_SINGLE, extra_stuff: 'changed' });

    expect(engine.started).toHaveLength(1);
    expect(again).toMatchObject({ status: 202, headers: { 'idempotent-replayed': 'true' } });
    expect(again.body.executionId).toBe(first.body.executionId);
  });

  it.each([
    ['a missing secret', {}],
    ['a wrong secret', { 'inbound-webhook-secret': 'nope' }],
  ])('answers 401 for %s', async (_name, headers) => {
    const { engine, post } = setup();

    const response = await post(SEED_SINGLE, headers);

    expect(response).toMatchObject({ status: 401, body: { error: expect.stringContaining('Inbound-Webhook-Secret') } });
    expect(engine.started).toHaveLength(0);
  });

  it('accepts either secret while one is being rotated', async () => {
    const { registry, post } = setup();
    registry.addInboundSecret('the-next-secret');

    expect((await post({ workflow: 'workflow name' })).status).toBe(202);
    expect((await post({ workflow: 'workflow name' }, { 'inbound-webhook-secret': 'the-next-secret' })).status).toBe(
      202,
    );
  });

  it.each([
    ['no workflow', { uid: 'x' }, 400, /workflow is required/],
    ['a non-object stateValues', { workflow: 'workflow name', stateValues: [1] }, 400, /stateValues/],
    ['an unknown workflow', { workflow: 'nope' }, 404, /workflow "nope" does not exist/],
    ['malformed JSON', '{"workflow":', 400, /not valid JSON/],
  ])('answers {error} for %s', async (_name, body, status, message) => {
    const { post } = setup();

    expect(await post(body)).toMatchObject({ status, body: { error: expect.stringMatching(message) } });
  });
});

describe('POST /inbound, batches', () => {
  it('queues items holding characters SQS refuses (U+FFFF, U+FFFE) as bodies SQS accepts, and runs them unchanged', async () => {
    // SendMessage's character set: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
    const sqsCharacters = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
    const { engine, queue, post, deliver } = setup();
    const stateValues = { text: 'a\uFFFFb\uFFFE c \u{1F600} \u0001', ['k\uFFFF']: 1 };

    const response = await post({ workflow: 'workflow name', batch: [{ uid: 'odd-characters', stateValues }] });

    expect(response.status).toBe(202);
    expect(queue.sent.map((m) => sqsCharacters.test(m.body))).toEqual([true]);
    expect(await deliver()).toEqual({ batchItemFailures: [] });
    expect(engine.started.map((r) => (r.input as { stateValues: unknown }).stateValues)).toEqual([stateValues]);
  });

  it("queues the seed's example: request1 on the alternative workflow, request2 inheriting the parent's", async () => {
    const { engine, queue, post, deliver } = setup();

    const response = await post(SEED_BATCH);

    expect(response.status).toBe(202);
    expect(response.body.batch).toEqual([
      {
        index: 0,
        uid: 'request1',
        runRef: expect.stringMatching(/^u_/),
        runUrl: expect.stringMatching(/^https:\/\/test\.local\/inbound\/runs\/u_/),
        status: 'QUEUED',
      },
      { index: 1, uid: 'request2', runRef: expect.stringMatching(/^u_/), runUrl: expect.any(String), status: 'QUEUED' },
    ]);
    expect(queue.sent).toHaveLength(2);
    expect(engine.started).toHaveLength(0);

    expect(await deliver()).toEqual({ batchItemFailures: [] });
    const byUid = new Map(engine.started.map((r) => [(r.input as { trigger: { uid: string } }).trigger.uid, r]));
    expect(byUid.get('request1')).toMatchObject({
      stateMachineArn: expect.stringContaining(':stateMachine:alternative workflow'),
      input: { stateValues: { state: 'value' }, runtime: { key: 'value' } },
    });
    expect(byUid.get('request2')).toMatchObject({
      stateMachineArn: expect.stringContaining(':stateMachine:workflow name'),
      input: { stateValues: { state: 'value' }, runtime: {} },
    });
  });

  it('applies the inheritance rules item by item', async () => {
    const { engine, post, deliver } = setup();

    await post({
      workflow: 'workflow name',
      stateValues: { parent: 'values' },
      uid: 'parent-uid-is-ignored',
      batch: [
        {}, // inherits workflow and stateValues
        { stateValues: {} }, // an empty object overrides with nothing
        { stateValues: null, workflow: null }, // null counts as undefined: inherits
        { workflow: 'alternative workflow', stateValues: { own: 1 } },
      ],
    });
    await deliver();

    const items = engine.started
      .map((r) => ({ arn: r.stateMachineArn, input: r.input as Record<string, { batchIndex?: number }> }))
      .sort((a, b) => a.input.trigger!.batchIndex! - b.input.trigger!.batchIndex!);
    expect(items.map((i) => [i.arn.split(':').at(-1), i.input.stateValues])).toEqual([
      ['workflow name', { parent: 'values' }],
      ['workflow name', {}],
      ['workflow name', { parent: 'values' }],
      ['alternative workflow', { own: 1 }],
    ]);
    expect(items.map((i) => i.input.trigger)).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ uid: 'parent-uid-is-ignored' })]),
    );
  });

  it.each([
    ['a non-object stateValues', { stateValues: 'x' }, /batch\[1\]: stateValues/],
    ['an unknown field', { statevalues: {} }, /batch\[1\]: unknown field "statevalues"/],
    ['a non-object item', 'just a string', /batch\[1\]/],
  ])('rejects the whole batch for an item with %s, queuing nothing', async (_name, bad, message) => {
    const { queue, post } = setup();

    const response = await post({ workflow: 'workflow name', batch: [{}, bad, {}] });

    expect(response).toMatchObject({ status: 400, body: { error: expect.stringMatching(message) } });
    expect(queue.sent).toHaveLength(0);
  });

  it('rejects the batch when an item names an unknown workflow, giving its index', async () => {
    const { queue, post } = setup();

    const response = await post({ workflow: 'workflow name', batch: [{}, {}, { workflow: 'nope' }] });

    expect(response).toMatchObject({ status: 404, body: { error: 'batch[2]: workflow "nope" does not exist' } });
    expect(queue.sent).toHaveLength(0);
  });

  it("still requires the parent's workflow, even when every item names its own", async () => {
    const { post } = setup();

    expect(await post({ batch: [{ workflow: 'alternative workflow' }] })).toMatchObject({ status: 400 });
    expect(await post({ workflow: 'nope', batch: [{ workflow: 'alternative workflow' }] })).toMatchObject({
      status: 404,
    });
  });

  it.each([
    ['more items than MAX_BATCH_ITEMS', { maxBatchItems: 2 }, [{}, {}, {}], /3 items; the limit is 2/],
    [
      'an item whose input is over the limit',
      { maxInputBytes: 400 },
      [{}, { runtimeData: { x: 'y'.repeat(500) } }],
      /batch\[1\]: the workflow input/,
    ],
  ])('answers 413 for %s', async (_name, options, batch, message) => {
    const { queue, post } = setup(options);

    const response = await post({ workflow: 'workflow name', batch });

    expect(response).toMatchObject({ status: 413, body: { error: expect.stringMatching(message) } });
    expect(queue.sent).toHaveLength(0);
  });

  it('answers 400 for an empty batch', async () => {
    const { post } = setup();

    expect(await post({ workflow: 'workflow name', batch: [] })).toMatchObject({ status: 400 });
  });

  it('answers 503 naming the items SQS kept refusing, while the rest stay queued', async () => {
    const { queue, post } = setup();
    queue.failIds = new Set(['1']);

    const response = await post({ workflow: 'workflow name', batch: [{ uid: 'a' }, { uid: 'b' }, { uid: 'c' }] });

    expect(response.status).toBe(503);
    expect((response.body.batch as { status: string }[]).map((e) => e.status)).toEqual([
      'QUEUED',
      'NOT_QUEUED',
      'QUEUED',
    ]);
    expect(queue.sent).toHaveLength(2);
  });

  it('dedupes a uid across a single request and a batch item', async () => {
    const { engine, post, deliver, status } = setup();

    const single = await post({ workflow: 'workflow name', uid: 'order-7' });
    const batch = await post({ workflow: 'workflow name', batch: [{ uid: 'order-7' }, { uid: 'order-8' }] });
    await deliver();

    expect(engine.started).toHaveLength(2);
    const [order7] = batch.body.batch as { runRef: string }[];
    expect(order7!.runRef).toBe(single.body.runRef);
    expect(await status(order7!.runRef)).toMatchObject({
      status: 200,
      body: { status: 'STARTED', executionId: single.body.executionId },
    });
  });

  it('says which items of a resent batch are duplicates (with their run), queueing only the new ones', async () => {
    const { engine, queue, post, deliver, status } = setup();
    const first = await post({ workflow: 'workflow name', batch: [{ uid: 'a' }, { uid: 'b' }] });
    await deliver();
    const [runA, runB] = await Promise.all(
      (first.body.batch as { runRef: string }[]).map(async (e) => (await status(e.runRef)).body.executionId),
    );

    const resent = await post({ workflow: 'workflow name', batch: [{ uid: 'a' }, { uid: 'b' }, { uid: 'c' }, {}] });

    expect(resent.status).toBe(202);
    expect(resent.body.batch).toEqual([
      expect.objectContaining({
        index: 0,
        uid: 'a',
        status: 'DUPLICATE',
        executionId: runA,
        executionLink: `https://console.example/${runA}`,
      }),
      expect.objectContaining({ index: 1, uid: 'b', status: 'DUPLICATE', executionId: runB }),
      expect.objectContaining({ index: 2, uid: 'c', status: 'QUEUED' }),
      expect.objectContaining({ index: 3, uid: null, status: 'QUEUED' }),
    ]);
    expect(queue.sent).toHaveLength(2);
    await deliver();
    expect(engine.started).toHaveLength(4);
  });

  it('marks a uid repeated within one batch as a duplicate of its first item, queueing it once', async () => {
    const { engine, queue, post, deliver } = setup();

    const response = await post({ workflow: 'workflow name', batch: [{ uid: 'x' }, { uid: 'y' }, { uid: 'x' }] });

    const entries = response.body.batch as { runRef: string; status: string; executionId?: string }[];
    expect(entries.map((e) => e.status)).toEqual(['QUEUED', 'QUEUED', 'DUPLICATE']);
    expect(entries[2]!.runRef).toBe(entries[0]!.runRef);
    expect(entries[2]!.executionId).toBeUndefined();
    expect(queue.sent).toHaveLength(2);
    await deliver();
    expect(engine.started).toHaveLength(2);
  });

  it('resolves a run reference: PENDING while queued, then STARTED with the execution', async () => {
    const { post, deliver, status } = setup();
    const response = await post({ workflow: 'workflow name', batch: [{}] });
    const [entry] = response.body.batch as { runRef: string }[];

    expect((await status(entry!.runRef)).body).toMatchObject({ status: 'PENDING' });
    await deliver();
    expect((await status(entry!.runRef)).body).toMatchObject({
      status: 'STARTED',
      executionId: expect.stringContaining(':execution:'),
      executionLink: expect.stringContaining('https://console.example/'),
    });
    expect(await status('not-a-ref')).toMatchObject({ status: 400 });
  });
});

describe('the fan-out worker', () => {
  it('starts nothing for a message delivered twice', async () => {
    const { engine, queue, post, deliver } = setup();
    await post({ workflow: 'workflow name', batch: [{}, {}] });
    const messages = [...queue.sent];

    await deliver(messages);
    await deliver(messages);

    expect(engine.started).toHaveLength(2);
  });

  it('reports the records whose run could not start, so SQS redelivers only those', async () => {
    const { engine, queue, post, deliver } = setup();
    await post({ workflow: 'workflow name', batch: [{}, {}] });
    const messages = [...queue.sent];
    engine.failWith = new Error('Step Functions is down');

    const failed = await deliver(messages);
    engine.failWith = undefined;
    const retried = await deliver(messages);

    expect(failed.batchItemFailures).toHaveLength(2);
    expect(retried.batchItemFailures).toHaveLength(0);
    expect(engine.started).toHaveLength(2);
  });

  it('sends an item the engine was too busy to start back to the queue, delayed, instead of failing it', async () => {
    const { engine, queue, post, deliver } = setup();
    await post({ workflow: 'workflow name', batch: [{ uid: 'busy-1' }] });
    const [original] = queue.sent.splice(0);
    engine.failWith = new EngineBusyError('Rate exceeded', { retryAfterSeconds: 1 });

    const first = await deliver([original!]);

    // Not failed: SQS deletes the original, whose receives stay unspent; a new message carries the item.
    expect(first.batchItemFailures).toEqual([]);
    expect(queue.delayed).toHaveLength(1);
    expect(queue.delayed[0]!.delaySeconds).toBe(2);
    const requeued = queue.delayed[0]!.message;
    expect(JSON.parse(requeued.body)).toMatchObject({ ...JSON.parse(original!.body), busyRequeues: 1 });
    expect(engine.started).toHaveLength(0);
  });

  it('starts a requeued item once, even when the original is delivered again too (a crash after the requeue)', async () => {
    const { engine, queue, post, deliver } = setup();
    await post({ workflow: 'workflow name', batch: [{ uid: 'busy-2' }] });
    const [original] = queue.sent.splice(0);
    engine.failWith = new EngineBusyError('Rate exceeded');
    await deliver([original!]);
    engine.failWith = undefined;

    const results = [await deliver([queue.delayed[0]!.message]), await deliver([original!])];

    expect(results.map((r) => r.batchItemFailures)).toEqual([[], []]);
    expect(engine.started).toHaveLength(1);
  });

  it('fails a busy item once it has used its requeues, so it reaches the dead-letter queue after its receives', async () => {
    const { engine, queue, post, deliver } = setup();
    await post({ workflow: 'workflow name', batch: [{ uid: 'busy-3' }] });
    engine.failWith = new EngineBusyError('Rate exceeded');
    let message = queue.sent.splice(0)[0]!;
    for (let i = 0; i < 2; i++) {
      await deliver([message]);
      message = queue.delayed.at(-1)!.message;
    }

    const last = await deliver([message]);

    expect(JSON.parse(message.body)).toMatchObject({ busyRequeues: 2 });
    expect(last.batchItemFailures).toHaveLength(1);
    expect(queue.delayed).toHaveLength(2);
  });

  it('fails a busy item whose requeue SQS refused: the original comes back after its visibility timeout', async () => {
    const { engine, queue, post, deliver } = setup();
    await post({ workflow: 'workflow name', batch: [{ uid: 'busy-4' }] });
    engine.failWith = new EngineBusyError('Rate exceeded');
    queue.failDelayed = new Error('SQS unavailable');

    const result = await deliver(queue.sent.splice(0));

    expect(result.batchItemFailures).toHaveLength(1);
    expect(queue.delayed).toHaveLength(0);
  });

  it('fails a record that is not a fan-out message', async () => {
    const { deliver } = setup();

    const result = await deliver([{ id: 'x', body: '{"nope":true}' }]);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-x-0' }]);
  });
});

describe('busyRequeueDelay (functions/styles/inbound/fanout-worker.ts)', () => {
  const settings = { maxRequeues: 20, backoffSeconds: 2 };

  it('doubles from FANOUT_BUSY_BACKOFF_SECONDS, with equal jitter (half fixed, half random)', () => {
    const delays = [0, 1, 2, 3].map((n) => [
      busyRequeueDelay(n, 1, settings, () => 0),
      busyRequeueDelay(n, 1, settings, () => 0.999),
    ]);

    expect(delays).toEqual([
      [1, 2],
      [2, 4],
      [4, 8],
      [8, 16],
    ]);
  });

  it("is never shorter than the busy outcome's Retry-After, never longer than SQS's 900 s", () => {
    expect(busyRequeueDelay(0, 30, settings, () => 0)).toBe(30);
    expect(busyRequeueDelay(19, 1, settings, () => 0.999)).toBe(900);
    expect(busyRequeueDelay(0, 5_000, settings, () => 0)).toBe(900);
  });

  it('stops after FANOUT_BUSY_REQUEUES requeues', () => {
    expect(busyRequeueDelay(19, 1, settings)).toBeDefined();
    expect(busyRequeueDelay(20, 1, settings)).toBeUndefined();
    expect(busyRequeueDelay(0, 1, { ...settings, maxRequeues: 0 })).toBeUndefined();
  });
});
