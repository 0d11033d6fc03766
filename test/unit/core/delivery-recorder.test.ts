import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { BodyStore, DeliveryLog } from '../../../functions/core/deliveries/log';
import { REDACTED } from '../../../functions/core/deliveries/record';
import { correlationIdOf, outcomeOf, redactedHeaders } from '../../../functions/core/deliveries/recorder';
import { EngineBusyError } from '../../../functions/core/outcomes';
import { executionLinker } from '../../../functions/core/runs/execution-link';
import { makeRunStarter } from '../../../functions/core/runs/start-run';
import { CREDENTIAL_HEADERS } from '../../../functions/http/request';
import { makeFlowTriggerHandler } from '../../../functions/styles/flow-trigger/http';
import { httpEvent, testContext } from '../../support/api-gateway-events';
import { FakeEngine, FakeRegistry, InMemoryDedupeStore } from '../../support/fakes';
import { InMemoryDeliveryLog } from '../../support/in-memory-delivery-log';

/**
 * The delivery recorder (functions/core/deliveries/recorder.ts, wired by functions/http/http-handler.ts), through
 * the flow-trigger handler with in-memory ports: every answer names its delivery, a request that resolved a known
 * registration leaves one record (on its claim when it has one, else written apart), credentials never reach it,
 * and a record that cannot be written never changes the answer.
 */
const KEY = 'hf_test_recorder_key';
const NOW = new Date('2026-03-01T10:02:00.000Z').getTime();

/** Log lines as written: what a test may search for secrets. */
function capturingLogger() {
  const lines: string[] = [];
  const logger = new Logger({ serviceName: 'recorder-test', logLevel: 'INFO' });
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  return { logger, lines };
}

function setup(options: { log?: DeliveryLog; engine?: FakeEngine; bodies?: BodyStore } = {}) {
  const registry = new FakeRegistry()
    .addFlow({ flowId: 'orders' })
    .addFlow({ flowId: 'quiet', recordDeliveries: false })
    .addApiKey(KEY, { keyId: 'k1' });
  const engine = options.engine ?? new FakeEngine();
  const dedupe = new InMemoryDedupeStore();
  const log = options.log ?? new InMemoryDeliveryLog(() => NOW);
  const { logger, lines } = capturingLogger();
  const startRun = makeRunStarter(
    { engine, dedupe, logger, now: () => NOW },
    { dedupeTtlSeconds: 60, dedupeWaitMs: 100, dedupeLeaseMs: 1000 },
  );
  const handler = makeFlowTriggerHandler({
    registry,
    startRun,
    logger,
    maxBodyBytes: 4096,
    executionLink: executionLinker('https://console.example/{executionArn}'),
    now: () => NOW,
    recording: {
      deps: {
        log,
        credentialHeaders: CREDENTIAL_HEADERS,
        ...(options.bodies === undefined ? {} : { bodies: options.bodies }),
      },
      settings: { retentionDays: 7, inlineBodyBytes: 1024 },
      now: () => NOW,
    },
  });
  const trigger = async (flowId: string, headers: Record<string, string> = {}, body = '{"order":1}') => {
    const result = (await handler(
      httpEvent({
        path: `/flows/${flowId}/trigger`,
        routeKey: 'POST /flows/{flowId}/trigger',
        pathParameters: { flowId },
        headers: { authorization: `Bearer ${KEY}`, ...headers },
        body,
      }),
      testContext,
    )) as APIGatewayProxyStructuredResultV2;
    return { status: result.statusCode, id: result.headers?.['hookflow-delivery-id'] as string };
  };
  return { trigger, log, dedupe, engine, lines };
}

afterEach(() => jest.restoreAllMocks());

describe('the delivery recorder', () => {
  it('answers every request with its delivery id, refusals and 500s included', async () => {
    // Arrange
    const failing = new FakeEngine();
    failing.failWith = new Error('boom');
    const { trigger } = setup({ engine: failing });

    // Act
    const answers = [
      await trigger('orders'),
      await trigger('missing'),
      await trigger('orders', { authorization: 'Bearer wrong' }),
      await trigger('orders', {}, 'not json'),
    ];

    // Assert
    expect(answers.map((answer) => answer.status)).toEqual([500, 404, 401, 400]);
    for (const answer of answers) expect(answer.id).toMatch(/^dlv_[0-9A-Z]{26}$/);
    expect(new Set(answers.map((answer) => answer.id)).size).toBe(answers.length);
  });

  it('records an accepted request once, with its run, and the run input names the delivery', async () => {
    // Arrange
    const { trigger, log, engine } = setup();

    // Act
    const { status, id } = await trigger('orders', { 'x-github-delivery': 'gh-1' });

    // Assert
    const record = await log.get(id);
    expect(status).toBe(202);
    expect(record).toMatchObject({
      id,
      style: 'flow-trigger',
      registration: 'orders',
      outcome: 'started',
      status: 202,
      correlationId: 'gh-1',
      receivedAt: '2026-03-01T10:02:00.000Z',
      body: { bytes: 11, inline: Buffer.from('{"order":1}').toString('base64') },
    });
    expect(record!.runs).toEqual([{ executionArn: expect.stringContaining(':execution:') }]);
    expect(engine.started[0]!.input).toMatchObject({ trigger: { deliveryId: id, correlationId: 'gh-1' } });
  });

  it('writes nothing more for a keyed request: its dedupe claim carries the record', async () => {
    // Arrange
    const puts: string[] = [];
    const memory = new InMemoryDeliveryLog(() => NOW);
    const log: DeliveryLog = {
      ...memory,
      get: memory.get.bind(memory),
      list: memory.list.bind(memory),
      markStarted: memory.markStarted.bind(memory),
      put: async (r) => puts.push(r.id) > 0,
    };
    const { trigger, dedupe } = setup({ log });

    // Act
    const { status, id } = await trigger('orders', { 'idempotency-key': 'order-1' });

    // Assert
    expect(status).toBe(202);
    expect(puts).toEqual([]);
    const [claim] = [...dedupe.records.values()];
    expect(claim!.delivery).toMatchObject({ id, outcome: 'started', status: 202, correlationId: 'order-1' });
    expect(claim!.delivery!.runs).toEqual([{ executionArn: expect.any(String) }]);
  });

  it('gives a duplicate its own deduplicated record, naming the original run', async () => {
    // Arrange
    const { trigger, log, dedupe } = setup();
    const first = await trigger('orders', { 'idempotency-key': 'order-2' });

    // Act
    const again = await trigger('orders', { 'idempotency-key': 'order-2' });

    // Assert
    const original = [...dedupe.records.values()][0]!.delivery!;
    expect(original.id).toBe(first.id);
    expect(await log.get(again.id)).toMatchObject({ outcome: 'deduplicated', status: 202, runs: original.runs });
  });

  it('records a refusal of a known registration with its reason', async () => {
    // Arrange
    const { trigger, log } = setup();
    await trigger('orders', { 'idempotency-key': 'order-3' });

    // Act: the same key with another body
    const refused = await trigger('orders', { 'idempotency-key': 'order-3' }, '{"order":2}');

    // Assert
    expect(refused.status).toBe(422);
    expect(await log.get(refused.id)).toMatchObject({
      outcome: 'refused',
      status: 422,
      reason: expect.stringContaining('different request body'),
      runs: [],
    });
  });

  it('leaves a failed record when the start fails and the claim is released, and the retry can still start', async () => {
    // Arrange
    const engine = new FakeEngine();
    engine.failWith = new EngineBusyError('throttled', { retryAfterSeconds: 1 });
    const { trigger, log, dedupe } = setup({ engine });

    // Act
    const failed = await trigger('orders', { 'idempotency-key': 'order-4' });
    engine.failWith = undefined;
    const retried = await trigger('orders', { 'idempotency-key': 'order-4' });

    // Assert
    expect(failed.status).toBe(503);
    expect(await log.get(failed.id)).toMatchObject({ outcome: 'failed', status: 503, reason: 'throttled' });
    expect(retried.status).toBe(202);
    expect([...dedupe.records.values()][0]!.delivery!.id).toBe(retried.id);
  });

  it('records a refused API key under the flow it named, and nothing when that flow does not exist', async () => {
    // Arrange
    const { trigger, log } = setup();

    // Act
    const known = await trigger('orders', { authorization: 'Bearer not-a-key' });
    const unknown = await trigger('missing', { authorization: 'Bearer not-a-key' });

    // Assert: the same answer for both
    expect([known.status, unknown.status]).toEqual([401, 401]);
    expect(await log.get(known.id)).toMatchObject({ registration: 'orders', outcome: 'refused', status: 401 });
    expect(await log.get(unknown.id)).toBeUndefined();
  });

  it('stores nothing for an unknown registration, and logs it once to be counted', async () => {
    // Arrange
    const { trigger, log, lines } = setup();

    // Act
    const { id } = await trigger('missing');

    // Assert
    expect(await log.get(id)).toBeUndefined();
    const notRecorded = lines.filter((line) => line.includes('delivery not recorded'));
    expect(notRecorded).toHaveLength(1);
    expect(JSON.parse(notRecorded[0]!)).toMatchObject({ deliveryId: id, reason: 'unknown registration' });
  });

  it('records nothing for a registration that turned recording off', async () => {
    // Arrange
    const { trigger, log } = setup();

    // Act
    const { status, id } = await trigger('quiet');

    // Assert
    expect(status).toBe(202);
    expect(await log.get(id)).toBeUndefined();
  });

  it('keeps no credential: the stored record never holds the key or a cookie', async () => {
    // Arrange
    const { trigger, log } = setup();

    // Act
    const { id } = await trigger('orders', { cookie: 'session=secret-cookie', 'x-api-key': KEY });

    // Assert
    const stored = JSON.stringify(await log.get(id));
    expect(stored).not.toContain(KEY);
    expect(stored).not.toContain('secret-cookie');
    expect((await log.get(id))!.headers).toMatchObject({ authorization: REDACTED, cookie: REDACTED });
  });

  it('keeps a record already written under its id (the fan-out worker, first): the answer unchanged, one info line', async () => {
    // Arrange: the log already holds a started record under every id this request may get
    const memory = new InMemoryDeliveryLog(() => NOW);
    const kept: string[] = [];
    const log: DeliveryLog = {
      get: memory.get.bind(memory),
      list: memory.list.bind(memory),
      markStarted: memory.markStarted.bind(memory),
      put: async (record) => {
        kept.push(record.id);
        return false;
      },
    };
    const { trigger, engine, lines } = setup({ log });

    // Act
    const { status, id } = await trigger('orders');

    // Assert
    expect(status).toBe(202);
    expect(engine.started).toHaveLength(1);
    expect(kept).toEqual([id]);
    const line = lines.find((l) => l.includes('delivery record kept as the worker wrote it'));
    expect(JSON.parse(line!)).toMatchObject({ level: 'INFO', deliveryId: id });
    expect(lines.some((l) => l.includes('delivery not recorded'))).toBe(false);
  });

  it('answers a good request unchanged when the record cannot be written, logging why without the body', async () => {
    // Arrange
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const log: DeliveryLog = {
      put: async () => {
        throw throttled;
      },
      get: async () => undefined,
      list: async () => ({ items: [] }),
      markStarted: async () => false,
    };
    const { trigger, engine, lines } = setup({ log });

    // Act
    const { status, id } = await trigger('orders', {}, '{"card":"4242-secret"}');

    // Assert
    expect(status).toBe(202);
    expect(engine.started).toHaveLength(1);
    const line = lines.find((l) => l.includes('delivery not recorded'));
    expect(JSON.parse(line!)).toMatchObject({ deliveryId: id, reason: 'ThrottlingException' });
    expect(lines.join('')).not.toContain('4242-secret');
    expect(lines.join('')).not.toContain(KEY);
  });
});

describe('the recorder and a body store', () => {
  it('a body store that fails leaves a keyed request accepted: no record on the claim, the failure logged', async () => {
    // Arrange: a body above the inline limit (1,024 bytes here), and a store that cannot take it
    const bodies: BodyStore = {
      put: async () => {
        throw Object.assign(new Error('unavailable'), { name: 'ServiceUnavailable' });
      },
      get: async () => undefined,
    };
    const { trigger, dedupe, engine, lines } = setup({ bodies });

    // Act
    const { status, id } = await trigger(
      'orders',
      { 'idempotency-key': 'big-1' },
      JSON.stringify({ pad: 'x'.repeat(2_000) }),
    );

    // Assert
    expect(status).toBe(202);
    expect(engine.started).toHaveLength(1);
    expect([...dedupe.records.values()][0]!.delivery).toBeUndefined();
    const line = lines.find((l) => l.includes('delivery not recorded'));
    expect(JSON.parse(line!)).toMatchObject({ deliveryId: id, reason: 'ServiceUnavailable' });
  });

  it('keeps a body above the inline limit in the body store, the record naming where', async () => {
    // Arrange
    const kept = new Map<string, Buffer>();
    const bodies: BodyStore = {
      put: async (deliveryId, raw) => {
        kept.set(deliveryId, raw);
        return { bucket: 'bodies', key: deliveryId };
      },
      get: async (ref) => kept.get(ref.key),
    };
    const { trigger, log } = setup({ bodies });
    const body = JSON.stringify({ pad: 'y'.repeat(2_000) });

    // Act
    const { id } = await trigger('orders', {}, body);

    // Assert
    const record = await log.get(id);
    expect(record!.body).toEqual({ bytes: body.length, sha256: expect.any(String), s3: { bucket: 'bodies', key: id } });
    expect(kept.get(id)?.toString()).toBe(body);
  });
});

describe('the record rules', () => {
  it('takes the first correlation header present, cut to 256 characters', () => {
    expect(correlationIdOf({ 'x-request-id': 'r', 'idempotency-key': 'i' })).toBe('i');
    expect(correlationIdOf({ 'x-correlation-id': 'x'.repeat(3_000) })).toHaveLength(256);
    expect(correlationIdOf({})).toBeUndefined();
  });

  it('redacts the shared credential headers and the registration’s secret header, whatever their case', () => {
    expect(
      redactedHeaders(
        { Authorization: 'Bearer k', 'x-hook-secret': 's', 'inbound-webhook-secret': 't', accept: '*/*' },
        CREDENTIAL_HEADERS,
        ['X-Hook-Secret'],
      ),
    ).toEqual({
      authorization: REDACTED,
      'x-hook-secret': REDACTED,
      'inbound-webhook-secret': REDACTED,
      accept: '*/*',
    });
  });

  it.each([
    [202, false, false, 'started'],
    [202, true, false, 'deduplicated'],
    [401, false, false, 'refused'],
    [424, false, true, 'started'],
    [503, false, false, 'failed'],
    [503, false, true, 'failed'],
  ] as const)('status %i (duplicate %s, ran %s) is %s', (status, duplicate, ran, outcome) => {
    expect(outcomeOf(status, duplicate, ran)).toBe(outcome);
  });
});
