import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedAwsCall } from '../../functions/adapters/aws/clients';
import { DynamoDbDeliveryLog } from '../../functions/adapters/aws/dynamodb-delivery-log';
import type { DeliveryRecord } from '../../functions/core/deliveries/record';
import { localClientConfig, removeDataDir, request, type RunningStack, startLocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

const DEV_KEY = 'hf_local_dev_key';
const INBOUND_SECRET = 'hf_local_inbound_secret';
const ACME_KEY = 'hf_local_acme_admin_key';

/**
 * Deliveries (issue 19) on the local stack: every style answers Hookflow-Delivery-Id and leaves the record its
 * request earned, read back through DynamoDbDeliveryLog from the stack's own dedupe table, as the deliveries API
 * reads it. And the calls a record costs, counted from the AWS calls the stack's handlers made.
 */
describe('delivery records on the local stack', () => {
  let stack: RunningStack;
  let dynamodb: DynamoDBClient;
  let log: DynamoDbDeliveryLog;
  const callsFolder = mkdtempSync(join(tmpdir(), 'hookflow-deliveries-calls-'));

  beforeAll(async () => {
    // Its own calls folder, to count calls; a warm registry cache, so that a request's calls are its own.
    stack = await startLocalStack({ env: { HOOKFLOW_RECORD_AWS_CALLS: callsFolder, REGISTRY_CACHE_SECONDS: '300' } });
    dynamodb = new DynamoDBClient({
      endpoint: stack.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    log = new DynamoDbDeliveryLog(dynamodb, 'hookflow-dedupe', { shards: 4, maxItemsRead: 2_000 });
  });
  afterAll(async () => {
    dynamodb?.destroy();
    await stack?.stop();
    // This file's calls count for the IAM check too (test/infra/iam-recorded.iam.test.ts reads the shared folder).
    const shared = process.env.HOOKFLOW_RECORD_AWS_CALLS;
    if (shared !== undefined && shared !== '') cpSync(callsFolder, shared, { recursive: true });
    if (stack !== undefined) removeDataDir(stack.dataDir);
    removeDataDir(callsFolder);
  });

  const post = (path: string, headers: Record<string, string>, body: string) =>
    request(`${stack.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const deliveryIdOf = (answer: { headers: Headers }) => answer.headers.get('hookflow-delivery-id') ?? '';
  const recordOf = async (answer: { headers: Headers }): Promise<DeliveryRecord | undefined> =>
    log.get(deliveryIdOf(answer));

  /** Every AWS call the stack's handlers made so far. */
  const calls = (): RecordedAwsCall[] =>
    readdirSync(callsFolder)
      .filter((file) => file.endsWith('.jsonl'))
      .flatMap((file) => readFileSync(join(callsFolder, file), 'utf8').split('\n'))
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as RecordedAwsCall);
  /** The calls one request makes (the registry already cached by an earlier request). */
  const callsOf = async (send: () => Promise<unknown>) => {
    const before = calls().length;
    await send();
    return calls()
      .slice(before)
      .map((call) => `${call.service}:${call.action}`)
      .sort();
  };

  it('flow trigger: answers its delivery id, and the record names the run, which leads back to it', async () => {
    // Act
    const answer = await post('/flows/hello/trigger', { authorization: `Bearer ${DEV_KEY}` }, '{"order":1}');

    // Assert
    expect(answer.status).toBe(202);
    const record = await recordOf(answer);
    expect(record).toMatchObject({
      style: 'flow-trigger',
      registration: 'hello',
      outcome: 'started',
      status: 202,
      method: 'POST',
      path: '/flows/hello/trigger',
      body: { bytes: 11, inline: Buffer.from('{"order":1}').toString('base64') },
    });
    expect(record!.runs).toHaveLength(1);
    expect(record!.headers.authorization).toBe('[redacted]');
    const execution = await request(`${stack.url}/executions/${encodeURIComponent(record!.runs[0]!.executionArn!)}`);
    expect(execution.text).toContain(deliveryIdOf(answer));
  });

  it('keeps no credential anywhere in a stored record', async () => {
    // Arrange: every credential a sender might send, and the inbound secret
    const headers = {
      authorization: `Bearer ${DEV_KEY}`,
      cookie: 'session=hf-secret-cookie',
      'x-api-key': 'hf-secret-api-key',
      'proxy-authorization': 'Basic hf-secret-proxy',
    };

    // Act
    const flow = await post('/flows/hello/trigger', headers, '{}');
    const inbound = await post(
      '/inbound',
      { 'inbound-webhook-secret': INBOUND_SECRET },
      JSON.stringify({ workflow: 'workflow name', uid: `secret-${Date.now()}` }),
    );

    // Assert
    for (const answer of [flow, inbound]) {
      const stored = JSON.stringify(await recordOf(answer));
      expect(stored).toContain(deliveryIdOf(answer));
      for (const secret of [DEV_KEY, 'hf-secret-cookie', 'hf-secret-api-key', 'hf-secret-proxy', INBOUND_SECRET]) {
        expect(stored).not.toContain(secret);
      }
    }
  });

  it('records refusals of a known registration with their reason, and stores nothing for an unknown one', async () => {
    // Act
    const reused = `reuse-${Date.now()}`;
    await post('/flows/hello/trigger', { authorization: `Bearer ${DEV_KEY}`, 'idempotency-key': reused }, '{"a":1}');
    const refused = await post(
      '/flows/hello/trigger',
      { authorization: `Bearer ${DEV_KEY}`, 'idempotency-key': reused },
      '{"a":2}',
    );
    const badSignature = await post('/flows/hello-signed/trigger', { authorization: `Bearer ${DEV_KEY}` }, '{}');
    const unknown = await post('/flows/no-such-flow/trigger', { authorization: `Bearer ${DEV_KEY}` }, '{}');
    const badKey = await post('/flows/hello/trigger', { authorization: 'Bearer not-a-key' }, '{}');
    const badSecret = await post('/inbound', { 'inbound-webhook-secret': 'wrong' }, '{"workflow":"workflow name"}');

    // Assert
    expect(await recordOf(refused)).toMatchObject({ outcome: 'refused', status: 422, reason: expect.any(String) });
    expect(await recordOf(badSignature)).toMatchObject({
      outcome: 'refused',
      status: 401,
      reason: 'missing x-hub-signature-256 header',
    });
    expect(await recordOf(badKey)).toMatchObject({ registration: 'hello', outcome: 'refused', status: 401 });
    expect(await recordOf(badSecret)).toMatchObject({ style: 'inbound', outcome: 'refused', status: 401 });
    expect(JSON.stringify(await recordOf(badSecret))).not.toContain('"wrong"');
    expect(unknown.status).toBe(404);
    expect(deliveryIdOf(unknown)).toMatch(/^dlv_/);
    expect(await recordOf(unknown)).toBeUndefined();
    expect(stack.output()).toContain('delivery not recorded');
  });

  it('every style answers its delivery id and leaves its record', async () => {
    // Arrange: a registered webhook of acme, bound to a template
    const created = await request(`${stack.url}/api/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ACME_KEY, 'x-api-org': 'acme' },
      body: '{}',
    });
    const webhook = created.body as { id: string; verifySecret: string };
    await request(`${stack.url}/api/webhooks/${webhook.id}/workflows/audit`, {
      method: 'PUT',
      headers: { 'x-api-key': ACME_KEY, 'x-api-org': 'acme' },
    });

    // Act
    const answers = {
      clientWebhook: await post(
        '/webhook/test-client/my-webhook?async',
        { 'x-correlation-id': 'cw-1' },
        '{"key":"my-secret-api-key"}',
      ),
      inboundBatch: await post(
        '/inbound',
        { 'inbound-webhook-secret': INBOUND_SECRET },
        JSON.stringify({
          workflow: 'workflow name',
          batch: [{ uid: `b1-${Date.now()}` }, { uid: `b2-${Date.now()}` }],
        }),
      ),
      eventWebhook: await post('/api/v2/webhook?ref=order-echo', {}, '{"order":7}'),
      cloudEvent: await post(
        '/api/v2/event',
        { 'content-type': 'application/cloudevents+json' },
        JSON.stringify({
          specversion: '1.0',
          id: `evt-${Date.now()}`,
          source: '/shop',
          type: 'com.example.order.created',
          data: { order: 8 },
        }),
      ),
      callback: await post(`/api/v2/callback?ref=run-${Date.now()}&topic=approved`, {}, '{"ok":true}'),
      registeredWebhook: await post(
        `/api/trigger-webhooks/${webhook.id}`,
        { 'x-verify-signature': webhook.verifySecret },
        '{"event":"x"}',
      ),
    };

    // Assert
    const records = Object.fromEntries(
      await Promise.all(Object.entries(answers).map(async ([name, answer]) => [name, await recordOf(answer)])),
    ) as Record<keyof typeof answers, DeliveryRecord | undefined>;
    for (const answer of Object.values(answers)) expect(deliveryIdOf(answer)).toMatch(/^dlv_/);
    expect(records.clientWebhook).toMatchObject({
      style: 'client-webhook',
      registration: 'test-client/my-webhook',
      outcome: 'started',
      correlationId: 'cw-1',
    });
    // Its key came in the body: the record keeps the body's size and hash, never its bytes.
    expect(records.clientWebhook!.body).toEqual({ bytes: 27, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(records.inboundBatch).toMatchObject({ style: 'inbound', outcome: 'started', status: 202 });
    expect(records.inboundBatch!.runs.map((run) => run.runRef)).toEqual([
      expect.stringMatching(/^u_/),
      expect.stringMatching(/^u_/),
    ]);
    expect(records.eventWebhook).toMatchObject({ style: 'events', registration: 'order-echo', outcome: 'started' });
    expect(records.cloudEvent).toMatchObject({ style: 'events', registration: 'order-echo', outcome: 'started' });
    // Nothing waits yet: the callback is kept for its run, and recorded under the run it names.
    expect(answers.callback.status).toBe(202);
    expect(records.callback).toMatchObject({ style: 'events', outcome: 'started', status: 202, runs: [] });
    expect(records.callback!.registration).toMatch(/^run-/);
    expect(records.registeredWebhook).toMatchObject({
      style: 'registered-webhooks',
      registration: webhook.id,
      org: 'acme',
      outcome: 'started',
      headers: { 'x-verify-signature': '[redacted]' },
    });
    expect(JSON.stringify(records.registeredWebhook)).not.toContain(webhook.verifySecret);
  });

  it('a 3,000-character correlation header is kept cut to 256 characters, and listed by it', async () => {
    // Arrange
    const long = `c${Date.now()}`.padEnd(3_000, 'x');

    // Act
    const answer = await post(
      '/inbound',
      { 'inbound-webhook-secret': INBOUND_SECRET, 'idempotency-key': long },
      JSON.stringify({ workflow: 'workflow name' }),
    );

    // Assert
    expect(answer.status).toBe(202);
    const record = await recordOf(answer);
    expect(record!.correlationId).toBe(long.slice(0, 256));
    expect(record!.headers['idempotency-key']).toBe(long);
    const listed = await log.list({
      from: Date.now() - 60_000,
      to: Date.now(),
      limit: 10,
      correlationId: long.slice(0, 256),
    });
    expect(listed.items.map((item) => item.id)).toEqual([deliveryIdOf(answer)]);
  });

  it('keeps a body over DELIVERY_INLINE_BODY_BYTES in the body store (S3), byte for byte: inbound and a callback', async () => {
    // Arrange: 6 KiB JSON, over the 4 KiB kept inline on the record.
    const filler = 'b'.repeat(6 * 1024);
    const inboundBody = JSON.stringify({ workflow: 'workflow name', stateValues: { filler } });
    const callbackBody = JSON.stringify({ ok: true, filler });

    // Act
    const inbound = await post('/inbound', { 'inbound-webhook-secret': INBOUND_SECRET }, inboundBody);
    const callback = await post(`/api/v2/callback?ref=run-big-${Date.now()}&topic=approved`, {}, callbackBody);

    // Assert: the record names the object, not the bytes; the object holds exactly what was sent.
    for (const [answer, sent] of [
      [inbound, inboundBody],
      [callback, callbackBody],
    ] as const) {
      expect(answer.status).toBe(202);
      const record = await recordOf(answer);
      expect(record!.body.inline).toBeUndefined();
      expect(record!.body.s3).toEqual({
        bucket: expect.any(String) as string,
        key: expect.stringContaining(record!.id) as string,
      });
      expect(record!.body.bytes).toBe(Buffer.byteLength(sent));
      const s3 = new S3Client(localClientConfig(stack.sqsEndpoint));
      const object = await s3.send(
        new GetObjectCommand({ Bucket: record!.body.s3!.bucket, Key: record!.body.s3!.key }),
      );
      const bytes = Buffer.from(await object.Body!.transformToByteArray());
      s3.destroy();
      expect(bytes.toString('utf8')).toBe(sent);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(record!.body.sha256);
    }
  });

  it('concurrent duplicates of one key: one started record on the claim, every other one deduplicated', async () => {
    // Arrange
    const key = `dup-${Date.now()}`;
    const send = () =>
      post('/flows/hello-standard/trigger', { authorization: `Bearer ${DEV_KEY}`, 'idempotency-key': key }, '{"d":1}');

    // Act
    const answers = await Promise.all(Array.from({ length: 8 }, send));

    // Assert
    expect(answers.every((answer) => answer.status === 202)).toBe(true);
    const records = await Promise.all(answers.map(recordOf));
    const outcomes = records.map((record) => record!.outcome).sort();
    expect(outcomes.filter((outcome) => outcome === 'started')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'deduplicated')).toHaveLength(7);
    expect(new Set(records.map((record) => record!.runs[0]!.executionArn)).size).toBe(1);
  });

  it('costs: keyed Standard stays one PutItem and one StartExecution; unkeyed is one StartExecution and one PutItem', async () => {
    // Arrange: warm the registry cache of both flows
    const trigger =
      (flow: string, headers: Record<string, string> = {}) =>
      () =>
        post(`/flows/${flow}/trigger`, { authorization: `Bearer ${DEV_KEY}`, ...headers }, '{}');
    await trigger('hello-standard')();
    await trigger('hello')();

    // Act
    const keyed = await callsOf(trigger('hello-standard', { 'idempotency-key': `cost-${Date.now()}` }));
    const unkeyed = await callsOf(trigger('hello'));

    // Assert
    expect(keyed).toEqual(['dynamodb:PutItem', 'states:StartExecution']);
    expect(unkeyed).toEqual(['dynamodb:PutItem', 'states:StartExecution']);
  });
});
