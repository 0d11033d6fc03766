import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createHmac } from 'node:crypto';
import { EngineBusyError } from '../../../functions/core/outcomes';
import { makeRunStarter } from '../../../functions/core/runs/start-run';
import {
  makeCallbackHandler,
  makeEventIntakeHandler,
  makeEventWebhookHandler,
} from '../../../functions/styles/events/http';
import { parseEventRequest, WEBHOOK_REF_REQUIRED } from '../../../functions/styles/events/request';
import { HTTP } from 'cloudevents';
import { httpEvent, testContext } from '../../support/api-gateway-events';
import {
  FakeEngine,
  FakeRegistry,
  InMemoryDedupeStore,
  InMemoryWaitStore,
  eventsTestDeps,
  silentLogger,
} from '../../support/fakes';

function setup() {
  const registry = new FakeRegistry()
    .addEventWorkflow('approval', ['com.example.approval.requested'])
    .addEventWorkflow('order-echo', ['com.example.order.created'], 'EXPRESS')
    .addEventWorkflow('order-audit', ['com.example.order.created']);
  const engine = new FakeEngine();
  const waits = new InMemoryWaitStore();
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  const startRun = makeRunStarter(
    { engine, dedupe: new InMemoryDedupeStore(), logger: silentLogger },
    { dedupeTtlSeconds: 60, dedupeWaitMs: 100, dedupeLeaseMs: 1000 },
  );
  const deps = eventsTestDeps({ registry, engine, waits, startRun, now: () => clock });
  const call = async (
    handler: ReturnType<typeof makeCallbackHandler>,
    options: {
      method?: string;
      path: string;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      body?: string;
    },
  ) => {
    const result = (await handler(
      httpEvent({ method: options.method ?? 'POST', ...options }),
      testContext,
    )) as APIGatewayProxyStructuredResultV2;
    return {
      status: result.statusCode,
      body: result.body === undefined ? undefined : (JSON.parse(result.body) as Record<string, unknown>),
    };
  };
  return {
    registry,
    engine,
    waits,
    advance: (ms: number) => void (clock += ms),
    webhook: (query: Record<string, string>, body: string) =>
      call(makeEventWebhookHandler(deps), { path: '/api/v2/webhook', query, body }),
    event: (headers: Record<string, string>, body: string, query: Record<string, string> = {}) =>
      call(makeEventIntakeHandler(deps), { path: '/api/v2/event', query, headers, body }),
    callback: (
      method: 'GET' | 'POST',
      query: Record<string, string>,
      body?: string,
      headers?: Record<string, string>,
    ) =>
      call(makeCallbackHandler(deps), {
        method,
        path: '/api/v2/callback',
        query,
        ...(body === undefined ? {} : { body }),
        ...(headers === undefined ? {} : { headers }),
      }),
  };
}

const orderCreated = {
  specversion: '1.0',
  id: 'evt-1',
  source: '/shop',
  type: 'com.example.order.created',
  data: { order: 7 },
};

describe('POST /api/v2/webhook?ref=', () => {
  it('starts the workflow named by ref with the JSON object body', async () => {
    const { engine, webhook } = setup();

    const response = await webhook({ ref: 'approval' }, '{"order":7}');

    expect(response).toMatchObject({
      status: 202,
      body: {
        workflow: 'approval',
        runRef: engine.started[0]!.name,
        executionId: expect.stringContaining(':approval:'),
      },
    });
    expect(engine.started[0]!.input).toMatchObject({
      payload: { order: 7 },
      trigger: { style: 'webhook', ref: 'approval' },
    });
  });

  it.each([
    ['no ref', {}, '{"order":7}'],
    ['an empty ref', { ref: '' }, '{"order":7}'],
    ['no ref and a body that is not JSON', {}, 'not json'],
  ])('answers 400 "ref is required" for %s, before reading the body, and starts nothing', async (_n, query, body) => {
    const { engine, webhook } = setup();

    const response = await webhook(query, body);

    expect(response).toEqual({ status: 400, body: { error: WEBHOOK_REF_REQUIRED } });
    expect(engine.started).toEqual([]);
  });

  it.each([
    ['a space', 'order echo', /ref must not contain spaces or "#"/],
    ['a "#"', 'order#echo', /ref must not contain spaces or "#"/],
    ['257 characters', 'r'.repeat(257), /ref/],
  ])('answers 400 for a ref with %s on both routes that read one, as the schema words it', async (_n, ref, message) => {
    const s = setup();
    const event = JSON.stringify({ ...orderCreated, id: 'ref-rule' });

    const answers = [
      await s.webhook({ ref }, '{}'),
      await s.event({ 'content-type': 'application/cloudevents+json' }, event, { ref }),
    ];

    for (const answer of answers)
      expect(answer).toEqual({ status: 400, body: { error: expect.stringMatching(message) } });
    expect(s.engine.started).toEqual([]);
  });

  it('takes a ref of 256 characters as a name (unknown here: 404), not as a bad query', async () => {
    const { webhook } = setup();

    const response = await webhook({ ref: 'r'.repeat(256) }, '{}');

    expect(response).toMatchObject({ status: 404 });
  });

  it('finds a workflow whose ref is a UUID whatever the case the caller writes it in', async () => {
    const s = setup();
    s.registry.addEventWorkflow('7d0c2b9e-1a2b-4c3d-8e4f-5a6b7c8d9e0f');

    const response = await s.webhook({ ref: '7D0C2B9E-1A2B-4C3D-8E4F-5A6B7C8D9E0F' }, '{}');

    expect(response).toMatchObject({ status: 202, body: { workflow: '7d0c2b9e-1a2b-4c3d-8e4f-5a6b7c8d9e0f' } });
  });

  it.each([
    ['an unknown ref', { ref: 'nope' }, '{}', 404],
    ['no ref', {}, '{}', 400],
    ['a body that is not a JSON object', { ref: 'approval' }, '[1]', 400],
  ])('answers {error} for %s', async (_name, query, body, status) => {
    const { webhook } = setup();

    expect(await webhook(query, body)).toMatchObject({ status, body: { error: expect.any(String) } });
  });
});

describe('GET|POST /api/v2/callback', () => {
  const waiting = (s: ReturnType<typeof setup>) =>
    s.waits.add({
      ref: 'run-1',
      topic: 'approval',
      taskToken: 'token-1',
      enteredTime: '2026-01-01T00:00:00.000Z',
      timeoutSeconds: 60,
    });

  it('resumes the waiting task with the POST body as its output, answering 204', async () => {
    const s = setup();
    waiting(s);

    const response = await s.callback('POST', { ref: 'run-1', topic: 'approval' }, '{"approvedBy":"kevin"}');

    expect(response).toEqual({ status: 204, body: undefined });
    expect(s.engine.resumed).toEqual([{ taskToken: 'token-1', result: { output: { approvedBy: 'kevin' } } }]);
  });

  it('resumes a run whose ref is a UUID when the callback writes it in upper case', async () => {
    const s = setup();
    const ref = 'c0ffee00-1234-4abc-9def-0123456789ab';
    s.waits.add({ ref, topic: 'approval', taskToken: 'token-uuid' });

    const response = await s.callback('POST', { ref: ref.toUpperCase(), topic: 'approval' }, '{"ok":true}');

    expect(response).toEqual({ status: 204, body: undefined });
    expect(s.engine.resumed).toEqual([{ taskToken: 'token-uuid', result: { output: { ok: true } } }]);
  });

  it('resumes with GET, the other query parameters as output', async () => {
    const s = setup();
    waiting(s);

    await s.callback('GET', { ref: 'run-1', topic: 'approval', decision: 'yes' });

    expect(s.engine.resumed[0]!.result).toEqual({ output: { decision: 'yes' } });
  });

  it('fails the task for status=failed (any case), with the body as cause or its own error and cause', async () => {
    const s = setup();
    waiting(s).add({ ref: 'run-2', topic: 'approval', taskToken: 'token-2' });

    await s.callback('POST', { ref: 'run-1', topic: 'approval', status: 'FAILED' }, '{"reason":"no"}');
    await s.callback(
      'POST',
      { ref: 'run-2', topic: 'approval', status: 'Failed' },
      '{"error":"Approval.Denied","cause":"budget"}',
    );

    expect(s.engine.resumed.map((r) => r.result)).toEqual([
      { error: 'Callback.Failed', cause: '{"reason":"no"}' },
      { error: 'Approval.Denied', cause: 'budget' },
    ]);
  });

  /** What a handler that died right after claiming the task leaves behind (no SendTaskSuccess sent). */
  const diedAfterClaim = (s: ReturnType<typeof setup>, eventId: string) =>
    s.waits.claim('run-1', 'approval', {
      owner: 'dead-handler',
      taskToken: s.waits.tasks.get('run-1/approval')!.taskToken!,
      eventId,
      now: Date.parse('2026-01-01T00:00:00.000Z'),
      leaseUntil: Date.parse('2026-01-01T00:00:30.000Z'),
    });

  it('resumes the task when a callback is retried after its handler died between the claim and the resume', async () => {
    const s = setup();
    waiting(s);
    await diedAfterClaim(s, 'cb-1');

    const during = await s.callback('POST', { ref: 'run-1', topic: 'approval', eventId: 'cb-1' }, '{"ok":true}');
    s.advance(30_000);
    const after = await s.callback('POST', { ref: 'run-1', topic: 'approval', eventId: 'cb-1' }, '{"ok":true}');

    expect(during).toMatchObject({ status: 409, body: { error: expect.stringContaining('being delivered') } });
    expect(after).toMatchObject({ status: 204 });
    expect(s.engine.resumed.map((r) => r.result)).toEqual([{ output: { ok: true } }]);
    expect((await s.waits.get('run-1', 'approval'))?.status).toBe('RESUMED');
  });

  it('counts the dead delivery when it had resumed the task already: its retry gets 204, another callback 409', async () => {
    const s = setup();
    waiting(s);
    await diedAfterClaim(s, 'cb-1');
    s.engine.goneTokens.add('token-1'); // SendTaskSuccess went out before the handler died: the task is closed
    s.advance(30_000);

    const retry = await s.callback('POST', { ref: 'run-1', topic: 'approval', eventId: 'cb-1' }, '{"ok":true}');
    const other = await s.callback('POST', { ref: 'run-1', topic: 'approval', eventId: 'cb-2' }, '{"ok":true}');

    expect(retry).toMatchObject({ status: 204 });
    expect(other).toMatchObject({ status: 409, body: { error: expect.stringContaining('already resumed') } });
  });

  it("answers 410 naming Step Functions' error when the token is refused (InvalidToken)", async () => {
    const s = setup();
    waiting(s);
    s.engine.goneTokens.add('token-1');
    s.engine.goneReason = 'InvalidToken';

    const response = await s.callback('GET', { ref: 'run-1', topic: 'approval' });

    expect(response).toMatchObject({ status: 410, body: { error: expect.stringContaining('InvalidToken') } });
  });

  it('answers 409 for a second callback, 410 once the token expired', async () => {
    const s = setup();
    waiting(s).add({
      ref: 'run-3',
      topic: 'approval',
      taskToken: 'token-3',
      enteredTime: '2026-01-01T00:00:00.000Z',
      timeoutSeconds: 10,
    });

    expect(await s.callback('GET', { ref: 'run-1', topic: 'approval' })).toMatchObject({ status: 204 });
    expect(await s.callback('GET', { ref: 'run-1', topic: 'approval' })).toMatchObject({
      status: 409,
      body: { error: expect.stringContaining('already resumed') },
    });
    s.advance(11_000);
    expect(await s.callback('GET', { ref: 'run-3', topic: 'approval' })).toMatchObject({
      status: 410,
      body: { error: expect.stringContaining('expired') },
    });
    expect(s.engine.resumed).toHaveLength(1);
  });

  it('keeps a callback that arrives before its run waits (202, with an expiry), one per run and topic', async () => {
    const s = setup();
    const early = await s.callback('POST', { ref: 'run-9', topic: 'approval', eventId: 'cb-1' }, '{"ok":true}');
    expect(early).toEqual({
      status: 202,
      body: { status: 'KEPT', ref: 'run-9', topic: 'approval', expiresAt: '2026-01-01T01:00:00.000Z' },
    });
    expect(waiting(s).early.get('run-9/approval')).toMatchObject({
      callbackStatus: 'succeeded',
      output: { ok: true },
      eventId: 'cb-1',
    });
    // the same callback again gets the same answer; another one is refused
    expect(await s.callback('POST', { ref: 'run-9', topic: 'approval', eventId: 'cb-1' }, '{"ok":true}')).toMatchObject(
      {
        status: 202,
      },
    );
    expect(await s.callback('POST', { ref: 'run-9', topic: 'approval' }, '{"ok":false}')).toMatchObject({
      status: 409,
      body: { error: expect.stringContaining('already kept') },
    });
    // a failure is kept as { error, cause }
    await s.callback('GET', { ref: 'run-8', topic: 'approval', status: 'failed' });
    expect(waiting(s).early.get('run-8/approval')).toMatchObject({
      callbackStatus: 'failed',
      output: { error: 'Callback.Failed' },
    });
    expect(s.engine.resumed).toHaveLength(0);
  });

  it('resumes once per callback id: the same id again answers 204 without resuming twice', async () => {
    const s = setup();
    waiting(s);
    const headers = { 'idempotency-key': 'delivery-7' };
    expect(await s.callback('POST', { ref: 'run-1', topic: 'approval' }, '{"a":1}', headers)).toMatchObject({
      status: 204,
    });
    expect(await s.callback('POST', { ref: 'run-1', topic: 'approval' }, '{"a":1}', headers)).toMatchObject({
      status: 204,
    });
    expect(await s.callback('POST', { ref: 'run-1', topic: 'approval' }, '{"a":1}')).toMatchObject({ status: 409 });
    expect(s.engine.resumed).toHaveLength(1);
    expect(await s.callback('GET', { ref: 'run-1', topic: 'approval', eventId: 'x y' })).toMatchObject({ status: 400 });
  });

  it('answers 410 when Step Functions says the task is over, and keeps answering 410', async () => {
    const s = setup();
    waiting(s);
    s.engine.goneTokens.add('token-1');

    expect(await s.callback('GET', { ref: 'run-1', topic: 'approval' })).toMatchObject({ status: 410 });
    expect(await s.callback('GET', { ref: 'run-1', topic: 'approval' })).toMatchObject({ status: 410 });
  });

  it('gives the claim back when Step Functions throttled the resume (every attempt refused), so a retry resumes the task', async () => {
    const s = setup();
    waiting(s);
    const resume = s.engine.resumeTask.bind(s.engine);
    s.engine.resumeTask = async () => {
      throw new EngineBusyError('Rate exceeded', { refused: true });
    };

    expect(await s.callback('GET', { ref: 'run-1', topic: 'approval' })).toMatchObject({ status: 503 });
    s.engine.resumeTask = resume;
    expect(await s.callback('GET', { ref: 'run-1', topic: 'approval' })).toMatchObject({ status: 204 });
  });

  it.each([
    ['went through', true],
    ['did not go through', false],
  ])(
    'keeps the claim when the resume got no answer (it %s): the retry takes it over after the lease, never 410',
    async (_, wentThrough) => {
      // Arrange: every attempt of the resume went unanswered; the task may or may not have been resumed.
      const s = setup();
      waiting(s);
      s.engine.loseNextAnswer = wentThrough ? 'done, every attempt unanswered' : 'not done, every attempt unanswered';
      const callback = () =>
        s.callback('POST', { ref: 'run-1', topic: 'approval', eventId: 'cb-1' }, '{"approvedBy":"kevin"}');

      // Act
      const first = await callback();
      const during = await callback();
      s.advance(30_000);
      const after = await callback();
      const other = await s.callback('POST', { ref: 'run-1', topic: 'approval', eventId: 'cb-2' }, '{}');

      // Assert: 503, then 409 while the claim's lease runs, then 204: resumed once, whichever it was.
      expect(first).toMatchObject({ status: 503 });
      expect(during).toMatchObject({ status: 409, body: { error: expect.stringContaining('being delivered') } });
      expect(after).toMatchObject({ status: 204 });
      expect(other).toMatchObject({ status: 409, body: { error: expect.stringContaining('already resumed') } });
      expect(s.engine.resumed).toEqual([{ taskToken: 'token-1', result: { output: { approvedBy: 'kevin' } } }]);
      expect((await s.waits.get('run-1', 'approval'))?.status).toBe('RESUMED');
    },
  );

  it.each([
    ['no topic', { ref: 'run-1' }, /topic is required/],
    ['no ref', { topic: 'approval' }, /ref is required/],
    ['an unknown status', { ref: 'run-1', topic: 'approval', status: 'maybe' }, /status must be/],
  ])('answers 400 for %s', async (_name, query, message) => {
    const s = setup();

    expect(await s.callback('GET', query)).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(message) },
    });
  });
});

describe('POST /api/v2/event', () => {
  it.each([
    ['structured, charset=utf-8', 'application/cloudevents+json;charset=utf-8'],
    ['structured, "; charset=utf-8"', 'application/cloudevents+json; charset=utf-8'],
    ['plain application/json', 'application/json'],
  ])('starts every subscriber of a %s event', async (_name, contentType) => {
    const { engine, event } = setup();

    const response = await event({ 'content-type': contentType }, JSON.stringify(orderCreated));

    expect(response.status).toBe(202);
    expect(
      (response.body!.events as { started: { workflow: string }[] }[])[0]!.started.map((s) => s.workflow).sort(),
    ).toEqual(['order-audit', 'order-echo']);
    expect(engine.started[0]!.input).toMatchObject({
      event: { id: 'evt-1', type: 'com.example.order.created', data: { order: 7 } },
    });
  });

  it.each([
    [
      'attributes, an extension and object data',
      { subject: 's-1', time: '2026-01-31T12:00:00+01:00', tenant: 'acme', n: 3 },
    ],
    ['a number a double cannot hold in the data', { data: { big: 12345678901234567890 } }],
    ['a number a double cannot hold in an extension', { big: 12345678901234567890 }],
    ['no data', { data: undefined }],
    ['string data', { datacontenttype: 'text/plain', data: 'hello' }],
    // The SDK keeps a named attribute only when truthy, and every other member as it is.
    ['empty and falsy attributes', { subject: '', dataschema: '', datacontenttype: '', zero: 0, off: false }],
    ['data 0', { data: 0 }],
    ['data false', { data: false }],
    ['data ""', { data: '' }],
    ['data null', { data: null }],
    ['members in another order', { data: { a: 1 }, tenant: 'acme', id: 'evt-9', subject: 's', type: 't.x' }],
    ['a time with fractional seconds', { time: '2026-01-31T11:00:00.123456Z' }],
  ])(
    'builds a structured event with %s as the SDK builds it from the text, data as hookflow read it',
    (_name, extra) => {
      const text = JSON.stringify({ ...orderCreated, time: '2026-01-31T11:00:00Z', ...extra }).replace(
        '12345678901234567000',
        '12345678901234567890',
      );
      for (const contentType of ['application/cloudevents+json; charset=utf-8', 'application/cloudevents+json']) {
        const headers = { 'content-type': contentType };

        const [parsed] = parseEventRequest(httpEvent({ path: '/api/v2/event', headers, body: text }), 1_000_000).events;

        const sdk = HTTP.toEvent({ headers, body: text }) as ReturnType<typeof HTTP.toEvent> & { toJSON(): object };
        const { data: _sdkData, ...sdkAttributes } = sdk.toJSON() as Record<string, unknown>;
        const { data, ...attributes } = parsed!.toJSON() as Record<string, unknown>;
        expect(attributes).toEqual(sdkAttributes);
        // In the same order: the run's input writes the event's members as the event lists them.
        expect(Object.keys(parsed!.toJSON())).toEqual(Object.keys(sdk.toJSON()));
        expect(JSON.stringify(data)).toBe(
          JSON.stringify((JSON.parse(text) as { data?: unknown }).data)?.replace(
            '12345678901234567000',
            '12345678901234567890',
          ),
        );
      }
    },
  );

  it('builds a structured event with base64 data as the SDK builds it (the SDK parses that body itself)', () => {
    // The event has no time: each parse gives it the current one, so the clock stands still between the two.
    jest.useFakeTimers({ now: Date.parse('2026-01-31T11:00:00.000Z'), doNotFake: ['nextTick', 'setImmediate'] });
    const text = JSON.stringify({ ...orderCreated, data: undefined, data_base64: 'aGVsbG8=' });
    const headers = { 'content-type': 'application/cloudevents+json' };

    let parsed, sdk;
    try {
      [parsed] = parseEventRequest(httpEvent({ path: '/api/v2/event', headers, body: text }), 1_000_000).events;

      sdk = HTTP.toEvent({ headers, body: text }) as ReturnType<typeof HTTP.toEvent> & { toJSON(): object };
    } finally {
      jest.useRealTimers();
    }
    expect(parsed!.toJSON()).toEqual(sdk.toJSON());
  });

  it.each([
    ['specversion 0.3', { 'content-type': 'application/cloudevents+json' }, { specversion: '0.3' }, /specversion/],
    [
      'a charset the SDK does not read',
      { 'content-type': 'application/cloudevents+json; charset=iso-8859-1' },
      {},
      /invalid content type/,
    ],
  ])('refuses a structured event with %s (400), as the SDK or hookflow words it', async (_n, headers, extra, error) => {
    const { engine, event } = setup();

    const response = await event(headers, JSON.stringify({ ...orderCreated, ...extra }));

    expect(response).toEqual({ status: 400, body: { error: expect.stringMatching(error) } });
    expect(engine.started).toEqual([]);
  });

  it('starts two runs for two events whose source and id only join alike (issue 15, defect 10)', async () => {
    const { engine, event } = setup();
    const structured = { 'content-type': 'application/cloudevents+json' };

    const first = await event(structured, JSON.stringify({ ...orderCreated, source: '/shop#X', id: 'order-1' }));
    const second = await event(structured, JSON.stringify({ ...orderCreated, source: '/shop', id: 'X#order-1' }));

    expect([first.status, second.status]).toEqual([202, 202]);
    const replayed = (r: typeof first) =>
      (r.body!.events as { started: { replayed: boolean }[] }[])[0]!.started.map((s) => s.replayed);
    expect([...replayed(first), ...replayed(second)]).toEqual([false, false, false, false]);
    expect(engine.started).toHaveLength(4); // two subscribers each
  });

  it.each([
    ['a 3,000-character id', { id: 'i'.repeat(3000) }],
    ['a 3,000-character source', { source: `/${'s'.repeat(3000)}` }],
    ['a 600-byte multi-byte id (within the body limit)', { id: '😀'.repeat(150) }],
  ])('accepts an event with %s, and dedupes its redelivery (issue 15, defect 8)', async (_name, attributes) => {
    const { engine, event } = setup();
    const body = JSON.stringify({ ...orderCreated, ...attributes });

    const first = await event({ 'content-type': 'application/cloudevents+json' }, body);
    const again = await event({ 'content-type': 'application/cloudevents+json' }, body);

    expect([first.status, again.status]).toEqual([202, 202]);
    expect(engine.started).toHaveLength(2); // two subscribers, once each
  });

  it('keeps a binary-mode ce-time that is RFC 3339 as sent (issue 15, defect 15)', async () => {
    const { engine, event } = setup();

    const response = await event(
      {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'evt-t',
        'ce-source': '/shop',
        'ce-type': 'com.example.order.created',
        'ce-time': '1985-04-12T23:20:50.52Z',
      },
      '{"order":9}',
    );

    expect(response.status).toBe(202);
    expect(engine.started[0]!.input).toMatchObject({ event: { time: '1985-04-12T23:20:50.520Z' } });
  });

  it('reads binary mode from ce-* headers, the body as data', async () => {
    const { engine, event } = setup();

    const response = await event(
      {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'evt-2',
        'ce-source': '/shop',
        'ce-type': 'com.example.order.created',
      },
      '{"order":8}',
    );

    expect(response.status).toBe(202);
    expect(engine.started[0]!.input).toMatchObject({ event: { id: 'evt-2', data: { order: 8 } } });
  });

  it('takes a batch, one outcome per event', async () => {
    const { engine, event } = setup();

    const response = await event(
      { 'content-type': 'application/cloudevents-batch+json' },
      JSON.stringify([orderCreated, { ...orderCreated, id: 'evt-3', type: 'com.example.approval.requested' }]),
    );

    expect((response.body!.events as unknown[]).length).toBe(2);
    expect(engine.started).toHaveLength(3);
  });

  it('starts nothing new for a redelivered event (same source and id)', async () => {
    const { engine, event } = setup();
    const headers = { 'content-type': 'application/cloudevents+json' };

    await event(headers, JSON.stringify(orderCreated));
    const again = await event(headers, JSON.stringify(orderCreated));

    expect(engine.started).toHaveLength(2);
    expect((again.body!.events as { started: { replayed: boolean }[] }[])[0]!.started.every((s) => s.replayed)).toBe(
      true,
    );
  });

  it('with ref: starts only that workflow, and resumes the task of run ref waiting on the event type', async () => {
    const s = setup();
    s.waits.add({ ref: 'order-audit', topic: 'com.example.order.created', taskToken: 'token-9' });

    const response = await s.event({ 'content-type': 'application/cloudevents+json' }, JSON.stringify(orderCreated), {
      ref: 'order-audit',
    });

    expect((response.body!.events as { started: { workflow: string }[]; resumed: boolean }[])[0]).toMatchObject({
      started: [{ workflow: 'order-audit' }],
      resumed: true,
    });
    expect(s.engine.resumed[0]).toMatchObject({ taskToken: 'token-9', result: { output: { id: 'evt-1' } } });
  });

  it.each([
    ['no type', { ...orderCreated, type: undefined }, {}, /lacks type/],
    ['no id', { ...orderCreated, id: undefined }, {}, /lacks id/],
    ['a bad specversion', { ...orderCreated, specversion: '0.1' }, {}, /CloudEvent/],
    ['binary mode without ce-id', 'x', { 'ce-specversion': '1.0', 'ce-source': '/s', 'ce-type': 't' }, /ce-id/],
    ['malformed JSON', '{', {}, /not valid JSON/],
    // issue 15, defect 9: CloudEvents 1.0 requires id, source, specversion and type to be non-empty strings
    ['an empty id', { ...orderCreated, id: '' }, {}, /id must be a non-empty string/],
    ['an empty source', { ...orderCreated, source: '' }, {}, /source must be a non-empty string/],
    ['an empty type', { ...orderCreated, type: '' }, {}, /type must be a non-empty string/],
    ['an empty id in a batch', [orderCreated, { ...orderCreated, id: '' }], {}, /event \[1\].*id must be/],
    [
      'binary mode with an empty ce-id',
      'x',
      { 'ce-specversion': '1.0', 'ce-id': '', 'ce-source': '/s', 'ce-type': 't' },
      /ce-id must be a non-empty string/,
    ],
    // issue 15, defect 15: a time that is not RFC 3339 is refused, never replaced by the current time
    [
      'binary mode with ce-time: yesterday',
      '{}',
      { 'ce-specversion': '1.0', 'ce-id': 'a', 'ce-source': '/s', 'ce-type': 't', 'ce-time': 'yesterday' },
      /ce-time must be an RFC 3339 timestamp/,
    ],
    ['structured mode with time: yesterday', { ...orderCreated, time: 'yesterday' }, {}, /time must be an RFC 3339/],
    [
      'structured mode with time: 2026-13-45T99:00:00Z',
      { ...orderCreated, time: '2026-13-45T99:00:00Z' },
      {},
      /RFC 3339/,
    ],
  ])('answers 400 naming what is wrong for %s', async (_name, body, headers, message) => {
    const { engine, event } = setup();

    const response = await event(
      { 'content-type': 'application/cloudevents+json', ...headers },
      typeof body === 'string' ? body : JSON.stringify(body),
    );

    expect(response).toMatchObject({ status: 400, body: { error: expect.stringMatching(message) } });
    expect(engine.started).toHaveLength(0);
  });
});

describe('POST /api/v2/event with a subscriber that has a verifier', () => {
  const SECRET = 'order-audit-github-secret';
  const github = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  const withVerifier = () => {
    const t = setup();
    t.registry.addEventWorkflow('order-audit', ['com.example.order.created'], 'STANDARD', {
      verifier: { kind: 'github' },
      replay: { toleranceSeconds: 300, ledgerSeconds: 86_400 },
      secrets: { current: SECRET },
    });
    return t;
  };
  const json = { 'content-type': 'application/cloudevents+json' };

  it('answers 401 to an unsigned event and starts no subscriber, not even one without a verifier', async () => {
    const { engine, event } = withVerifier();
    const body = JSON.stringify(orderCreated);

    const response = await event(json, body);

    expect(response).toEqual({ status: 401, body: { error: 'missing x-hub-signature-256 header' } });
    expect(engine.started).toHaveLength(0);
  });

  it('answers 401 to a signature made with another secret, and starts nothing', async () => {
    const { engine, event } = withVerifier();
    const body = JSON.stringify(orderCreated);
    const forged = `sha256=${createHmac('sha256', 'not-the-secret').update(body).digest('hex')}`;

    const response = await event({ ...json, 'x-hub-signature-256': forged }, body);

    expect(response.status).toBe(401);
    expect(engine.started).toHaveLength(0);
  });

  it('starts every subscriber of a signed batch, checking each workflow once per request; a replay gets 409', async () => {
    const { engine, event } = withVerifier();
    const batch = JSON.stringify([orderCreated, { ...orderCreated, id: 'evt-9' }]);
    const headers = {
      'content-type': 'application/cloudevents-batch+json',
      'x-hub-signature-256': github(batch),
      'x-github-delivery': 'delivery-1',
    };

    const response = await event(headers, batch);
    const replay = await event(headers, batch);

    expect(response.status).toBe(202);
    expect(replay.status).toBe(409);
    expect(engine.started.map((run) => run.stateMachineArn.split(':').at(-1)).sort()).toEqual([
      'order-audit',
      'order-audit',
      'order-echo',
      'order-echo',
    ]);
  });

  it('starts no subscriber whose verifier did not see the request, even one subscribed while the request runs', async () => {
    // Arrange: only `approval` (no verifier) subscribes when the request reads its subscribers; right after that
    // read, `late` subscribes with a verifier. Reading the subscribers again to start them would start `late` on an
    // unsigned request.
    const t = setup();
    const query = t.registry.queryPartition.bind(t.registry);
    let reads = 0;
    t.registry.queryPartition = async (pk) => {
      const items = await query(pk);
      if (++reads === 1) {
        t.registry.addEventWorkflow('late', ['com.example.approval.requested'], 'STANDARD', {
          verifier: { kind: 'github' },
          replay: { toleranceSeconds: 300, ledgerSeconds: 86_400 },
          secrets: { current: SECRET },
        });
      }
      return items;
    };
    const approval = { ...orderCreated, id: 'evt-late', type: 'com.example.approval.requested' };

    // Act
    const response = await t.event(json, JSON.stringify(approval));

    // Assert
    expect(response.status).toBe(202);
    expect(t.engine.started.map((run) => run.stateMachineArn.split(':').at(-1))).toEqual(['approval']);
    expect(reads).toBe(1);
  });

  it('does not ask for a signature when ref names a workflow without a verifier', async () => {
    const { engine, event } = withVerifier();

    const response = await event(json, JSON.stringify(orderCreated), { ref: 'order-echo' });

    expect(response.status).toBe(202);
    expect(engine.started).toHaveLength(1);
  });
});
