import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type HttpResult,
  localClientConfig,
  removeDataDir,
  request,
  type RunningStack,
  startLocalStack,
} from '../support/local-stack';

jest.setTimeout(120_000);

/**
 * Issue 19 item 2, end to end: bodies larger than Step Functions' 256 KiB run input are kept in S3 (fauxqs's S3
 * locally) and the run gets `{"hookflowBody": {...}}` where its payload would be; bodies over the ceilings are
 * refused; a body that fits makes no S3 call; S3 down answers 503 and starts nothing.
 */
const DEV_KEY = 'hf_local_dev_key';
const BUCKET = 'hookflow-bodies';
const ECHO = 'arn:aws:states:us-east-1:000000000000:stateMachine:hookflow-echo';

interface BodyReference {
  readonly hookflowBody: { bucket: string; key: string; bytes: number; sha256: string; contentType?: string };
}

/** A JSON object of about `bytes` bytes, with multi-byte characters and a number no double holds. */
function jsonOfSize(bytes: number): string {
  const head = '{"id":12345678901234567890,"text":"';
  const tail = '€"}';
  return `${head}${'a'.repeat(bytes - Buffer.byteLength(head) - Buffer.byteLength(tail))}${tail}`;
}

/** Every AWS call a stack of this file made, by service and action (functions/adapters/aws/clients.ts records them). */
function recordedCalls(folder: string): { handler: string; service: string; action: string }[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((file) => file.endsWith('.jsonl'))
    .flatMap((file) => readFileSync(join(folder, file), 'utf8').split('\n'))
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { handler: string; service: string; action: string });
}

describe('large bodies on the local stack (claim-check)', () => {
  let stack: RunningStack;
  let s3: S3Client;
  /** This file's own call record, copied into the e2e run's afterwards (test/infra/iam-recorded.iam.test.ts). */
  const calls = mkdtempSync(join(tmpdir(), 'hookflow-bodies-calls-'));
  beforeAll(async () => {
    stack = await startLocalStack({ env: { HOOKFLOW_RECORD_AWS_CALLS: calls } });
    s3 = new S3Client(localClientConfig(stack.sqsEndpoint));
  });
  afterAll(async () => {
    s3?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
    const shared = process.env.HOOKFLOW_RECORD_AWS_CALLS;
    if (shared !== undefined && shared !== '') cpSync(calls, shared, { recursive: true });
    rmSync(calls, { recursive: true, force: true });
  });

  const trigger = (body: string | Buffer, headers: Record<string, string> = {}) =>
    request(`${stack.url}/flows/hello/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json', ...headers },
      body,
    });
  const putObjects = () => recordedCalls(calls).filter((c) => c.service === 's3' && c.action === 'PutObject');

  /** The object a reference names, read back as a workflow would. */
  async function stored(reference: BodyReference): Promise<Buffer> {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: reference.hookflowBody.bucket, Key: reference.hookflowBody.key }),
    );
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  /** A run's input, read off its execution link (once: the input is there from the start, finished or waiting). */
  async function inputOf(link: string): Promise<Record<string, unknown>> {
    const execution = await request(link);
    expect(execution.status).toBe(200);
    return (execution.body as { input: Record<string, unknown> }).input;
  }

  async function runInput(answer: HttpResult, field: string): Promise<unknown> {
    expect(answer.status).toBe(202);
    return (await inputOf((answer.body as { executionLink: string }).executionLink))[field];
  }

  it('passes a 1 MB JSON body to its run as a reference, and keeps its exact bytes in S3', async () => {
    const body = jsonOfSize(1024 * 1024);

    const answer = await trigger(body);

    const reference = (await runInput(answer, 'payload')) as BodyReference;
    expect(reference).toEqual({
      hookflowBody: {
        bucket: BUCKET,
        key: expect.stringMatching(/^bodies\/[0-9a-f]{2}\/dlv_[0-9A-Z]{26}$/) as string,
        bytes: Buffer.byteLength(body),
        sha256: createHash('sha256').update(body).digest('hex'),
        contentType: 'application/json',
      },
    });
    const bytes = await stored(reference);
    expect(bytes.equals(Buffer.from(body))).toBe(true);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(reference.hookflowBody.sha256);
  });

  it('passes a body that fits inline in the run input; only its delivery record keeps it in S3 (one PUT)', async () => {
    const before = putObjects().length;
    const body = jsonOfSize(200 * 1024);

    const payload = await runInput(await trigger(body), 'payload');

    expect(payload).toMatchObject({ text: expect.stringMatching(/^a+€$/) as string });
    // Over DELIVERY_INLINE_BODY_BYTES (4 KiB): the record's copy, and no claim-check copy.
    expect(putObjects().length).toBe(before + 1);
  });

  it('makes no S3 call for a small body: run input and record both hold it', async () => {
    const before = putObjects().length;

    const payload = await runInput(await trigger(jsonOfSize(2 * 1024)), 'payload');

    expect(payload).toMatchObject({ text: expect.stringMatching(/^a+€$/) as string });
    expect(putObjects().length).toBe(before);
  });

  it('refuses a body over MAX_STORED_BODY_BYTES with 413 {"error"}, starting nothing', async () => {
    const answer = await trigger(jsonOfSize(4 * 1024 * 1024 + 1));

    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ error: 'request body is 4194305 bytes; the limit is 4194304 bytes' });
  });

  it('refuses at the gateway what Lambda would refuse: an event over 6 MB (413), under the gateway’s 10 MB', async () => {
    // 5 MB of binary: 6.7 MB as base64 in the event.
    const answer = await trigger(Buffer.alloc(5 * 1024 * 1024, 0xff), { 'content-type': 'application/octet-stream' });

    expect(answer.status).toBe(413);
    expect((answer.body as { error: string }).error).toMatch(/Lambda takes at most 6291456 bytes/);
  });

  it('gives every style the same reference where its payload would be', async () => {
    const body = jsonOfSize(300 * 1024);
    const sha256 = createHash('sha256').update(body).digest('hex');

    const client = await request(`${stack.url}/webhook/test-client/my-webhook?async&key=my-secret-api-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const byRef = await request(`${stack.url}/api/v2/webhook?ref=approval`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const event = await request(`${stack.url}/api/v2/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: `{"specversion":"1.0","id":"large-1","source":"/e2e","type":"com.example.approval.requested","data":${body}}`,
    });

    const references = [
      await runInput(client, 'payload'),
      await runInput(byRef, 'payload'),
      (await runInputOfEvent(event)).data,
    ];
    for (const reference of references) {
      expect(reference).toMatchObject({ hookflowBody: { bucket: BUCKET, bytes: Buffer.byteLength(body), sha256 } });
      expect((await stored(reference as BodyReference)).toString()).toBe(body);
    }
  });

  async function runInputOfEvent(answer: HttpResult): Promise<{ data: unknown }> {
    expect(answer.status).toBe(202);
    const [outcome] = (answer.body as { events: { started: { executionLink: string }[] }[] }).events;
    return (await inputOf(outcome!.started[0]!.executionLink)).event as { data: unknown };
  }

  it('passes a registered webhook’s large body to every bound workflow as one stored object', async () => {
    const admin = { 'x-api-key': 'hf_local_acme_admin_key', 'x-api-org': 'acme' };
    const created = await request(`${stack.url}/api/webhooks`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: '{"verifySecret":"large-bodies-secret-0123"}',
    });
    const { id } = created.body as { id: string };
    await request(`${stack.url}/api/webhooks/${id}/workflows/audit`, { method: 'PUT', headers: admin });
    const body = jsonOfSize(300 * 1024);

    const answer = await request(`${stack.url}/api/trigger-webhooks/${id}`, {
      method: 'POST',
      headers: { 'x-verify-signature': 'large-bodies-secret-0123', 'content-type': 'application/json' },
      body,
    });

    expect(answer.status).toBe(200);
    const [process] = answer.body as { executionLink: string }[];
    const reference = (await inputOf(process!.executionLink)).body as BodyReference;
    expect(reference.hookflowBody.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect((await stored(reference)).toString()).toBe(body);
  });
});

describe('large bodies when S3 is down', () => {
  let stack: RunningStack;
  let sfn: SFNClient;
  beforeAll(async () => {
    stack = await startLocalStack({ env: { HOOKFLOW_LOCAL_S3_DOWN: '1' } });
    sfn = new SFNClient(localClientConfig(stack.sfnEndpoint));
  });
  afterAll(async () => {
    sfn?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });
  const executions = async () =>
    (await sfn.send(new ListExecutionsCommand({ stateMachineArn: ECHO, maxResults: 1000 }))).executions?.length ?? 0;
  const trigger = (body: string, headers: Record<string, string> = {}) =>
    request(`${stack.url}/flows/hello/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json', ...headers },
      body,
    });

  it('answers 503 with Retry-After and starts nothing; the retry with the same Idempotency-Key is not refused as taken', async () => {
    const before = await executions();

    const first = await trigger(jsonOfSize(512 * 1024), { 'idempotency-key': 'large-s3-down' });
    const again = await trigger(jsonOfSize(512 * 1024), { 'idempotency-key': 'large-s3-down' });

    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(first.body).toEqual({ error: expect.stringMatching(/body store/) as string });
    // Nothing was claimed: the same key is not "in progress" or "taken", it is simply refused again.
    expect(again.status).toBe(503);
    expect(await executions()).toBe(before);
  });

  it('still takes bodies that fit, which need no S3', async () => {
    expect((await trigger('{"small":true}')).status).toBe(202);
  });
});
