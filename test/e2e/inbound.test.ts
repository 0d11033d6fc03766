import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { removeDataDir, request, startLocalStack, waitForExecution } from '../support/local-stack';

jest.setTimeout(120_000);

const execFileAsync = promisify(execFile);
const SECRET = 'hf_local_inbound_secret'; // local/hookflow.local.json
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;

/** Seed 4 (inbound requests) against the local stack: SQS through fauxqs, the fan-out worker as Lambda runs it. */
async function withStack(env: Record<string, string>) {
  const stack = await startLocalStack({ env: { HOOKFLOW_FANOUT_VISIBILITY_SECONDS: '1', ...env } });
  const sfn = new SFNClient({ endpoint: stack.sfnEndpoint, region: 'us-east-1', credentials });
  const post = (body: unknown, secret = SECRET) =>
    request(`${stack.url}/inbound`, {
      method: 'POST',
      headers: { 'inbound-webhook-secret': secret, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const status = async (runUrl: string) =>
    (await request(runUrl, { headers: { 'inbound-webhook-secret': SECRET } })).body as Record<string, unknown>;
  /** Every execution of a state machine, all pages. */
  const executions = async (stateMachine: string) => {
    const all: { name?: string }[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: arn(stateMachine), maxResults: 1000, nextToken }),
      );
      all.push(...(page.executions ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return all;
  };
  /** Polls until every run reference resolves to an execution. */
  const allStarted = async (runUrls: string[], timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    let pending = runUrls;
    while (pending.length > 0 && Date.now() < deadline) {
      const states = await Promise.all(pending.map(async (url) => [url, (await status(url)).status] as const));
      pending = states.filter(([, s]) => s !== 'STARTED').map(([url]) => url);
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 250));
    }
    return pending;
  };
  const stop = async () => {
    sfn.destroy();
    await stack.stop();
    removeDataDir(stack.dataDir);
  };
  return { stack, post, status, executions, allStarted, stop };
}

describe('inbound requests on the local stack (seed 4)', () => {
  let s: Awaited<ReturnType<typeof withStack>>;
  beforeAll(async () => {
    s = await withStack({});
  });
  afterAll(() => s?.stop());

  const curl = (body: string, secret = SECRET) => {
    const out = execFileSync(
      'curl',
      [
        '-s',
        '-w',
        '\n%{http_code}',
        '-X',
        'POST',
        `${s.stack.url}/inbound`,
        '-H',
        `Inbound-Webhook-Secret: ${secret}`,
        '-d',
        body,
      ],
      { encoding: 'utf8' },
    );
    const lines = out.trimEnd().split('\n');
    const code = Number(lines.pop());
    return { status: code, body: JSON.parse(lines.join('\n')) as Record<string, unknown> };
  };

  it("runs the seed's workflow request, with stateValues and the other fields as runtime data", async () => {
    const response = curl(
      '{"workflow":"workflow name","stateValues":{"statename":"value"},"uid":"a generated unique ID for the request","extra_stuff":{"lots":"of it"}}',
    );

    expect(response).toMatchObject({
      status: 202,
      body: {
        uid: 'a generated unique ID for the request',
        executionId: expect.stringContaining(':hookflow-inbound-echo:'),
      },
    });
    const execution = await waitForExecution(String(response.body.executionLink));
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      input: { stateValues: { statename: 'value' }, runtime: { extra_stuff: { lots: 'of it' } } },
    });
  });

  it("runs the seed's batch request: request1 on the alternative workflow, request2 on the parent's", async () => {
    const response = curl(
      '{"workflow":"workflow name","batch":[{"uid":"request1","workflow":"alternative workflow","stateValues":{"state":"value"},"runtimeData":{"key":"value"}},{"uid":"request2","stateValues":{"state":"value"}}]}',
    );

    expect(response.status).toBe(202);
    const entries = response.body.batch as { uid: string; runUrl: string; status: string }[];
    expect(entries.map((e) => [e.uid, e.status])).toEqual([
      ['request1', 'QUEUED'],
      ['request2', 'QUEUED'],
    ]);
    expect(await s.allStarted(entries.map((e) => e.runUrl))).toEqual([]);
    const [first, second] = await Promise.all(
      entries.map(async (e) => waitForExecution(String((await s.status(e.runUrl)).executionLink))),
    );
    expect(first).toMatchObject({
      stateMachineArn: arn('hookflow-inbound-echo-standard'),
      input: { stateValues: { state: 'value' }, runtime: { key: 'value' }, trigger: { uid: 'request1' } },
    });
    expect(second).toMatchObject({
      stateMachineArn: arn('hookflow-inbound-echo'),
      input: { stateValues: { state: 'value' }, runtime: {}, trigger: { uid: 'request2' } },
    });
  });

  it('answers DUPLICATE, with the run, for each item of a resent batch whose uid already ran; an id in upper case finds its workflow', async () => {
    const batch = (uids: string[]) => ({
      workflow: '3F1C2A9E-0B7D-4C55-9A51-1B2C3D4E5F60',
      batch: uids.map((uid) => ({ uid })),
    });
    const first = await s.post(batch(['resend-1', 'resend-2']));
    const firstEntries = (first.body as { batch: { runUrl: string }[] }).batch;
    expect(await s.allStarted(firstEntries.map((e) => e.runUrl))).toEqual([]);
    const started = await Promise.all(firstEntries.map(async (e) => (await s.status(e.runUrl)).executionId));

    const resent = await s.post(batch(['resend-1', 'resend-2', 'resend-3']));

    expect(resent.status).toBe(202);
    const entries = (resent.body as { batch: { uid: string; status: string; executionId?: string }[] }).batch;
    expect(entries.map((e) => [e.uid, e.status, e.executionId])).toEqual([
      ['resend-1', 'DUPLICATE', started[0]],
      ['resend-2', 'DUPLICATE', started[1]],
      ['resend-3', 'QUEUED', undefined],
    ]);
  });

  it('applies inheritance item by item', async () => {
    const response = await s.post({
      workflow: 'workflow name',
      stateValues: { from: 'parent' },
      uid: 'ignored-parent-uid',
      batch: [{}, { stateValues: {} }, { workflow: 'alternative workflow' }],
    });
    const entries = (response.body as { batch: { runUrl: string; uid: unknown }[] }).batch;
    expect(entries.map((e) => e.uid)).toEqual([null, null, null]);
    expect(await s.allStarted(entries.map((e) => e.runUrl))).toEqual([]);

    const inputs = await Promise.all(
      entries.map(async (e) => {
        const execution = await waitForExecution(String((await s.status(e.runUrl)).executionLink));
        return [
          String(execution.stateMachineArn).split(':').at(-1),
          (execution.input as { stateValues: unknown }).stateValues,
        ];
      }),
    );
    expect(inputs).toEqual([
      ['hookflow-inbound-echo', { from: 'parent' }],
      ['hookflow-inbound-echo', {}],
      ['hookflow-inbound-echo-standard', { from: 'parent' }],
    ]);
  });

  it('dedupes a uid across single and batch requests', async () => {
    const uid = `order-${Date.now()}`;
    const single = await s.post({ workflow: 'workflow name', uid });
    const again = await s.post({ workflow: 'workflow name', uid });
    const batch = await s.post({ workflow: 'workflow name', batch: [{ uid }, { uid: `${uid}-b` }] });
    const entries = (batch.body as { batch: { runUrl: string }[] }).batch;
    expect(await s.allStarted(entries.map((e) => e.runUrl))).toEqual([]);

    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((again.body as { executionId: string }).executionId).toBe(
      (single.body as { executionId: string }).executionId,
    );
    expect((await s.status(entries[0]!.runUrl)).executionId).toBe((single.body as { executionId: string }).executionId);
    const names = (await s.executions('hookflow-inbound-echo')).map((e) => e.name);
    const executionName = String((single.body as { executionId: string }).executionId.split(':')[7]);
    expect(names.filter((n) => n === executionName)).toHaveLength(1);
  });

  it.each([
    ['a wrong secret', { workflow: 'workflow name' }, 'nope', 401],
    ['an unknown workflow', { workflow: 'nope' }, SECRET, 404],
    ['a bad batch item', { workflow: 'workflow name', batch: [{}, { stateValues: 'x' }] }, SECRET, 400],
  ])('answers {error} for %s', async (_name, body, secret, code) => {
    const response = await s.post(body, secret);

    expect(response).toMatchObject({ status: code, body: { error: expect.any(String) } });
  });

  it('starts exactly 1,000 executions for a 1,000-item batch', async () => {
    const before = (await s.executions('hookflow-inbound-echo')).length;
    const batch = Array.from({ length: 1000 }, (_, i) => ({ runtimeData: { i } }));

    const response = await s.post({ workflow: 'workflow name', batch });

    expect(response.status).toBe(202);
    const entries = (response.body as { batch: { runUrl: string; status: string }[] }).batch;
    expect(entries.filter((e) => e.status === 'QUEUED')).toHaveLength(1000);
    expect(
      await s.allStarted(
        entries.map((e) => e.runUrl),
        90_000,
      ),
    ).toEqual([]);
    expect((await s.executions('hookflow-inbound-echo')).length - before).toBe(1000);
  });

  /**
   * Issue 14: the inbound verifier's signing secret sits on an item of its own (INBOUNDVERIFIER), which only
   * POST /inbound may read; GET /inbound/runs reads the secret hashes on INBOUNDSECRET and nothing it could
   * sign with. An item in the older layout (verifier on INBOUNDSECRET) is refused, never skipped.
   */
  describe('the inbound verifier, set as an operator sets it', () => {
    let dynamodb: DynamoDBClient;
    // Async, not execFileSync: a blocked event loop misses the gateway closing an idle keep-alive connection,
    // and the next fetch on it fails with "other side closed".
    const setVerifier = (...args: string[]) =>
      execFileAsync(
        'npx',
        ['tsx', 'scripts/set-verifier.ts', '--table', 'hookflow-registry', '--registration', 'inbound', ...args],
        {
          cwd: join(__dirname, '..', '..'),
          encoding: 'utf8',
          env: {
            ...process.env,
            AWS_ENDPOINT_URL_DYNAMODB: s.stack.dynamodbEndpoint,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'local',
            AWS_SECRET_ACCESS_KEY: 'local',
          },
        },
      );
    const item = async (pk: string) => {
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: 'hookflow-registry', Key: marshall({ pk, sk: pk }), ConsistentRead: true }),
      );
      return Item === undefined ? undefined : unmarshall(Item);
    };
    const signed = (body: string, secret: string | undefined) =>
      request(`${s.stack.url}/inbound`, {
        method: 'POST',
        headers: {
          'inbound-webhook-secret': SECRET,
          'content-type': 'application/json',
          ...(secret === undefined
            ? {}
            : { 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` }),
        },
        body,
      });
    beforeAll(() => {
      dynamodb = new DynamoDBClient({ endpoint: s.stack.dynamodbEndpoint, region: 'us-east-1', credentials });
    });
    afterAll(async () => {
      await setVerifier('--remove');
      dynamodb?.destroy();
    });

    it('keeps the signing secret off the item GET /inbound/runs reads, and checks it on POST /inbound', async () => {
      const secret = 'inbound-github-secret-e2e-1';
      const body = JSON.stringify({ workflow: 'workflow name', uid: 'verifier-e2e-1' });

      await setVerifier('--kind', 'github', '--secret', secret);
      const unsigned = await signed(body, undefined);
      const accepted = await signed(body, secret);

      expect(unsigned.status).toBe(401);
      expect(accepted.status).toBe(202);
      expect((await item('INBOUNDVERIFIER'))?.verifier).toMatchObject({ secrets: { current: secret } });
      expect(await item('INBOUNDSECRET')).not.toHaveProperty('verifier');
      const runRef = `u_${Buffer.from('verifier-e2e-1').toString('base64url')}`;
      const status = await request(`${s.stack.url}/inbound/runs/${runRef}`, {
        headers: { 'inbound-webhook-secret': SECRET },
      });
      expect(status.status).toBe(200);
    });

    it('refuses (never skips) a verifier left on INBOUNDSECRET by the older layout, until set-verifier moves it', async () => {
      const own = await item('INBOUNDVERIFIER');
      await setVerifier('--remove');
      // What a deployment upgraded from the older layout holds: the verifier on INBOUNDSECRET, no INBOUNDVERIFIER.
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: 'hookflow-registry',
          Key: marshall({ pk: 'INBOUNDSECRET', sk: 'INBOUNDSECRET' }),
          UpdateExpression: 'SET verifier = :v',
          ExpressionAttributeValues: marshall({ ':v': own?.verifier }),
        }),
      );
      const body = JSON.stringify({ workflow: 'workflow name', uid: 'verifier-e2e-2' });

      const refused = await signed(body, undefined);
      await setVerifier('--rotate', '--secret', 'inbound-github-secret-e2e-2', '--overlap-seconds', '0');
      const unsignedAfter = await signed(body, undefined);
      const acceptedAfter = await signed(body, 'inbound-github-secret-e2e-2');

      expect(refused.status).toBe(500);
      expect(unsignedAfter.status).toBe(401);
      expect(acceptedAfter.status).toBe(202);
      expect(await item('INBOUNDSECRET')).not.toHaveProperty('verifier');
      expect((await item('INBOUNDVERIFIER'))?.verifier).toMatchObject({
        secrets: { current: 'inbound-github-secret-e2e-2' },
      });
    });
  });
});

describe('the fan-out worker under faults', () => {
  it('requeues records whose start was throttled, losing and doubling none', async () => {
    // The first 60 StartExecution calls are throttled: with the SDK's own 3 attempts, about 20 records find
    // the engine busy and are sent back to the queue, delayed (FANOUT_BUSY_BACKOFF_SECONDS), as new messages.
    // The SDK's backoff between those attempts takes seconds: the worker needs a Lambda timeout longer than the
    // other tests' 1 s, and so (Lambda requires it, local/sqs/event-source.ts) a queue visibility timeout as long.
    const s = await withStack({ HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '60', HOOKFLOW_FANOUT_VISIBILITY_SECONDS: '10' });
    try {
      const response = await s.post({
        workflow: 'workflow name',
        batch: Array.from({ length: 50 }, (_, i) => ({ uid: `t-${i}` })),
      });
      const entries = (response.body as { batch: { runUrl: string }[] }).batch;

      expect(await s.allStarted(entries.map((e) => e.runUrl))).toEqual([]);
      expect(s.stack.output()).toContain('fan-out item requeued: the engine is busy');
      const names = (await s.executions('hookflow-inbound-echo')).map((e) => e.name);
      expect(names).toHaveLength(50);
      expect(new Set(names).size).toBe(50);
    } finally {
      await s.stop();
    }
  });

  it('moves records that fail every attempt (their busy requeues spent) to the dead-letter queue', async () => {
    const s = await withStack({
      HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '100000',
      HOOKFLOW_FANOUT_MAX_RECEIVE_COUNT: '2',
      FANOUT_BUSY_REQUEUES: '1',
      FANOUT_BUSY_BACKOFF_SECONDS: '1',
    });
    const sqs = new SQSClient({ endpoint: s.stack.sqsEndpoint, region: 'us-east-1', credentials });
    try {
      await s.post({ workflow: 'workflow name', batch: [{ uid: 'dead-1' }, { uid: 'dead-2' }] });

      // Read without deleting: a message read once becomes visible again after the queue's visibility timeout, and
      // SQS delivers at least once, so the same item may be read twice. What counts is that each item is there.
      const dead = new Set<string>();
      const deadline = Date.now() + 30_000;
      while (dead.size < 2 && Date.now() < deadline) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: s.stack.deadLetterQueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        for (const m of Messages) dead.add((JSON.parse(m.Body!) as { runRef: string }).runRef);
      }
      expect([...dead].sort()).toEqual(['u_ZGVhZC0x', 'u_ZGVhZC0y']);
      expect(await s.executions('hookflow-inbound-echo')).toHaveLength(0);
    } finally {
      sqs.destroy();
      await s.stop();
    }
  });
});
