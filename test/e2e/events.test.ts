import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { execFileSync } from 'node:child_process';
import {
  type RunningStack,
  readWaitItem,
  removeDataDir,
  startLocalStack,
  untilWaiting,
  waitForExecution,
} from '../support/local-stack';

jest.setTimeout(60_000);

/** Seed 3 (events and callbacks) against the local stack, driven with curl and fetch like a third party. */
describe('events and callbacks on the local stack (seed 3)', () => {
  let stack: RunningStack;
  let dynamodb: DynamoDBClient;
  beforeAll(async () => {
    stack = await startLocalStack();
    dynamodb = new DynamoDBClient({
      endpoint: stack.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    dynamodb?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  const api = (path: string) => `${stack.url}/api/v2/${path}`;
  const curl = (...args: string[]) => {
    const out = execFileSync('curl', ['-s', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' });
    const lines = out.trimEnd().split('\n');
    const status = Number(lines.pop());
    const text = lines.join('\n');
    return { status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
  };
  /** Starts an approval run and waits until its task has stored its token (the execution is waiting). */
  const startApproval = async (ref = 'approval') => {
    const started = curl(
      '-X',
      'POST',
      api(`webhook?ref=${ref}`),
      '-H',
      'Content-Type: application/json; charset=utf-8',
      '-d',
      '{"order":7}',
    );
    expect(started.status).toBe(202);
    const runRef = String(started.body!.runRef);
    // The run stores its task token a moment after it starts; a callback before that would find nothing (404).
    await untilWaiting(dynamodb, runRef, 'approval');
    return { runRef, link: String(started.body!.executionLink) };
  };

  it('start -> waits -> POST callback -> SUCCEEDED with the callback payload in its output', async () => {
    const { runRef, link } = await startApproval();
    expect((await waitForExecution(link, 300)).status).toBe('RUNNING');

    const callback = curl(
      '-X',
      'POST',
      `${api('callback')}?ref=${runRef}&topic=approval`,
      '-H',
      'Content-Type: application/json;charset=utf-8',
      '-d',
      '{"approvedBy":"kevin"}',
    );

    expect(callback).toEqual({ status: 204, body: undefined });
    expect(await waitForExecution(link)).toMatchObject({
      status: 'SUCCEEDED',
      output: { payload: { order: 7 }, approval: { approvedBy: 'kevin' } },
    });
  });

  it('resumes with GET, and answers 409 to a second callback', async () => {
    const { runRef, link } = await startApproval();

    const first = curl(`${api('callback')}?ref=${runRef}&topic=approval&decision=yes`);
    const second = curl(`${api('callback')}?ref=${runRef}&topic=approval`);

    expect(first.status).toBe(204);
    expect(second).toMatchObject({ status: 409, body: { error: expect.stringContaining('already resumed') } });
    expect(await waitForExecution(link)).toMatchObject({
      status: 'SUCCEEDED',
      output: { approval: { decision: 'yes' } },
    });
  });

  it('fails the run with the callback error for status=failed', async () => {
    const { runRef, link } = await startApproval();

    const callback = curl(
      '-X',
      'POST',
      `${api('callback')}?ref=${runRef}&topic=approval&status=FAILED`,
      '-d',
      '{"error":"Approval.Denied","cause":"over budget"}',
    );

    expect(callback.status).toBe(204);
    expect(await waitForExecution(link)).toMatchObject({
      status: 'FAILED',
      error: 'Approval.Denied',
      cause: 'over budget',
    });
  });

  it('keeps a callback for a ref nothing waits on yet (202), and answers 410 once the task has timed out', async () => {
    const { runRef, link } = await startApproval('approval-short');

    expect(curl(`${api('callback')}?ref=nope&topic=approval`)).toMatchObject({
      status: 202,
      body: { status: 'KEPT', ref: 'nope', topic: 'approval', expiresAt: expect.any(String) },
    });
    expect(curl(`${api('callback')}?ref=nope&topic=approval&eventId=other`)).toMatchObject({ status: 409 });
    expect(await waitForExecution(link, 10_000)).toMatchObject({
      status: 'FAILED',
      error: 'Callback.TimedOut',
      cause: 'no callback on topic "approval" within 2 s',
    });
    expect(curl(`${api('callback')}?ref=${runRef}&topic=approval`)).toMatchObject({
      status: 410,
      body: { error: expect.stringContaining('expired') },
    });
  });

  it('writes the wait item through the wait-for-event function, with its TTL: timeout (3600 s) plus a day', async () => {
    const { runRef } = await startApproval();

    const Item = await readWaitItem(dynamodb, runRef, 'approval');

    expect(Item).toMatchObject({
      status: { S: 'WAITING' },
      timeoutSeconds: { N: '3600' },
      expiresAt: { N: expect.any(String) },
    });
    const stored = Math.floor(Date.parse(Item!.enteredTime!.S!) / 1000);
    expect(Number(Item!.expiresAt!.N)).toBe(stored + 3600 + 86_400);
    expect(Item!.executionArn!.S).toContain(`:execution:hookflow-approval:${runRef}`);
  });

  /** Starts approval-later, which prepares a second before it waits: a callback sent now arrives early. */
  const startLater = () => {
    const started = curl(
      '-X',
      'POST',
      api('webhook?ref=approval-later'),
      '-H',
      'Content-Type: application/json',
      '-d',
      '{}',
    );
    expect(started.status).toBe(202);
    return { runRef: String(started.body!.runRef), link: String(started.body!.executionLink) };
  };

  it('delivers a callback that arrived before the run waited, when the wait begins (not lost)', async () => {
    const { runRef, link } = startLater();
    const early = curl(
      '-X',
      'POST',
      `${api('callback')}?ref=${runRef}&topic=approval`,
      '-H',
      'Idempotency-Key: approval-1',
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"approvedBy":"kevin"}',
    );
    expect(early).toMatchObject({ status: 202, body: { status: 'KEPT' } });
    const execution = await waitForExecution(link, 10_000);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toMatchObject({ approval: { approvedBy: 'kevin' } });
    // the same callback again: the first one's result, nothing resumed twice; another callback: 409
    const again = curl('-X', 'POST', `${api('callback')}?ref=${runRef}&topic=approval&eventId=approval-1`, '-d', '{}');
    expect(again.status).toBe(204);
    expect(curl(`${api('callback')}?ref=${runRef}&topic=approval`).status).toBe(409);
  });

  it('fails the run with Callback.Failed when the early callback reported failure', async () => {
    const { runRef, link } = startLater();
    expect(curl(`${api('callback')}?ref=${runRef}&topic=approval&status=failed`).status).toBe(202);
    expect(await waitForExecution(link, 10_000)).toMatchObject({ status: 'FAILED', error: 'Callback.Failed' });
  });

  it('resumes once for a repeated callback id while the task waits', async () => {
    const { runRef, link } = await startApproval();
    const send = () =>
      curl(
        '-X',
        'POST',
        `${api('callback')}?ref=${runRef}&topic=approval`,
        '-H',
        'Idempotency-Key: cb-42',
        '-d',
        '{"n":1}',
      );
    expect(send().status).toBe(204);
    expect(send().status).toBe(204);
    expect((await waitForExecution(link, 5_000)).status).toBe('SUCCEEDED');
  });

  it('starts the subscribers of a structured CloudEvent', async () => {
    const response = curl(
      '-X',
      'POST',
      api('event'),
      '-H',
      'Content-Type: application/cloudevents+json; charset=utf-8',
      '-d',
      '{"specversion":"1.0","id":"order-1","source":"/shop","type":"com.example.order.created","data":{"order":1}}',
    );

    expect(response.status).toBe(202);
    const [outcome] = response.body!.events as { started: { workflow: string; executionLink: string }[] }[];
    expect(outcome!.started.map((s) => s.workflow)).toEqual(['order-echo']);
    expect(await waitForExecution(outcome!.started[0]!.executionLink)).toMatchObject({
      status: 'SUCCEEDED',
      output: { event: { id: 'order-1', source: '/shop', data: { order: 1 } } },
    });
  });

  it('takes binary mode (ce-* headers) and batch mode', async () => {
    const binary = curl(
      '-X',
      'POST',
      api('event'),
      '-H',
      'Content-Type: application/json',
      '-H',
      'ce-specversion: 1.0',
      '-H',
      'ce-id: order-2',
      '-H',
      'ce-source: /shop',
      '-H',
      'ce-type: com.example.order.created',
      '-d',
      '{"order":2}',
    );
    const batch = curl(
      '-X',
      'POST',
      api('event'),
      '-H',
      'Content-Type: application/cloudevents-batch+json',
      '-d',
      JSON.stringify(
        [3, 4].map((n) => ({
          specversion: '1.0',
          id: `order-${n}`,
          source: '/shop',
          type: 'com.example.order.created',
          data: { order: n },
        })),
      ),
    );

    expect(binary.status).toBe(202);
    expect((binary.body!.events as { started: unknown[] }[])[0]!.started).toHaveLength(1);
    expect(batch.status).toBe(202);
    expect((batch.body!.events as { id: string }[]).map((e) => e.id)).toEqual(['order-3', 'order-4']);
  });

  it("resumes a waiting run with an event of the task's topic, the event as its output", async () => {
    const { runRef, link } = await startApproval();

    const response = curl(
      '-X',
      'POST',
      `${api('event')}?ref=${runRef}`,
      '-H',
      'Content-Type: application/cloudevents+json;charset=utf-8',
      '-d',
      '{"specversion":"1.0","id":"approve-1","source":"/approvals","type":"approval","data":{"ok":true}}',
    );

    expect(response.status).toBe(202);
    expect((response.body!.events as { resumed: boolean }[])[0]!.resumed).toBe(true);
    expect(await waitForExecution(link)).toMatchObject({
      status: 'SUCCEEDED',
      output: { approval: { id: 'approve-1', data: { ok: true } } },
    });
  });

  it('answers 400 naming what is wrong with an invalid event', () => {
    const response = curl(
      '-X',
      'POST',
      api('event'),
      '-H',
      'Content-Type: application/cloudevents+json',
      '-d',
      '{"specversion":"1.0","id":"x","source":"/s"}',
    );

    expect(response).toMatchObject({ status: 400, body: { error: expect.stringContaining('lacks type') } });
  });
});
