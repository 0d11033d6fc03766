import { DescribeExecutionCommand, SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cutShortAtDeadline, invocationDeadline } from '../../../functions/adapters/aws/invocation-deadline';
import { SfnWorkflowEngine } from '../../../functions/adapters/aws/sfn-engine';
import { EngineBusyError } from '../../../functions/core/outcomes';

/**
 * The sync start's attempt watch is one middleware on the client, shared by every request, in a client that
 * resolves its middleware stack once per command class (`cacheMiddleware`, as functions/adapters/aws/clients.ts
 * builds them). Each start must still get its own outcome: a start whose attempts were all throttled is busy
 * (nothing started, 503), a start Step Functions accepted and that outlasts the wait is RUNNING, even when the
 * two are in flight together through the same client and the same stack.
 */
describe('SfnWorkflowEngine.startSync through a cached middleware stack', () => {
  let server: Server;
  let calls: Record<string, number>;
  let cut: Record<string, Promise<void>>;

  beforeEach(async () => {
    calls = {};
    cut = {};
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name?: string; executionArn?: string };
        const key = body.name ?? 'describe';
        calls[key] = (calls[key] ?? 0) + 1;
        if (body.executionArn !== undefined) {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ executionArn: body.executionArn, status: 'SUCCEEDED', startDate: 1 }));
          return;
        }
        if (body.name === 'done') {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ executionArn: 'arn:x', status: 'SUCCEEDED', startDate: 1, stopDate: 2 }));
          return;
        }
        if (body.name === 'accepted') {
          // Running: the answer comes when the run ends; the connection closes only if the caller cuts it.
          cut.accepted = new Promise((resolve) => res.on('close', () => resolve()));
          return;
        }
        if (body.name === 'failed-then-throttled' && calls[key] === 1) {
          // A 5xx: Step Functions' InternalFailure, which says nothing of whether the run started.
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'InternalFailure', message: 'internal' }));
          return;
        }
        // StartSyncExecution's refusal: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.swf.service.v2.model#ThrottlingException',
            message: 'Rate exceeded',
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const cachedClient = () =>
    new SFNClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      disableHostPrefix: true,
      maxAttempts: 10,
      cacheMiddleware: true,
    });
  const start = (name: string) => ({
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:orders',
    workflowType: 'EXPRESS' as const,
    name,
    input: {},
  });

  it('gives two concurrent starts on one client their own outcome: throttled is busy, accepted is RUNNING', async () => {
    const client = cachedClient();
    const engine = new SfnWorkflowEngine(client);
    // A plain call first, so the client has cached a resolved stack before the sync starts.
    await client.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:1:execution:o:x' }));

    const [throttled, accepted] = await Promise.allSettled([
      engine.startSync(start('throttled'), 1_200),
      engine.startSync(start('accepted'), 600),
    ]);

    expect(throttled.status).toBe('rejected');
    expect((throttled as PromiseRejectedResult).reason).toBeInstanceOf(EngineBusyError);
    expect(accepted).toEqual({ status: 'fulfilled', value: { name: 'accepted', status: 'RUNNING' } });
    expect(calls.throttled).toBeGreaterThan(1);
    expect(calls.accepted).toBe(1);
    client.destroy();
  });

  it('takes a start whose first attempt got a 500 for one that may have started, though every later one was throttled', async () => {
    // Arrange
    const client = cachedClient();
    const engine = new SfnWorkflowEngine(client);

    // Act: the wait runs out while the SDK is still retrying the throttles.
    const outcome = await engine.startSync(start('failed-then-throttled'), 1_200);

    // Assert: RUNNING (the claim stays, a retry finds the run), not "busy, nothing started".
    expect(outcome).toEqual({ name: 'failed-then-throttled', status: 'RUNNING' });
    expect(calls['failed-then-throttled']).toBeGreaterThan(1);
    client.destroy();
  });

  it('sends sync starts through the client’s cached stack, and the abort still cuts the attempt’s connection', async () => {
    const client = cachedClient();
    const engine = new SfnWorkflowEngine(client);
    const resolved = jest.spyOn(StartSyncExecutionCommand.prototype, 'resolveMiddleware');

    const first = await engine.startSync(start('done'), 5_000);
    const second = await engine.startSync(start('done'), 5_000);
    const running = await engine.startSync(start('accepted'), 300);

    expect([first.status, second.status, running.status]).toEqual(['SUCCEEDED', 'SUCCEEDED', 'RUNNING']);
    // Resolved once for the class, then reused: no per-call options, which the SDK resolves call by call.
    expect(resolved).toHaveBeenCalledTimes(1);
    await expect(cut.accepted).resolves.toBeUndefined();
    resolved.mockRestore();
    client.destroy();
  });

  // Both adjust what the client's HTTP handler applies to an attempt (functions/adapters/aws/attempt-options.ts): the
  // start's own signal must not replace the deadline's, nor the deadline's the start's, whichever came first.
  it.each(['the deadline', 'the attempt watch'])(
    "cuts a sync start's attempt at the invocation's deadline, %s added to the client first",
    async (first) => {
      // Arrange
      const client = cachedClient();
      if (first === 'the deadline') cutShortAtDeadline(client);
      const engine = new SfnWorkflowEngine(client);
      cutShortAtDeadline(client);

      // Act: the start would wait 20 s for its run; the invocation's deadline is 200 ms away.
      const outcome = await invocationDeadline.within(Date.now() + 200, () =>
        engine.startSync(start('accepted'), 20_000),
      );
      const connection = await Promise.race([
        cut.accepted!.then(() => 'cut'),
        new Promise((resolve) => setTimeout(() => resolve('still open'), 3_000)),
      ]);

      // Assert
      expect(outcome).toEqual({ done: false });
      expect(connection).toBe('cut');
      client.destroy();
    },
  );

  it('adds the watch to a client once, however many engines share it, and plain calls pass it untouched', async () => {
    const client = cachedClient();
    new SfnWorkflowEngine(client);
    new SfnWorkflowEngine(client);

    const described = await new SfnWorkflowEngine(client).describe('arn:aws:states:us-east-1:1:execution:o:y');

    expect(
      client.middlewareStack.identify().filter((name) => name.startsWith('hookflowSyncAttemptOutcome')),
    ).toHaveLength(1);
    expect(described.status).toBe('SUCCEEDED');
    client.destroy();
  });
});
