import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { executionLinker } from '../../../functions/core/runs/execution-link';
import { makeRunAndWait } from '../../../functions/core/runs/run-and-wait';
import { makeRunStarter } from '../../../functions/core/runs/start-run';
import { makeClientWebhookHandler } from '../../../functions/styles/client-webhook/http';
import { httpEvent, testContext } from '../../support/api-gateway-events';
import { FakeEngine, FakeRegistry, InMemoryDedupeStore, silentLogger } from '../../support/fakes';

const KEY = 'my-secret-api-key';
const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;

function setup() {
  const registry = new FakeRegistry()
    .addClientWebhook({ client: 'myclient', name: 'signup', key: KEY, runAs: 'kevin' })
    .addClientWebhook({ client: 'myclient', name: 'open' })
    .addClientWebhook({
      client: 'myclient',
      name: 'standard',
      productive: { stateMachineArn: arn('standard'), workflowType: 'STANDARD' },
    })
    .addClientWebhook({
      client: 'myclient',
      name: 'in-dev',
      mode: 'dev',
      dev: { stateMachineArn: arn('in-dev-latest'), workflowType: 'EXPRESS' },
    });
  const engine = new FakeEngine();
  let clock = 0;
  const runAndWait = makeRunAndWait(
    { engine, logger: silentLogger, now: () => clock, sleep: async (ms) => void (clock += ms) },
    { syncWaitMs: 1_000 },
  );
  const startRun = makeRunStarter(
    { engine, dedupe: new InMemoryDedupeStore(), logger: silentLogger },
    { dedupeTtlSeconds: 60, dedupeWaitMs: 100, dedupeLeaseMs: 1000 },
  );
  const handler = makeClientWebhookHandler({
    registry,
    runAndWait,
    startRun,
    logger: silentLogger,
    maxBodyBytes: 1024,
    syncWaitMs: 1_000,
    executionLink: executionLinker('https://console.example/{executionArn}'),
    now: () => new Date('2026-01-01T00:00:00.000Z').getTime(),
  });
  const call = async (options: {
    name?: string;
    method?: 'GET' | 'POST';
    query?: Record<string, string>;
    body?: string;
    headers?: Record<string, string>;
  }) => {
    const name = options.name ?? 'signup';
    const method = options.method ?? 'POST';
    const result = (await handler(
      httpEvent({
        method,
        path: `/webhook/myclient/${name}`,
        routeKey: `${method} /webhook/{client}/{name}`,
        pathParameters: { client: 'myclient', name },
        ...(options.query === undefined ? {} : { query: options.query }),
        ...(options.headers === undefined ? {} : { headers: options.headers }),
        ...(options.body === undefined ? {} : { body: options.body }),
      }),
      testContext,
    )) as APIGatewayProxyStructuredResultV2;
    return {
      status: result.statusCode,
      headers: result.headers ?? {},
      body: JSON.parse(result.body ?? 'null') as Record<string, unknown>,
    };
  };
  return { engine, call };
}

describe('GET|POST /webhook/{client}/{name}', () => {
  it('runs the workflow, waits, and answers 200 with status, input and output (key in the body)', async () => {
    const { engine, call } = setup();

    const response = await call({ body: JSON.stringify({ key: KEY, email: 'a@example.com' }) });

    expect(response.status).toBe(200);
    expect(response.headers['hookflow-execution-status']).toBe('SUCCEEDED');
    expect(response.body).toMatchObject({
      status: 'SUCCEEDED',
      mode: 'productive',
      webhook: { client: 'myclient', name: 'signup', runAs: 'kevin' },
      workflow: arn('signup'),
      executionId: expect.stringContaining(':express:signup:'),
      executionLink: expect.stringMatching(/^https:\/\/console\.example\/arn:aws:states:/),
      input: { payload: { email: 'a@example.com' } },
      output: { payload: { email: 'a@example.com' } },
    });
    expect(engine.syncStarted).toHaveLength(1);
    expect(engine.syncStarted[0]!.waitMs).toBe(1_000);
  });

  it.each([
    ['a name with a space', 'sign up', 'name: webhook name must be 1-128 letters, digits, ".", "_" or "-"'],
    ['a 129-character name', 'n'.repeat(129), 'name: webhook name must be 1-128 letters, digits, ".", "_" or "-"'],
    ['an empty name', '', 'name: webhook name must be 1-128 letters, digits, ".", "_" or "-"'],
  ])('refuses %s in the path with 400 and the rule, starting nothing', async (_what, name, message) => {
    const { engine, call } = setup();

    const response = await call({ name, body: '{}' });

    expect(response.status).toBe(400);
    expect(response.body.error).toContain(message);
    expect(engine.syncStarted).toHaveLength(0);
  });

  it('hands the workflow headers, query and payload, but never the key or credential headers', async () => {
    const { engine, call } = setup();

    await call({
      query: { key: KEY, ref: 'campaign-7' },
      body: '{"email":"a@example.com"}',
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret', 'x-request-id': 'r1' },
    });

    const input = engine.syncStarted[0]!.request.input as Record<string, unknown>;
    expect(input).toEqual({
      headers: { 'content-type': 'application/json', 'x-request-id': 'r1' },
      query: { ref: 'campaign-7' },
      payload: { email: 'a@example.com' },
      webhook: { client: 'myclient', name: 'signup', runAs: 'kevin', mode: 'productive' },
      trigger: {
        style: 'client-webhook',
        method: 'POST',
        receivedAt: '2026-01-01T00:00:00.000Z',
        // The delivery's id, and the sender's own (X-Request-Id) as its correlation id (docs/deliveries.md).
        deliveryId: expect.stringMatching(/^dlv_/),
        correlationId: 'r1',
      },
    });
    expect(JSON.stringify(input)).not.toContain(KEY);
  });

  it.each([
    ['no key', {}, /needs its key/],
    ['a wrong key in the query', { query: { key: 'wrong' } }, /invalid webhook key/],
    ['a wrong key in the body', { body: '{"key":"wrong"}' }, /invalid webhook key/],
  ])('answers 401 for %s, starting nothing', async (_name, options, message) => {
    const { engine, call } = setup();

    const response = await call(options);

    expect(response).toMatchObject({ status: 401, body: { error: expect.stringMatching(message) } });
    expect(engine.syncStarted).toHaveLength(0);
  });

  it('answers a GET with only a query string, payload null', async () => {
    const { engine, call } = setup();

    const response = await call({ method: 'GET', query: { key: KEY, q: '1' } });

    expect(response.status).toBe(200);
    expect(engine.syncStarted[0]!.request.input).toMatchObject({ payload: null, query: { q: '1' } });
  });

  it('answers ?async at once with 202 and the execution id, without waiting', async () => {
    const { engine, call } = setup();

    const response = await call({ name: 'open', query: { async: '' } });

    expect(response.status).toBe(202);
    expect(response.body).toEqual({
      executionId: expect.stringContaining(':execution:open:'),
      executionLink: expect.stringContaining('https://console.example/'),
      executionName: expect.any(String),
      status: 'RUNNING',
      mode: 'productive',
      webhook: { client: 'myclient', name: 'open', runAs: 'kevin' },
      workflow: arn('open'),
    });
    expect(engine.started).toHaveLength(1);
    expect(engine.syncStarted).toHaveLength(0);
  });

  it('treats ?async=false as a sync call', async () => {
    const { engine, call } = setup();

    await call({ name: 'open', query: { async: 'false' } });

    expect(engine.syncStarted).toHaveLength(1);
  });

  it('answers 424 with error and cause when the run fails', async () => {
    const { engine, call } = setup();
    engine.outcome = () => ({ status: 'FAILED', error: 'Signup.Rejected', cause: 'address bounced' });

    const response = await call({ name: 'open' });

    expect(response.status).toBe(424);
    expect(response.body).toMatchObject({ status: 'FAILED', error: 'Signup.Rejected', cause: 'address bounced' });
  });

  it('polls a Standard run until it ends', async () => {
    const { engine, call } = setup();
    engine.runningFor = 2;

    const response = await call({ name: 'standard' });

    expect(response).toMatchObject({ status: 200, body: { status: 'SUCCEEDED' } });
    expect(engine.described).toHaveLength(3);
  });

  it('answers 202 with the id and link when a Standard run outlasts the sync wait', async () => {
    const { engine, call } = setup();
    engine.runningFor = Infinity;

    const response = await call({ name: 'standard' });

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      status: 'RUNNING',
      executionId: expect.stringContaining(':execution:standard:'),
      executionLink: expect.any(String),
      message: expect.stringContaining('1000 ms sync wait'),
    });
  });

  it('answers 202 with the execution name when an Express run outlasts the sync wait', async () => {
    const { engine, call } = setup();
    engine.outcome = () => ({ status: 'RUNNING' });

    const response = await call({ name: 'open' });

    expect(response).toMatchObject({
      status: 202,
      body: { status: 'RUNNING', executionId: null, executionName: expect.any(String) },
    });
  });

  it('runs the dev workflow for a webhook in mode dev, and says so', async () => {
    const { engine, call } = setup();

    const response = await call({ name: 'in-dev' });

    expect(response.body).toMatchObject({ mode: 'dev', workflow: arn('in-dev-latest') });
    expect(engine.syncStarted[0]!.request.stateMachineArn).toBe(arn('in-dev-latest'));
  });

  it.each([
    ['an unknown webhook', { name: 'nope' }, 404],
    ['malformed JSON', { body: '{"key":' }, 400],
    ['a non-string key', { body: '{"key":42}' }, 400],
    ['a bad webhook name', { name: 'bad name' }, 400],
    ['a body over the limit', { body: JSON.stringify({ key: KEY, big: 'x'.repeat(2000) }) }, 413],
  ])('answers {error} for %s', async (_name, options, status) => {
    const { call } = setup();

    const response = await call(options);

    expect(response).toMatchObject({ status, body: { error: expect.any(String) } });
  });
});

describe('client webhooks with an Idempotency-Key', () => {
  it('start one run for repeated calls (?async), and refuse another body with the same key', async () => {
    const { engine, call } = setup();
    const headers = { 'idempotency-key': 'order-1' };
    const first = await call({ name: 'open', query: { async: '' }, headers, body: '{"n":1}' });
    const again = await call({ name: 'open', query: { async: '' }, headers, body: '{"n":1}' });
    expect(first.status).toBe(202);
    expect(again).toMatchObject({ status: 202, headers: { 'idempotent-replayed': 'true' } });
    expect(again.body.executionId).toBe(first.body.executionId);
    expect(engine.started).toHaveLength(1);
    expect((await call({ name: 'open', query: { async: '' }, headers, body: '{"n":2}' })).status).toBe(422);
  });

  it('wait for a Standard run started once; refuse a sync Express call (its result goes to one caller only)', async () => {
    const { engine, call } = setup();
    const headers = { 'idempotency-key': 'order-2' };
    expect((await call({ name: 'standard', headers, body: '{}' })).status).toBe(200);
    expect((await call({ name: 'standard', headers, body: '{}' })).status).toBe(200);
    expect(engine.started).toHaveLength(1);
    expect(await call({ name: 'open', headers, body: '{}' })).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining('Idempotency-Key needs ?async or a Standard workflow') },
    });
  });
});
