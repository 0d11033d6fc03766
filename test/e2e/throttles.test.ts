import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type HttpResult, removeDataDir, request, startLocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

/**
 * What a sender sees at each AWS quota (issue 18 item 6; docs/scale.md, "What a sender sees at each limit"), on
 * one local stack with every quota injected through HOOKFLOW_LOCAL_THROTTLE (local/throttles.ts). Each quota
 * binds on traffic of its own (its route, function, operation, partition), so the cases stay independent. Per
 * quota: requests over the limit get the answer AWS (or hookflow) gives, and a sender that retries as told
 * ends with exactly one run per request: nothing refused started anything, nothing accepted is lost.
 *
 * AWS_MAX_ATTEMPTS=1 spends the SDK's retries at once (AWS's default is 3 attempts with backoff): the answers
 * are those left after the retries, reached with fewer requests; never kinder than AWS.
 */
const THROTTLES = [
  'gateway:POST /flows/{flowId}/trigger=2/s:2',
  'lambda:event-webhook=1',
  'sfn:StartSyncExecution=2/s:2',
  'sfn:DescribeExecution=1/s:1',
  'sfn:open=1',
  'dynamodb:inbound#uid#hot=10/s:3',
  'sqs:SendMessageBatch=1/s:1',
].join(',');

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const INBOUND = { 'inbound-webhook-secret': 'hf_local_inbound_secret', 'content-type': 'application/json' };

/**
 * A sender that retries what a throttle answers (429, 503, and the 500 API Gateway gives for a throttled
 * Lambda) as AWS advises, with exponential backoff and jitter [sdk-retry in docs/scale.md]: Retry-After (else
 * 250 ms) doubled per attempt up to 4x, times 0.5-1.5. A fixed delay is not enough: six duplicates of one uid
 * retrying every Retry-After (jittered) kept a partition of 4/s busy with refused requests, each of which
 * spends a token on its claim before its read is refused. Every refusal is kept for the assertions.
 */
async function sendUntilAccepted(call: () => Promise<HttpResult>, refusals: HttpResult[]): Promise<HttpResult> {
  for (let attempt = 0; ; attempt++) {
    const response = await call();
    if (response.status < 300 || ![429, 500, 503].includes(response.status) || attempt === 20) return response;
    refusals.push(response);
    const retryAfter = response.headers.get('retry-after');
    const base = retryAfter === null ? 250 : Number(retryAfter) * 1000;
    await sleep(base * 2 ** Math.min(attempt, 2) * (0.5 + Math.random()));
  }
}

describe('throttles (issue 18): at each AWS quota the sender sees 429 or 503 (500 for Lambda), and nothing is lost', () => {
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  let sfn: SFNClient;
  const runs = async (machine: string) => {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn(machine), maxResults: 1000 }));
    return page.executions ?? [];
  };

  beforeAll(async () => {
    stack = await startLocalStack({
      env: { HOOKFLOW_LOCAL_THROTTLE: THROTTLES, AWS_MAX_ATTEMPTS: '1', HOOKFLOW_FANOUT_VISIBILITY_SECONDS: '1' },
    });
    sfn = new SFNClient({ endpoint: stack.sfnEndpoint, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    sfn?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  it('route throttle: API Gateway answers 429 {"message":"Too Many Requests"} itself; each retried request runs once', async () => {
    // Arrange
    const before = (await runs('hookflow-echo')).length;
    const refusals: HttpResult[] = [];
    const trigger = (key: string) => () =>
      request(`${stack.url}/flows/hello/trigger`, {
        method: 'POST',
        headers: { authorization: 'Bearer hf_local_dev_key', 'idempotency-key': key },
        body: '{}',
      });

    // Act: six at once against a bucket of 2
    const answers = await Promise.all(
      ['g-1', 'g-2', 'g-3', 'g-4', 'g-5', 'g-6'].map((k) => sendUntilAccepted(trigger(k), refusals)),
    );

    // Assert
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ status: 429, body: { message: 'Too Many Requests' } });
      expect(refusal.headers.get('retry-after')).toBeNull(); // API Gateway documents none: neither do we
    }
    const links = new Set(answers.map((a) => (a.body as { executionLink: string }).executionLink));
    expect(links.size).toBe(6);
    expect((await runs('hookflow-echo')).length - before).toBe(6);
  });

  it('Lambda concurrency: API Gateway answers 500 {"message":"Internal server error"}, the function never ran; a retry runs once', async () => {
    // Arrange
    const before = (await runs('hookflow-event-echo')).length;
    const refusals: HttpResult[] = [];
    const deliver = (key: string) => () =>
      request(`${stack.url}/api/v2/webhook?ref=order-echo`, {
        method: 'POST',
        headers: { 'idempotency-key': key },
        body: '{}',
      });

    // Act: six at once against a reserved concurrency of 1
    const answers = await Promise.all(
      ['l-1', 'l-2', 'l-3', 'l-4', 'l-5', 'l-6'].map((k) => sendUntilAccepted(deliver(k), refusals)),
    );

    // Assert
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ status: 500, body: { message: 'Internal server error' } });
    }
    expect((await runs('hookflow-event-echo')).length - before).toBe(6);
    expect(stack.output()).toMatch(/hookflow-event-webhook: Rate Exceeded/);
  });

  it('StartSyncExecution throttled: hookflow answers 503 with Retry-After, nothing started; the retry runs once', async () => {
    // Arrange
    const before = (await runs('hookflow-echo')).length;
    const refusals: HttpResult[] = [];
    const call = () => request(`${stack.url}/webhook/myclient/open`, { method: 'POST', body: '{"n":1}' });

    // Act: six synchronous runs at once against a bucket of 2
    const answers = await Promise.all(Array.from({ length: 6 }, () => sendUntilAccepted(call, refusals)));

    // Assert
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ status: 503, body: { error: expect.stringMatching(/nothing was started/) } });
      expect(refusal.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    expect((await runs('hookflow-echo')).length - before).toBe(6);
  });

  it('open Standard executions (ExecutionLimitExceeded): 503 with Retry-After, nothing started; once one ends the retry starts one run', async () => {
    // Arrange: one Standard run of 3 s holds the only open slot
    const holder = await request(`${stack.url}/webhook/myclient/slow-standard?async`, { method: 'POST', body: '{}' });
    expect(holder.status).toBe(202);
    const refusals: HttpResult[] = [];
    const deliver = () =>
      request(`${stack.url}/inbound`, {
        method: 'POST',
        headers: INBOUND,
        body: JSON.stringify({ workflow: 'alternative workflow', uid: 'open-1' }),
      });

    // Act
    const first = await deliver();
    const startedWhileRefused = (await runs('hookflow-inbound-echo-standard')).length;
    const accepted = await sendUntilAccepted(deliver, refusals);

    // Assert
    expect(first).toMatchObject({ status: 503, body: { error: expect.stringMatching(/nothing was started/) } });
    expect(first.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(startedWhileRefused).toBe(0);
    expect(accepted.status).toBe(202);
    expect((await runs('hookflow-inbound-echo-standard')).length).toBe(1);
  });

  it('a hot DynamoDB partition (an accepted uid redelivered six times at once): 503 with Retry-After; every retry finds the one run', async () => {
    // Arrange: the first delivery is accepted on its own (its claim and its completion: 2 of the 3 tokens). A
    // workflow that rejects when busy (`whenBusy: "reject"`): one that queues would keep each refused redelivery
    // instead (202 `queued`, docs/deliveries.md), which test/e2e/queue-when-busy.test.ts covers.
    const before = (await runs('hookflow-inbound-echo-standard')).length;
    const refusals: HttpResult[] = [];
    const deliver = () =>
      request(`${stack.url}/inbound`, {
        method: 'POST',
        headers: INBOUND,
        body: JSON.stringify({ workflow: 'alternative workflow', uid: 'hot' }),
      });
    const first = await sendUntilAccepted(deliver, refusals);
    const run = (first.body as { executionId: string }).executionId;

    // Act: a redelivery storm; each redelivery makes two calls on the partition (the claim, the read)
    const answers = await Promise.all(Array.from({ length: 6 }, () => sendUntilAccepted(deliver, refusals)));

    // Assert
    expect(first.status).toBe(202);
    expect(
      answers.map((a) => [
        a.status,
        a.headers.get('idempotent-replayed'),
        (a.body as { executionId: string }).executionId,
      ]),
    ).toEqual(Array.from({ length: 6 }, () => [202, 'true', run]));
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({
        status: 503,
        body: { error: 'the registry or dedupe store is busy; retry shortly' },
      });
      expect(refusal.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    expect((await runs('hookflow-inbound-echo-standard')).length - before).toBe(1);
  });

  it('SendMessageBatch throttled: 503 naming the NOT_QUEUED items; resending those runs every item once', async () => {
    // Arrange: 15 items are two SendMessageBatch calls, against a bucket of 1
    const before = (await runs('hookflow-inbound-echo')).length;
    const uids = Array.from({ length: 15 }, (_, i) => `batch-${i}`);
    const send = (items: string[]) =>
      request(`${stack.url}/inbound`, {
        method: 'POST',
        headers: INBOUND,
        body: JSON.stringify({ workflow: 'workflow name', batch: items.map((uid) => ({ uid })) }),
      });

    // Act
    const first = await send(uids);
    const entries = (first.body as { batch: { uid: string; status: string }[] }).batch;
    const notQueued = entries.filter((e) => e.status === 'NOT_QUEUED').map((e) => e.uid);
    await sleep(Number(first.headers.get('retry-after') ?? 1) * 1000);
    const refusals: HttpResult[] = [];
    const resent = await sendUntilAccepted(() => send(notQueued), refusals);

    // Assert
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(notQueued.length).toBeGreaterThan(0);
    expect(entries.filter((e) => e.status === 'QUEUED').length + notQueued.length).toBe(15);
    expect(resent.status).toBe(202);
    // The fan-out worker starts each queued item: 15 runs, no more, no fewer.
    const deadline = Date.now() + 20_000;
    while ((await runs('hookflow-inbound-echo')).length - before < 15 && Date.now() < deadline) await sleep(250);
    expect((await runs('hookflow-inbound-echo')).length - before).toBe(15);
  });

  it('DescribeExecution throttled while a synchronous Standard call waits: 202 RUNNING with its one run, not the result', async () => {
    // Arrange: a Standard run of 3 s, polled every 100-1,000 ms against a bucket of 1 at 1/s
    const before = (await runs('hookflow-slow-standard')).length;

    // Act
    const response = await request(`${stack.url}/webhook/myclient/slow-standard`, { method: 'POST', body: '{}' });

    // Assert
    expect(response).toMatchObject({
      status: 202,
      body: { status: 'RUNNING', executionId: expect.stringContaining(':execution:hookflow-slow-standard:') },
    });
    const started = await runs('hookflow-slow-standard');
    expect(started.length - before).toBe(1);
    expect(started.map((e) => e.executionArn)).toContain((response.body as { executionId: string }).executionId);
  });
});

describe('HOOKFLOW_LOCAL_THROTTLE it cannot read', () => {
  it('stops the start before anything runs, naming the setting and the entry', async () => {
    // Arrange
    const root = resolve(__dirname, '..', '..');
    const dataDir = mkdtempSync(join(tmpdir(), 'hookflow-throttle-'));
    const child = spawn(
      join(root, 'node_modules', '.bin', 'node'),
      ['--import', 'tsx', 'local/start.ts', '--port', '0', '--data-dir', dataDir],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOOKFLOW_LOCAL_THROTTLE: 'lambda=fast' } },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

    // Act
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    rmSync(dataDir, { recursive: true, force: true });

    // Assert
    expect(code).toBe(1);
    expect(output).toContain('refusing to start: HOOKFLOW_LOCAL_THROTTLE: "lambda=fast" needs a whole number');
    expect(output).not.toContain('DynamoDB');
  });
});
