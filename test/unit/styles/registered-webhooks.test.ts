import { createHmac } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { EngineBusyError, InvalidInputError } from '../../../functions/core/outcomes';
import { executionLinker } from '../../../functions/core/runs/execution-link';
import {
  makeProcessStatusHandler,
  makeWebhookAdminHandler,
  makeWebhookTriggerHandler,
} from '../../../functions/styles/registered-webhooks/http';
import {
  MAX_BINDINGS_PER_WEBHOOK,
  settingsChange,
} from '../../../functions/styles/registered-webhooks/manage-webhooks';
import { PROCESS_LIMITS, processView } from '../../../functions/styles/registered-webhooks/process-view';
import { parseTriggerBody, parseUpdateWebhook } from '../../../functions/styles/registered-webhooks/request';
import type { ProcessRecord, RunEvent, StartRequest } from '../../../functions/core/ports';
import { httpEvent, testContext } from '../../support/api-gateway-events';
import { InMemoryDeliveryLog } from '../../support/in-memory-delivery-log';
import { CREDENTIAL_HEADERS } from '../../../functions/http/request';
import {
  FakeEngine,
  FakeRegistry,
  InMemoryDeliveryLedger,
  InMemoryProcessStore,
  InMemoryWebhookStore,
  silentLogger,
} from '../../support/fakes';

const ACME = { 'x-api-key': 'acme-key', 'x-api-org': 'acme' };
const GLOBEX = { 'x-api-key': 'globex-key', 'x-api-org': 'globex' };

function setup() {
  const registry = new FakeRegistry()
    .addApiKey('acme-key', { keyId: 'acme-admin', orgs: ['acme'] })
    .addApiKey('globex-key', { keyId: 'globex-admin', orgs: ['globex'] })
    .addApiKey('flows-only-key', { keyId: 'flows-only' })
    .addWebhookTemplate('acme', 'notify')
    .addWebhookTemplate('acme', 'audit')
    .addWebhookTemplate('globex', 'notify', 'globex-notify');
  const webhooks = new InMemoryWebhookStore();
  const engine = new FakeEngine();
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  const processes = new InMemoryProcessStore(() => clock);
  const deps = {
    registry,
    webhooks,
    processes,
    deliveries: new InMemoryDeliveryLedger(),
    now: () => new Date(clock).getTime(),
    engine,
    logger: silentLogger,
    maxBodyBytes: 10_000,
    executionLink: executionLinker('https://console.example/{executionArn}'),
  };
  const admin = makeWebhookAdminHandler(deps);
  const trigger = makeWebhookTriggerHandler(deps);
  const status = makeProcessStatusHandler(deps);
  const call = async (
    handler: typeof admin,
    method: string,
    route: string,
    options: { params?: Record<string, string>; headers?: Record<string, string>; body?: string } = {},
  ) => {
    const path = route.replace(/\{(\w+)\}/g, (_m, name: string) => options.params?.[name] ?? '');
    const result = (await handler(
      httpEvent({
        method,
        path,
        routeKey: `${method} ${route}`,
        ...(options.params === undefined ? {} : { pathParameters: options.params }),
        ...(options.headers === undefined ? {} : { headers: options.headers }),
        ...(options.body === undefined ? {} : { body: options.body }),
      }),
      testContext,
    )) as APIGatewayProxyStructuredResultV2;
    return { status: result.statusCode!, body: result.body === undefined ? undefined : JSON.parse(result.body) };
  };
  const createWebhook = async (headers = ACME, body?: string) => {
    const created = await call(admin, 'POST', '/api/webhooks', { headers, ...(body === undefined ? {} : { body }) });
    expect(created.status).toBe(201);
    return created.body as { id: string; verifySecret: string; orgId: string };
  };
  const bind = (webhookId: string, templateId: string, headers = ACME) =>
    call(admin, 'PUT', '/api/webhooks/{webhookId}/workflows/{templateId}', {
      params: { webhookId, templateId },
      headers,
    });
  const fire = (webhookId: string, headers: Record<string, string>, body = '{"foo":"bar"}') =>
    call(trigger, 'POST', '/api/trigger-webhooks/{webhookId}', { params: { webhookId }, headers, body });
  const advance = (ms: number) => void (clock += ms);
  return {
    deps,
    engine,
    webhooks,
    processes,
    admin,
    status,
    call,
    createWebhook,
    bind,
    fire,
    advance,
    clock: () => clock,
  };
}

describe('registered webhooks: admin API (seed 5)', () => {
  it('creates a webhook with seed 5 fields, showing the secret only in the creation answer', async () => {
    const t = setup();
    const created = await t.createWebhook();
    expect(Object.keys(created)).toEqual([
      'createdOn',
      'updatedOn',
      'createdById',
      'updatedById',
      'orgId',
      'id',
      'verifier',
      'recordDeliveries',
      'whenBusy',
      'verifySecret',
    ]);
    expect(created).toMatchObject({
      recordDeliveries: true,
      orgId: 'acme',
      createdById: 'acme-admin',
      updatedById: 'acme-admin',
      verifier: { kind: 'contrail' },
      whenBusy: 'queue',
    });
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(created.verifySecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const got = await t.call(t.admin, 'GET', '/api/webhooks/{webhookId}', {
      params: { webhookId: created.id },
      headers: ACME,
    });
    expect(got.status).toBe(200);
    expect(JSON.stringify(got.body)).not.toContain(created.verifySecret);
    const list = await t.call(t.admin, 'GET', '/api/webhooks', { headers: ACME });
    expect(list.body).toEqual([expect.objectContaining({ id: created.id })]);
    expect(JSON.stringify(list.body)).not.toContain(created.verifySecret);
  });

  it('accepts a chosen verifySecret and refuses a short one with 400', async () => {
    const t = setup();
    const created = await t.createWebhook(ACME, '{"verifySecret":"my-secret-key-123"}');
    expect(created.verifySecret).toBe('my-secret-key-123');
    const short = await t.call(t.admin, 'POST', '/api/webhooks', { headers: ACME, body: '{"verifySecret":"short"}' });
    expect(short).toEqual({ status: 400, body: { error: 'verifySecret must be at least 16 characters' } });
  });

  it('needs a valid key that is a member of X-Api-Org', async () => {
    const t = setup();
    expect((await t.call(t.admin, 'GET', '/api/webhooks', { headers: { 'x-api-org': 'acme' } })).status).toBe(401);
    expect((await t.call(t.admin, 'GET', '/api/webhooks', { headers: { ...ACME, 'x-api-key': 'nope' } })).status).toBe(
      401,
    );
    expect((await t.call(t.admin, 'GET', '/api/webhooks', { headers: { 'x-api-key': 'acme-key' } })).body).toEqual({
      error: 'missing X-Api-Org header: name the organisation the request acts for',
    });
    expect(
      (await t.call(t.admin, 'GET', '/api/webhooks', { headers: { ...ACME, 'x-api-org': 'globex' } })).status,
    ).toBe(403);
    expect(
      (
        await t.call(t.admin, 'GET', '/api/webhooks', {
          headers: { 'x-api-key': 'flows-only-key', 'x-api-org': 'acme' },
        })
      ).status,
    ).toBe(403);
  });

  it("isolates organisations: another org's webhook is 404 for every operation, exactly like a missing one", async () => {
    const t = setup();
    const { id } = await t.createWebhook();
    const params = { webhookId: id };
    const missing = { error: `no webhook "${id}"` };
    expect(await t.call(t.admin, 'GET', '/api/webhooks/{webhookId}', { params, headers: GLOBEX })).toEqual({
      status: 404,
      body: missing,
    });
    expect((await t.call(t.admin, 'DELETE', '/api/webhooks/{webhookId}', { params, headers: GLOBEX })).status).toBe(
      404,
    );
    expect((await t.bind(id, 'notify', GLOBEX)).status).toBe(404);
    expect((await t.call(t.admin, 'GET', '/api/webhooks', { headers: GLOBEX })).body).toEqual([]);
    // still there for its owner
    expect((await t.call(t.admin, 'GET', '/api/webhooks/{webhookId}', { params, headers: ACME })).status).toBe(200);
  });

  it('binds and unbinds templates with the trigger webhookId:ID; unknown or foreign templates are 404', async () => {
    const t = setup();
    const { id } = await t.createWebhook();
    const bound = await t.bind(id, 'notify');
    expect(bound).toEqual({
      status: 201,
      body: expect.objectContaining({ webhookId: id, eventWorkflowTemplateId: 'notify', trigger: `webhookId:${id}` }),
    });
    expect((await t.bind(id, 'notify')).status).toBe(200); // binding again changes nothing
    expect((await t.bind(id, 'missing')).status).toBe(404);
    const list = await t.call(t.admin, 'GET', '/api/webhooks/{webhookId}/workflows', {
      params: { webhookId: id },
      headers: ACME,
    });
    expect(list.body).toEqual([expect.objectContaining({ eventWorkflowTemplateId: 'notify' })]);
    const route = '/api/webhooks/{webhookId}/workflows/{templateId}';
    const unbind = (templateId: string) =>
      t.call(t.admin, 'DELETE', route, { params: { webhookId: id, templateId }, headers: ACME });
    expect((await unbind('notify')).status).toBe(204);
    expect((await unbind('notify')).status).toBe(404);
  });

  it(`refuses more than ${MAX_BINDINGS_PER_WEBHOOK} bound workflows with 409`, async () => {
    const t = setup();
    for (let i = 0; i <= MAX_BINDINGS_PER_WEBHOOK; i++) t.deps.registry.addWebhookTemplate('acme', `t${i}`);
    const { id } = await t.createWebhook();
    for (let i = 0; i < MAX_BINDINGS_PER_WEBHOOK; i++) expect((await t.bind(id, `t${i}`)).status).toBe(201);
    expect((await t.bind(id, `t${MAX_BINDINGS_PER_WEBHOOK}`)).status).toBe(409);
  });

  it('lists only the org’s templates', async () => {
    const t = setup();
    const templates = await t.call(t.admin, 'GET', '/api/event-workflow-templates', { headers: GLOBEX });
    expect(templates.body).toEqual([{ id: 'notify', name: 'globex-notify', orgId: 'globex' }]);
  });
});

describe('registered webhooks: trigger (seed 5)', () => {
  async function boundWebhook(t: ReturnType<typeof setup>, templates = ['notify', 'audit']) {
    const webhook = await t.createWebhook(ACME, '{"verifySecret":"my-secret-key-123"}');
    for (const template of templates) await t.bind(webhook.id, template);
    return webhook;
  }

  it('starts every bound workflow with { body, headers } and answers seed 5 process records', async () => {
    const t = setup();
    const { id } = await boundWebhook(t);
    const fired = await t.fire(id, {
      'Content-Type': 'application/json',
      'X-Verify-Signature': 'my-secret-key-123',
      Host: 'api.example.com',
    });
    expect(fired.status).toBe(200);
    const records = fired.body as Record<string, unknown>[];
    expect(records).toHaveLength(2);
    expect(records.map((r) => r.eventWorkflowTemplateId).sort()).toEqual(['audit', 'notify']);
    for (const record of records) {
      expect(Object.keys(record).slice(0, 9)).toEqual([
        'eventWorkflowTemplateId',
        'status',
        'triggerEvent',
        'taskOutputs',
        'createdOn',
        'updatedOn',
        'orgId',
        'id',
        'eventWorkflowTaskIds',
      ]);
      expect(record).toMatchObject({ status: 'PENDING', triggerEvent: { foo: 'bar' }, taskOutputs: {}, orgId: 'acme' });
    }
    expect(t.engine.started).toHaveLength(2);
    const input = t.engine.started[0]!.input as { body: unknown; headers: Record<string, string> };
    expect(input.body).toEqual({ foo: 'bar' });
    // lower-cased names; the plain secret is not carried into the execution history
    expect(input.headers).toEqual({
      'content-type': 'application/json',
      'x-verify-signature': '[redacted]',
      host: 'api.example.com',
    });
    expect(t.engine.started.map((s: StartRequest) => s.name).sort()).toEqual(records.map((r) => r.id).sort());
  });

  it('accepts an HMAC-SHA256 of the raw body (hex, sha256= prefix, base64) and passes it on unredacted', async () => {
    const t = setup();
    const { id } = await boundWebhook(t, ['notify']);
    const body = '{"foo":"bar"}';
    const mac = createHmac('sha256', 'my-secret-key-123').update(body);
    const digest = mac.digest();
    for (const signature of [digest.toString('hex'), `sha256=${digest.toString('hex')}`, digest.toString('base64')]) {
      expect((await t.fire(id, { 'x-verify-signature': signature }, body)).status).toBe(200);
    }
    const input = t.engine.started[0]!.input as { headers: Record<string, string> };
    expect(input.headers['x-verify-signature']).toBe(digest.toString('hex'));
  });

  it('refuses a missing or wrong signature with 401 and starts nothing', async () => {
    const t = setup();
    const { id } = await boundWebhook(t);
    expect((await t.fire(id, {})).status).toBe(401);
    expect(await t.fire(id, { 'x-verify-signature': 'my-secret-key-12' })).toEqual({
      status: 401,
      body: { error: 'X-Verify-Signature does not match the secret' },
    });
    const otherBody = createHmac('sha256', 'my-secret-key-123').update('{"foo":"baz"}').digest('hex');
    expect((await t.fire(id, { 'x-verify-signature': otherBody })).status).toBe(401);
    expect(t.engine.started).toHaveLength(0);
  });

  it('answers 404 for an unknown or deleted webhook, before looking at the signature', async () => {
    const t = setup();
    const { id } = await boundWebhook(t);
    expect((await t.fire('nope', { 'x-verify-signature': 'x' })).status).toBe(404);
    expect(
      (await t.call(t.admin, 'DELETE', '/api/webhooks/{webhookId}', { params: { webhookId: id }, headers: ACME }))
        .status,
    ).toBe(204);
    expect(await t.fire(id, { 'x-verify-signature': 'my-secret-key-123' })).toEqual({
      status: 404,
      body: { error: `no webhook "${id}"` },
    });
  });

  it('with no workflow bound, answers an empty list', async () => {
    const t = setup();
    const { id } = await boundWebhook(t, []);
    expect(await t.fire(id, { 'x-verify-signature': 'my-secret-key-123' })).toEqual({ status: 200, body: [] });
  });

  it('an Idempotency-Key makes a retried trigger return the same processes; another body with it is 422', async () => {
    const t = setup();
    const { id } = await boundWebhook(t);
    const headers = { 'x-verify-signature': 'my-secret-key-123', 'idempotency-key': 'delivery-1' };
    const first = await t.fire(id, headers);
    const again = await t.fire(id, headers);
    expect(again.status).toBe(200);
    const ids = (r: typeof first) => (r.body as { id: string }[]).map((p) => p.id).sort();
    expect(ids(again)).toEqual(ids(first));
    expect(t.processes.records.size).toBe(2);
    expect(await t.fire(id, headers, '{"foo":"other"}')).toEqual({
      status: 422,
      body: { error: 'this Idempotency-Key was already used with a different body; use a new key for a new trigger' },
    });
  });

  it('when a start fails, answers 503 with the processes that did start, and a keyed retry starts the rest', async () => {
    const t = setup();
    const { id } = await boundWebhook(t);
    const start = t.engine.start.bind(t.engine);
    let failNotify = true;
    t.engine.start = async (request) => {
      if (failNotify && request.stateMachineArn.endsWith(':notify')) throw new EngineBusyError('busy');
      return start(request);
    };
    const headers = { 'x-verify-signature': 'my-secret-key-123', 'idempotency-key': 'delivery-2' };
    const failed = await t.fire(id, headers);
    expect(failed.status).toBe(503);
    expect(failed.body.error).toMatch(/^1 of 2 bound workflows could not be started/);
    expect(failed.body.processes).toEqual([expect.objectContaining({ eventWorkflowTemplateId: 'audit' })]);
    failNotify = false;
    const retried = await t.fire(id, headers);
    expect(retried.status).toBe(200);
    expect((retried.body as unknown[]).length).toBe(2);
    // the audit run was asked for again under the same name: Standard name idempotency keeps it one run
    const auditNames = t.engine.started.filter((s) => s.stateMachineArn.endsWith(':audit')).map((s) => s.name);
    expect(new Set(auditNames).size).toBe(1);
  });

  it('refuses a workflow input over 256 KiB with 413 and a non-UTF-8 body with 415', async () => {
    const t = setup();
    const { id } = await boundWebhook(t, ['notify']);
    const trigger = makeWebhookTriggerHandler({ ...t.deps, maxBodyBytes: 300_000 });
    const big = JSON.stringify({ data: 'x'.repeat(262_144) });
    const result = (await trigger(
      httpEvent({
        path: `/api/trigger-webhooks/${id}`,
        pathParameters: { webhookId: id },
        headers: { 'x-verify-signature': 'my-secret-key-123' },
        body: big,
      }),
      testContext,
    )) as APIGatewayProxyStructuredResultV2;
    expect(result.statusCode).toBe(413);
    const binary = (await trigger(
      httpEvent({
        path: `/api/trigger-webhooks/${id}`,
        pathParameters: { webhookId: id },
        headers: { 'x-verify-signature': 'my-secret-key-123' },
        body: Buffer.from([0xff, 0xfe, 0x00]).toString('base64'),
        isBase64Encoded: true,
      }),
      testContext,
    )) as APIGatewayProxyStructuredResultV2;
    expect(binary.statusCode).toBe(415);
  });
});

describe('registered webhooks: verifiers, rotation, replays and handshakes (issue 9)', () => {
  const github = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  it('takes a verifier preset and replay protection at creation, and shows them (never the secret)', async () => {
    const t = setup();
    const created = await t.createWebhook(
      ACME,
      '{"verifySecret":"gh-secret-0123456789","verifier":{"kind":"github"},"replay":{"ledgerSeconds":3600}}',
    );
    expect(created).toMatchObject({
      verifier: { kind: 'github' },
      replay: { toleranceSeconds: 300, ledgerSeconds: 3600 },
    });
    await t.bind(created.id, 'notify');
    const body = '{"zen":"hi"}';
    const headers = { 'x-hub-signature-256': github('gh-secret-0123456789', body), 'x-github-delivery': 'g-1' };
    expect((await t.fire(created.id, headers, body)).status).toBe(200);
    // the same delivery again is a replay: refused, and nothing started
    expect(await t.fire(created.id, headers, body)).toEqual({
      status: 409,
      body: { error: 'this delivery (the same signed content) was already accepted; nothing was started again' },
    });
    expect(t.engine.started).toHaveLength(1);
    // seed 5's header is not what this webhook verifies with
    expect((await t.fire(created.id, { 'x-verify-signature': 'gh-secret-0123456789' }, body)).status).toBe(401);
    expect(
      await t.call(t.admin, 'POST', '/api/webhooks', { headers: ACME, body: '{"verifier":{"kind":"nope"}}' }),
    ).toMatchObject({
      status: 400,
    });
  });

  it('rotates the secret with an overlap: both verify until the old one expires, no redeploy', async () => {
    const t = setup();
    const { id } = await t.createWebhook(ACME, '{"verifySecret":"old-secret-0123456789"}');
    await t.bind(id, 'audit');
    const rotated = await t.call(t.admin, 'POST', '/api/webhooks/{webhookId}/rotate-secret', {
      params: { webhookId: id },
      headers: ACME,
      body: '{"overlapSeconds":600}',
    });
    expect(rotated.status).toBe(200);
    const next = rotated.body.verifySecret as string;
    expect(next).not.toBe('old-secret-0123456789');
    expect(rotated.body.previousSecretExpiresAt).toBe(new Date(t.clock() + 600_000).toISOString());
    expect((await t.fire(id, { 'x-verify-signature': next })).status).toBe(200);
    expect((await t.fire(id, { 'x-verify-signature': 'old-secret-0123456789' })).status).toBe(200);
    t.advance(600_000);
    expect((await t.fire(id, { 'x-verify-signature': 'old-secret-0123456789' })).status).toBe(401);
    expect((await t.fire(id, { 'x-verify-signature': next })).status).toBe(200);
    const other = await t.call(t.admin, 'POST', '/api/webhooks/{webhookId}/rotate-secret', {
      params: { webhookId: id },
      headers: GLOBEX,
    });
    expect(other.status).toBe(404);
  });

  it('of 20 concurrent rotations, one wins (200) and the rest get 409; the winner’s secret verifies (issue 15, defect 7)', async () => {
    // Arrange
    const t = setup();
    const { id } = await t.createWebhook(ACME, '{"verifySecret":"old-secret-0123456789"}');
    await t.bind(id, 'audit');

    // Act: every call reads the webhook before any writes it
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.call(t.admin, 'POST', '/api/webhooks/{webhookId}/rotate-secret', {
          params: { webhookId: id },
          headers: ACME,
        }),
      ),
    );

    // Assert
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(19);
    const winner = answers.find((a) => a.status === 200)!.body.verifySecret as string;
    expect((await t.fire(id, { 'x-verify-signature': winner })).status).toBe(200);
    expect(answers.find((a) => a.status === 409)!.body).toEqual({
      error: 'the secret was rotated by another call meanwhile; nothing was changed by this one',
    });
  });

  it('answers a Slack url_verification after verifying it, and starts nothing', async () => {
    const t = setup();
    const { id } = await t.createWebhook(
      ACME,
      '{"verifySecret":"slack-signing-secret-01","verifier":{"kind":"slack"}}',
    );
    await t.bind(id, 'notify');
    const body = '{"type":"url_verification","challenge":"3eZbrw1aB"}';
    const ts = String(Math.floor(t.clock() / 1000));
    const signature = `v0=${createHmac('sha256', 'slack-signing-secret-01').update(`v0:${ts}:${body}`).digest('hex')}`;
    const headers = { 'x-slack-signature': signature, 'x-slack-request-timestamp': ts };
    expect(await t.fire(id, headers, body)).toEqual({ status: 200, body: { challenge: '3eZbrw1aB' } });
    expect((await t.fire(id, { ...headers, 'x-slack-signature': 'v0=00' }, body)).status).toBe(401);
    expect(t.engine.started).toHaveLength(0);
  });

  it('answers a Microsoft Graph validationToken, then verifies notifications by clientState (redacted onwards)', async () => {
    const t = setup();
    const { id } = await t.createWebhook(
      ACME,
      '{"verifySecret":"graph-client-state-01","verifier":{"kind":"microsoft-graph"}}',
    );
    await t.bind(id, 'notify');
    const validation = (await makeWebhookTriggerHandler(t.deps)(
      httpEvent({
        path: `/api/trigger-webhooks/${id}`,
        pathParameters: { webhookId: id },
        query: { validationToken: 'token-123' },
      }),
      testContext,
    )) as APIGatewayProxyStructuredResultV2;
    expect(validation).toMatchObject({ statusCode: 200, body: 'token-123' });
    const notification = JSON.stringify({ value: [{ clientState: 'graph-client-state-01', resource: 'users/1' }] });
    expect((await t.fire(id, {}, notification)).status).toBe(200);
    const input = t.engine.started[0]!.input as { body: { value: { clientState: string }[] } };
    expect(input.body.value[0]!.clientState).toBe('[redacted]');
    expect((await t.fire(id, {}, JSON.stringify({ value: [{ clientState: 'guess' }] }))).status).toBe(401);
  });
});

describe('registered webhooks: request bodies', () => {
  it('parses JSON, keeps non-JSON text, maps empty to null, and refuses bad JSON declared as JSON', () => {
    expect(parseTriggerBody(Buffer.from('{"a":1}'), undefined)).toEqual({ a: 1 });
    expect(parseTriggerBody(Buffer.from('a=1&b=2'), 'application/x-www-form-urlencoded')).toBe('a=1&b=2');
    expect(parseTriggerBody(Buffer.from(''), 'application/json')).toBeNull();
    expect(() => parseTriggerBody(Buffer.from('{"a":'), 'application/json; charset=utf-8')).toThrow(/not valid JSON/);
    expect(() => parseTriggerBody(Buffer.from('{"a":'), 'application/cloudevents+json')).toThrow(/not valid JSON/);
  });
});

describe('registered webhooks: process status', () => {
  const record: ProcessRecord = {
    id: 'p1',
    orgId: 'acme',
    webhookId: 'w1',
    eventWorkflowTemplateId: 'notify',
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:notify',
    executionArn: 'arn:aws:states:us-east-1:000000000000:execution:notify:p1',
    triggerEvent: { foo: 'bar' },
    fingerprint: 'f',
    createdOn: '2026-01-01T00:00:00.000Z',
  };
  const at = (s: number) => `2026-01-01T00:00:0${s}.000Z`;
  const view = (events: RunEvent[], truncated = false) =>
    processView(record, { events, truncated }, 'link', Date.parse(record.createdOn));

  it('goes PENDING -> RUNNING -> SUCCEEDED from the history, with each task and its output', () => {
    expect(view([]).status).toBe('PENDING');
    const running = view([{ kind: 'state-entered', at: at(1), name: 'ReadEvent' }]);
    expect(running).toMatchObject({ status: 'RUNNING', eventWorkflowTaskIds: ['ReadEvent'], updatedOn: at(1) });
    const done = view([
      { kind: 'state-entered', at: at(1), name: 'ReadEvent' },
      { kind: 'state-exited', at: at(2), name: 'ReadEvent', output: { a: 1 } },
      { kind: 'state-entered', at: at(2), name: 'Notify' },
      { kind: 'state-exited', at: at(3), name: 'Notify', output: { notified: true } },
      { kind: 'ended', at: at(4), status: 'SUCCEEDED' },
    ]);
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      eventWorkflowTaskIds: ['ReadEvent', 'Notify'],
      taskOutputs: { ReadEvent: { a: 1 }, Notify: { notified: true } },
      updatedOn: at(4),
    });
  });

  it('reports a failed, timed-out or aborted run as FAILED with its error', () => {
    expect(view([{ kind: 'ended', at: at(1), status: 'FAILED', error: 'E', cause: 'C' }])).toMatchObject({
      status: 'FAILED',
      error: 'E',
      cause: 'C',
    });
    expect(view([{ kind: 'ended', at: at(1), status: 'TIMED_OUT' }])).toMatchObject({
      status: 'FAILED',
      error: 'States.TIMED_OUT',
    });
  });

  it('marks outputs beyond the byte limit and long histories as truncated', () => {
    const big = 'x'.repeat(PROCESS_LIMITS.maxOutputBytes);
    const result = view(
      [
        { kind: 'state-exited', at: at(1), name: 'Small', output: 'ok' },
        { kind: 'state-exited', at: at(2), name: 'Big', output: big },
      ],
      false,
    );
    expect(result.taskOutputs).toEqual({ Small: 'ok', Big: { truncated: true, bytes: big.length + 2 } });
    expect(result.truncated).toBe(true);
    expect(view([], true).truncated).toBe(true);
  });

  it('a record whose run never started reads PENDING, then FAILED once no retry can start it', () => {
    const created = Date.parse(record.createdOn);
    expect(processView(record, undefined, 'link', created + 1000).status).toBe('PENDING');
    expect(processView(record, undefined, 'link', created + PROCESS_LIMITS.startDeadlineMs + 1)).toMatchObject({
      status: 'FAILED',
      error: 'hookflow.NotStarted',
    });
  });

  it('a record marked queued reads PENDING queued past the start deadline, and its run’s status once the run exists', () => {
    // Arrange
    const queued: ProcessRecord = { ...record, queuedOn: '2026-01-01T00:00:03.000Z' };
    const late = Date.parse(record.createdOn) + PROCESS_LIMITS.startDeadlineMs * 100;

    // Act
    const waiting = processView(queued, undefined, 'link', late);
    const started = processView(
      queued,
      { events: [{ kind: 'state-entered', at: at(5), name: 'ReadEvent' }], truncated: false },
      'link',
      late,
    );

    // Assert
    expect(waiting).toMatchObject({ status: 'PENDING', queued: true, updatedOn: '2026-01-01T00:00:03.000Z' });
    expect(waiting.error).toBeUndefined();
    expect(started).toMatchObject({ status: 'RUNNING', eventWorkflowTaskIds: ['ReadEvent'] });
    expect(started.queued).toBeUndefined();
  });

  it('GET /api/processes/{id} is scoped to the caller’s organisation', async () => {
    const t = setup();
    const webhook = await t.createWebhook(ACME, '{"verifySecret":"my-secret-key-123"}');
    await t.bind(webhook.id, 'notify');
    const [process] = (await t.fire(webhook.id, { 'x-verify-signature': 'my-secret-key-123' })).body as {
      id: string;
    }[];
    const get = (headers: Record<string, string>) =>
      t.call(t.status, 'GET', '/api/processes/{processId}', { params: { processId: process!.id }, headers });
    expect((await get(ACME)).body).toMatchObject({
      id: process!.id,
      status: 'PENDING',
      eventWorkflowTemplateId: 'notify',
    });
    expect((await get(GLOBEX)).status).toBe(404);
  });
});

describe('registered webhooks: recordDeliveries through the admin API', () => {
  /** The trigger with delivery records written to an in-memory log. */
  function withRecording() {
    const t = setup();
    const log = new InMemoryDeliveryLog(() => t.clock());
    const recorded = makeWebhookTriggerHandler({
      ...t.deps,
      recording: {
        deps: { log, credentialHeaders: CREDENTIAL_HEADERS },
        settings: { retentionDays: 7, inlineBodyBytes: 4096 },
        now: () => t.clock(),
      },
    });
    const fire = (webhookId: string, secret: string) =>
      t.call(recorded, 'POST', '/api/trigger-webhooks/{webhookId}', {
        params: { webhookId },
        headers: { 'x-verify-signature': secret },
        body: '{"foo":"bar"}',
      });
    const patch = (webhookId: string, body: string, headers = ACME) =>
      t.call(t.admin, 'PATCH', '/api/webhooks/{webhookId}', { params: { webhookId }, headers, body });
    return { ...t, log, fire, patch };
  }

  it('creates a webhook that records nothing, turns recording back on and off with PATCH, and the trigger honours each', async () => {
    // Arrange
    const t = withRecording();
    const quiet = await t.createWebhook(ACME, '{"recordDeliveries":false}');
    await t.bind(quiet.id, 'notify');

    // Act
    const off = await t.fire(quiet.id, quiet.verifySecret);
    const shownOff = await t.call(t.admin, 'GET', '/api/webhooks/{webhookId}', {
      params: { webhookId: quiet.id },
      headers: ACME,
    });
    t.advance(1_000);
    const on = await t.patch(quiet.id, '{"recordDeliveries":true}');
    const recordedOn = await t.fire(quiet.id, quiet.verifySecret);
    const offAgain = await t.patch(quiet.id, '{"recordDeliveries":false}');
    const quietAgain = await t.fire(quiet.id, quiet.verifySecret);

    // Assert
    expect([off.status, recordedOn.status, quietAgain.status]).toEqual([200, 200, 200]);
    expect(t.engine.started).toHaveLength(3);
    expect(shownOff.body).toMatchObject({ id: quiet.id, recordDeliveries: false });
    expect(on).toMatchObject({
      status: 200,
      body: { id: quiet.id, recordDeliveries: true, updatedOn: '2026-01-01T00:00:01.000Z', updatedById: 'acme-admin' },
    });
    expect(JSON.stringify(on.body)).not.toContain(quiet.verifySecret);
    expect(offAgain.body).toMatchObject({ recordDeliveries: false });
    expect([...t.log.records.values()].map((r) => ({ registration: r.registration, outcome: r.outcome }))).toEqual([
      { registration: quiet.id, outcome: 'started' },
    ]);
    // Stored as every registration stores it: only when false
    expect(t.webhooks.webhooks.get(quiet.id)?.recordDeliveries).toBe(false);
    await t.patch(quiet.id, '{"recordDeliveries":true}');
    expect('recordDeliveries' in t.webhooks.webhooks.get(quiet.id)!).toBe(false);
  });

  it('records by default, and answers bad settings 400 and another organisation’s webhook 404, word for word', async () => {
    // Arrange
    const t = withRecording();
    const webhook = await t.createWebhook();
    const unknown = await t.patch('nope-nope-nope-1', '{"recordDeliveries":false}');

    // Act
    const fired = await t.fire(webhook.id, webhook.verifySecret);
    const answers = await Promise.all([
      t.patch(webhook.id, '{"recordDeliveries":"no"}'),
      t.patch(webhook.id, '{}'),
      t.patch(webhook.id, ''),
      t.patch(webhook.id, '{"recordDeliveries":false,"verifySecret":"0123456789abcdef0123"}'),
      t.call(t.admin, 'POST', '/api/webhooks', { headers: ACME, body: '{"recordDeliveries":0}' }),
    ]);
    const foreign = await t.patch(webhook.id, '{"recordDeliveries":false}', GLOBEX);

    // Assert
    expect(fired.status).toBe(200);
    expect(t.log.records.size).toBe(1);
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 400]);
    expect(answers[0]!.body.error).toContain('recordDeliveries must be true or false');
    expect(answers[3]!.body.error).toContain('verifySecret');
    expect(foreign).toEqual({ status: 404, body: { error: `no webhook "${webhook.id}"` } });
    expect(unknown).toEqual({ status: 404, body: { error: 'no webhook "nope-nope-nope-1"' } });
    expect(t.webhooks.webhooks.get(webhook.id)?.recordDeliveries).toBeUndefined();
  });
});

describe('PATCH /api/webhooks/{id}: the request (parseUpdateWebhook)', () => {
  const patchEvent = (body: string) =>
    httpEvent({
      method: 'PATCH',
      path: '/api/webhooks/w1',
      routeKey: 'PATCH /api/webhooks/{webhookId}',
      pathParameters: { webhookId: 'w1' },
      body,
    });

  it.each([
    ['{"recordDeliveries":false}', { recordDeliveries: false }],
    ['{"whenBusy":"reject"}', { whenBusy: 'reject' }],
    ['{"whenBusy":"queue"}', { whenBusy: 'queue' }],
    ['{"recordDeliveries":true,"whenBusy":"reject"}', { recordDeliveries: true, whenBusy: 'reject' }],
  ])('takes %s', (body, settings) => {
    expect(parseUpdateWebhook(patchEvent(body), 10_000)).toEqual(settings);
  });

  it.each([
    ['{}', 'give at least one setting to change: recordDeliveries, whenBusy'],
    ['', 'give at least one setting to change: recordDeliveries, whenBusy'],
    ['{"whenBusy":"later"}', 'whenBusy must be one of "queue", "reject"'],
    ['{"whenBusy":null}', 'whenBusy must be one of "queue", "reject"'],
    ['{"recordDeliveries":"no"}', 'recordDeliveries must be true or false'],
    ['{"whenBusy":"reject","verifier":{"kind":"github"}}', 'unknown field "verifier"'],
    ['{"queue":true}', 'unknown field "queue"'],
  ])('refuses %s: %s', (body, message) => {
    expect(() => parseUpdateWebhook(patchEvent(body), 10_000)).toThrow(new InvalidInputError(message));
  });
});

describe('settingsChange: what PATCH stores (each setting only when it is not its default)', () => {
  it.each([
    [{ whenBusy: 'reject' }, { set: { whenBusy: 'reject' }, remove: [] }],
    [{ whenBusy: 'queue' }, { set: {}, remove: ['whenBusy'] }],
    [{ recordDeliveries: false }, { set: { recordDeliveries: false }, remove: [] }],
    [{ recordDeliveries: true }, { set: {}, remove: ['recordDeliveries'] }],
    [
      { recordDeliveries: true, whenBusy: 'reject' },
      { set: { whenBusy: 'reject' }, remove: ['recordDeliveries'] },
    ],
    [
      { recordDeliveries: false, whenBusy: 'queue' },
      { set: { recordDeliveries: false }, remove: ['whenBusy'] },
    ],
  ] as const)('%p → %p', (settings, change) => {
    expect(settingsChange(settings)).toEqual(change);
  });
});

describe('registered webhooks: whenBusy through the admin API', () => {
  const patch = (t: ReturnType<typeof setup>, webhookId: string, body: string, headers = ACME) =>
    t.call(t.admin, 'PATCH', '/api/webhooks/{webhookId}', { params: { webhookId }, headers, body });

  it('changes whenBusy alone, keeping recordDeliveries, and stores it only when it is not the default (queue)', async () => {
    // Arrange
    const t = setup();
    const webhook = await t.createWebhook(ACME, '{"recordDeliveries":false}');
    t.advance(1_000);

    // Act
    const rejecting = await patch(t, webhook.id, '{"whenBusy":"reject"}');
    const storedRejecting = t.webhooks.webhooks.get(webhook.id);
    const shown = await t.call(t.admin, 'GET', '/api/webhooks/{webhookId}', {
      params: { webhookId: webhook.id },
      headers: ACME,
    });
    const queueing = await patch(t, webhook.id, '{"whenBusy":"queue"}');
    const both = await patch(t, webhook.id, '{"whenBusy":"reject","recordDeliveries":true}');

    // Assert
    expect(rejecting).toEqual({
      status: 200,
      body: expect.objectContaining({
        id: webhook.id,
        whenBusy: 'reject',
        recordDeliveries: false,
        updatedOn: '2026-01-01T00:00:01.000Z',
        updatedById: 'acme-admin',
      }),
    });
    expect(JSON.stringify(rejecting.body)).not.toContain(webhook.verifySecret);
    expect(storedRejecting).toMatchObject({ whenBusy: 'reject', recordDeliveries: false });
    expect(shown.body).toMatchObject({ whenBusy: 'reject' });
    expect(queueing.body).toMatchObject({ whenBusy: 'queue', recordDeliveries: false });
    expect(both.body).toMatchObject({ whenBusy: 'reject', recordDeliveries: true });
    const stored = t.webhooks.webhooks.get(webhook.id)!;
    expect(stored.whenBusy).toBe('reject');
    expect('recordDeliveries' in stored).toBe(false);
    await patch(t, webhook.id, '{"whenBusy":"queue"}');
    expect('whenBusy' in t.webhooks.webhooks.get(webhook.id)!).toBe(false);
  });

  it('answers a bad whenBusy 400 naming it, and another organisation’s webhook 404 word for word, changing nothing', async () => {
    // Arrange
    const t = setup();
    const webhook = await t.createWebhook();
    const before = t.webhooks.webhooks.get(webhook.id);

    // Act
    const bad = await patch(t, webhook.id, '{"whenBusy":"later"}');
    const unknown = await patch(t, webhook.id, '{"whenBusy":"reject","retries":3}');
    const foreign = await patch(t, webhook.id, '{"whenBusy":"reject"}', GLOBEX);
    const missing = await patch(t, 'nope-nope-nope-1', '{"whenBusy":"reject"}');

    // Assert
    expect(bad).toEqual({ status: 400, body: { error: 'whenBusy must be one of "queue", "reject"' } });
    expect(unknown).toEqual({ status: 400, body: { error: 'unknown field "retries"' } });
    expect(foreign).toEqual({ status: 404, body: { error: `no webhook "${webhook.id}"` } });
    expect(missing).toEqual({ status: 404, body: { error: 'no webhook "nope-nope-nope-1"' } });
    expect(t.webhooks.webhooks.get(webhook.id)).toEqual(before);
  });
});
