import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { EngineBusyError } from '../../../functions/core/outcomes';
import { executionLinker } from '../../../functions/core/runs/execution-link';
import { makeRunStarter } from '../../../functions/core/runs/start-run';
import { makeFlowTriggerHandler } from '../../../functions/styles/flow-trigger/http';
import { httpEvent, testContext } from '../../support/api-gateway-events';
import { FakeEngine, FakeRegistry, InMemoryDedupeStore, silentLogger } from '../../support/fakes';

const DEV_KEY = 'hf_test_dev_key';
const HELLO_ONLY_KEY = 'hf_test_hello_only';
const DISABLED_KEY = 'hf_test_disabled';

function setup(maxBodyBytes = 1024) {
  const registry = new FakeRegistry()
    .addFlow({ flowId: 'hello' })
    .addFlow({ flowId: 'other' })
    .addFlow({ flowId: 'draft', published: false })
    .addApiKey(DEV_KEY, { keyId: 'dev' })
    .addApiKey(HELLO_ONLY_KEY, { keyId: 'hello-only', flows: ['hello'] })
    .addApiKey(DISABLED_KEY, { keyId: 'off', disabled: true });
  const engine = new FakeEngine();
  const startRun = makeRunStarter(
    { engine, dedupe: new InMemoryDedupeStore(), logger: silentLogger },
    { dedupeTtlSeconds: 60, dedupeWaitMs: 100, dedupeLeaseMs: 1000 },
  );
  const handler = makeFlowTriggerHandler({
    registry,
    startRun,
    logger: silentLogger,
    maxBodyBytes,
    executionLink: executionLinker('https://console.example/{executionArn}'),
    now: () => new Date('2026-01-01T00:00:00.000Z').getTime(),
  });
  const trigger = async (options: {
    flowId?: string;
    body?: string;
    headers?: Record<string, string>;
    isBase64Encoded?: boolean;
  }) => {
    const flowId = options.flowId ?? 'hello';
    const result = (await handler(
      httpEvent({
        path: `/flows/${flowId}/trigger`,
        routeKey: 'POST /flows/{flowId}/trigger',
        pathParameters: { flowId },
        headers: options.headers ?? { authorization: `Bearer ${DEV_KEY}` },
        ...(options.body === undefined ? {} : { body: options.body }),
        ...(options.isBase64Encoded === undefined ? {} : { isBase64Encoded: options.isBase64Encoded }),
      }),
      testContext,
    )) as APIGatewayProxyStructuredResultV2;
    return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body ?? 'null') };
  };
  return { engine, trigger };
}

describe('POST /flows/{flowId}/trigger', () => {
  it('starts the flow with the payload and answers 202 with the execution link', async () => {
    const { engine, trigger } = setup();

    const response = await trigger({ body: '{"hello":"world","n":[1,2]}' });

    expect(response.status).toBe(202);
    expect(engine.started).toHaveLength(1);
    const started = engine.started[0]!;
    expect(response.body).toEqual({
      executionLink: `https://console.example/arn:aws:states:us-east-1:000000000000:execution:hello:${started.name}`,
    });
    expect(started.input).toEqual({
      payload: { hello: 'world', n: [1, 2] },
      trigger: {
        style: 'flow-trigger',
        flowId: 'hello',
        receivedAt: '2026-01-01T00:00:00.000Z',
        deliveryId: expect.stringMatching(/^dlv_/),
      },
    });
  });

  it('accepts the key as X-Api-Key and a base64-encoded body', async () => {
    const { trigger } = setup();

    const response = await trigger({
      headers: { 'x-api-key': DEV_KEY },
      body: Buffer.from('{"a":1}').toString('base64'),
      isBase64Encoded: true,
    });

    expect(response.status).toBe(202);
  });

  it.each([
    ['malformed JSON', '{"hello":', /not valid JSON/],
    ['an array', '[1,2]', /must be a JSON object, not an array/],
    ['a string', '"hi"', /not a string/],
    ['null', 'null', /not null/],
    ['an empty body', undefined, /was empty/],
  ])('answers 400 for %s', async (_name, body, message) => {
    const { engine, trigger } = setup();

    const response = await trigger(body === undefined ? {} : { body });

    expect(response).toMatchObject({ status: 400, body: { error: expect.stringMatching(message) } });
    expect(engine.started).toHaveLength(0);
  });

  it('answers 400 for a flow id with characters a flow id cannot have', async () => {
    const { trigger } = setup();

    const response = await trigger({ flowId: 'no spaces', body: '{}' });

    expect(response).toMatchObject({ status: 400, body: { error: expect.stringContaining('flow id') } });
  });

  it('answers 413 for a body over the limit', async () => {
    const { trigger } = setup(16);

    const response = await trigger({ body: JSON.stringify({ big: 'x'.repeat(32) }) });

    expect(response).toMatchObject({ status: 413, body: { error: expect.stringContaining('limit is 16 bytes') } });
  });

  it.each([
    ['no key', {}, /missing API key/],
    ['an unknown key', { authorization: 'Bearer nope-nope-nope' }, /invalid API key/],
    ['a disabled key', { authorization: `Bearer ${DISABLED_KEY}` }, /invalid API key/],
    ['a malformed Authorization header', { authorization: `Basic ${DEV_KEY}` }, /missing API key/],
    ['a blank X-Api-Key', { 'x-api-key': '  ' }, /missing API key/],
  ])('answers 401 for %s', async (_name, headers, message) => {
    const { engine, trigger } = setup();

    const response = await trigger({ headers, body: '{}' });

    expect(response).toMatchObject({ status: 401, body: { error: expect.stringMatching(message) } });
    expect(engine.started).toHaveLength(0);
  });

  it.each([
    ['X-Api-Key alone', { 'x-api-key': DEV_KEY }],
    ['X-Api-Key beside a blank Authorization', { authorization: '', 'x-api-key': DEV_KEY }],
    ['X-Api-Key beside another Authorization scheme', { authorization: 'Basic dXNlcjpwdw==', 'x-api-key': DEV_KEY }],
  ])('accepts %s', async (_name, headers) => {
    const { trigger } = setup();

    const response = await trigger({ headers, body: '{}' });

    expect(response.status).toBe(202);
  });

  it('answers 403 when the key may not trigger that flow, without revealing whether it exists', async () => {
    const { trigger } = setup();
    const headers = { authorization: `Bearer ${HELLO_ONLY_KEY}` };

    const existing = await trigger({ flowId: 'other', headers, body: '{}' });
    const missing = await trigger({ flowId: 'nope', headers, body: '{}' });

    expect(existing).toMatchObject({ status: 403, body: { error: 'this API key may not trigger flow "other"' } });
    expect(missing.status).toBe(403);
  });

  it.each([
    ['an unknown flow', 'nope', /does not exist/],
    ['an unpublished flow', 'draft', /is not published/],
  ])('answers 404 for %s', async (_name, flowId, message) => {
    const { trigger } = setup();

    const response = await trigger({ flowId, body: '{}' });

    expect(response).toMatchObject({ status: 404, body: { error: expect.stringMatching(message) } });
  });

  it('dedupes on Idempotency-Key: same link, one run, and says it replayed', async () => {
    const { engine, trigger } = setup();
    const headers = { authorization: `Bearer ${DEV_KEY}`, 'idempotency-key': 'order-42' };

    const first = await trigger({ headers, body: '{"order":42}' });
    const second = await trigger({ headers, body: '{"order":42}' });

    expect(engine.started).toHaveLength(1);
    expect(second.body).toEqual(first.body);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.headers['idempotent-replayed']).toBe('true');
  });

  it('answers 422 when an Idempotency-Key is reused with another body', async () => {
    const { trigger } = setup();
    const headers = { authorization: `Bearer ${DEV_KEY}`, 'idempotency-key': 'order-42' };
    await trigger({ headers, body: '{"order":42}' });

    const response = await trigger({ headers, body: '{"order":43}' });

    expect(response).toMatchObject({ status: 422, body: { error: expect.stringContaining('different request body') } });
  });

  it('answers 400 for an Idempotency-Key that is not printable ASCII', async () => {
    const { trigger } = setup();

    const response = await trigger({
      headers: { authorization: `Bearer ${DEV_KEY}`, 'idempotency-key': 'é' },
      body: '{}',
    });

    expect(response).toMatchObject({ status: 400, body: { error: expect.stringContaining('Idempotency-Key') } });
  });

  it('answers 503 with Retry-After when the engine is busy, and a generic 500 for a real fault', async () => {
    const { engine, trigger } = setup();
    engine.failWith = new EngineBusyError('the workflow engine is busy; nothing was started, retry shortly');
    const busy = await trigger({ body: '{}' });
    engine.failWith = new Error('secret internal detail at /var/task/index.js:1');
    const broken = await trigger({ body: '{}' });

    expect(busy).toMatchObject({ status: 503, headers: { 'retry-after': '1' } });
    expect(broken.status).toBe(500);
    expect(broken.body.error).toMatch(/^internal error; quote request id aws-req-1/);
    expect(JSON.stringify(broken.body)).not.toContain('secret internal detail');
  });
});
