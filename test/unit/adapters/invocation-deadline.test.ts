import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CACHE_MIDDLEWARE } from '../../../functions/adapters/aws/clients';
import {
  cutShortAtDeadline,
  invocationDeadline,
  outsideDeadline,
} from '../../../functions/adapters/aws/invocation-deadline';
import { TtlCache } from '../../../functions/core/registry-cache';

/**
 * An invocation's deadline, as its AWS calls see it (functions/adapters/aws/invocation-deadline.ts; docs/scale.md,
 * gap 9): at the deadline the request in flight is aborted and every later attempt or call of that invocation is
 * refused unsent, so nothing the answered request left behind lands when Lambda thaws the environment for the
 * next one. Calls outside a deadline, and another invocation's calls in the same process, go on untouched. A real
 * SDK client, built as functions/adapters/aws/clients.ts builds its clients, against an endpoint that answers
 * each request as the test says.
 */
describe('the invocation deadline: AWS calls cut short', () => {
  const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
  let server: Server;
  let client: DynamoDBClient;
  /** Every request the endpoint got: when, and whether its client went away before an answer. */
  let seen: { at: number; closedEarly: boolean }[] = [];
  let answer: (request: IncomingMessage, response: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const entry = { at: Date.now(), closedEarly: false };
      seen.push(entry);
      request.resume();
      response.on('close', () => (entry.closedEarly = !response.writableEnded));
      answer(request, response);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    client = cutShortAtDeadline(
      new DynamoDBClient({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        cacheMiddleware: CACHE_MIDDLEWARE,
        // Two attempts: after a throttle the SDK waits up to 1 s before the second (its 2026 defaults).
        maxAttempts: 2,
        requestHandler: { requestTimeout: 10_000, throwOnRequestTimeout: true },
      }),
    );
  });
  afterAll(async () => {
    client.destroy();
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });
  beforeEach(() => {
    seen = [];
  });

  const getItem = () =>
    client.send(new GetItemCommand({ TableName: 'hookflow-dedupe', Key: { pk: { S: 'claim#key' } } }));
  const answerAfter = (ms: number) => (_request: IncomingMessage, response: ServerResponse) =>
    setTimeout(() => {
      if (response.destroyed) return;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{"Item":{"pk":{"S":"claim#key"}}}');
    }, ms);

  it('aborts the call in flight at the deadline and answers that the deadline came first', async () => {
    // Arrange: the endpoint never answers
    answer = () => undefined;
    const startedAt = Date.now();

    // Act
    const outcome = await invocationDeadline.within(startedAt + 200, getItem);
    await sleep(100);

    // Assert
    expect(outcome).toEqual({ done: false });
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.closedEarly).toBe(true);
  });

  it('refuses, unsent, a call the work makes after its deadline', async () => {
    // Arrange
    answer = answerAfter(0);
    let late: unknown;

    // Act
    const outcome = await invocationDeadline.within(Date.now() + 50, async () => {
      await sleep(200);
      return getItem().catch((error: unknown) => {
        late = error;
        throw error;
      });
    });
    await sleep(300);

    // Assert
    expect(outcome).toEqual({ done: false });
    expect(seen).toHaveLength(0);
    expect(late).toMatchObject({ name: 'AbortError' });
  });

  it("refuses an SDK retry that comes after the deadline: the throttled call's next attempts are never sent", async () => {
    // Arrange: every attempt throttled; the SDK waits up to 1 s before the second
    answer = (_request, response) => {
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"}');
    };
    const deadline = Date.now() + 20;

    // Act
    const outcome = await invocationDeadline.within(deadline, getItem);
    await sleep(1_200);

    // Assert: only what was sent before the deadline reached the endpoint
    expect(outcome).toEqual({ done: false });
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.filter((request) => request.at > deadline)).toEqual([]);
  });

  it("cuts only its own invocation's calls: another invocation in the same process gets its answer", async () => {
    // Arrange: every answer after 300 ms
    answer = answerAfter(300);

    // Act
    const [short, long] = await Promise.all([
      invocationDeadline.within(Date.now() + 100, getItem),
      invocationDeadline.within(Date.now() + 5_000, getItem),
    ]);

    // Assert
    expect(short).toEqual({ done: false });
    expect(long).toMatchObject({ done: true, value: { Item: { pk: { S: 'claim#key' } } } });
  });

  it.each([
    ['shared outside the deadline (outsideDeadline, as wired)', outsideDeadline, { done: true }],
    ['left in the request that started it', undefined, { done: false }],
  ])(
    "a registry read two requests share, %s: one request's deadline cuts it short for the other or not",
    async (_case, detach, second) => {
      // Arrange: one cached read, answered after 300 ms, joined by a second request while in flight
      answer = answerAfter(300);
      const cache = new TtlCache({ ttlMs: 5_000, ...(detach === undefined ? {} : { detach }) });
      const read = () => cache.get('FLOW#hello', getItem);

      // Act
      const [short, long] = await Promise.all([
        invocationDeadline.within(Date.now() + 100, read),
        invocationDeadline.within(Date.now() + 5_000, () => read().catch(() => 'cut')),
      ]);

      // Assert
      expect(short).toEqual({ done: false });
      expect(long).toMatchObject(
        second.done ? { done: true, value: { Item: { pk: { S: 'claim#key' } } } } : { done: true, value: 'cut' },
      );
      expect(seen).toHaveLength(1);
    },
  );

  it('leaves a call made outside any deadline as it came', async () => {
    // Arrange
    answer = answerAfter(300);

    // Act
    const output = await getItem();

    // Assert
    expect(output.Item).toEqual({ pk: { S: 'claim#key' } });
    expect(seen).toEqual([{ at: expect.any(Number), closedEarly: false }]);
  });
});
