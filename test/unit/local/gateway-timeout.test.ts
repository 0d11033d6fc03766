import type { Server } from 'node:http';
import type { Context } from 'aws-lambda';
import { type LambdaHandler, startGateway } from '../../../local/gateway/server';

/**
 * The local gateway ends an invocation at its function's Lambda timeout, as Lambda does, and answers as an HTTP
 * API answers a Lambda integration's error: 500 `{"message":"Internal Server Error"}`, without Retry-After
 * (local/gateway/server.ts cites both pages). Until then the handler's context counts its remaining time down.
 */
describe('the local gateway: Lambda timeouts', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      ),
    );
  });

  async function gatewayFor(handler: LambdaHandler, timeoutMs?: number): Promise<string> {
    const gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      lambdaRoutes: [
        {
          method: 'POST',
          path: '/work',
          target: { functionName: 'hookflow-work', handler, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
        },
      ],
      localRoutes: [],
    });
    servers.push(gateway.server);
    gateway.open();
    return `${gateway.url}/work`;
  }

  it('answers 500 as API Gateway does once a handler runs past its timeout, and says so on stderr', async () => {
    // Arrange
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const url = await gatewayFor(() => new Promise(() => undefined), 300);
    const sentAt = Date.now();

    // Act
    const response = await fetch(url, { method: 'POST', body: '{}' });

    // Assert
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    expect(response.headers.get('retry-after')).toBeNull();
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(300);
    expect(stderr).toHaveBeenCalledWith('hookflow-work: Task timed out after 0.30 seconds\n');
  });

  it('hands the handler a context whose remaining time counts down from the timeout', async () => {
    // Arrange
    const remaining: number[] = [];
    const url = await gatewayFor(async (_event, context: Context) => {
      remaining.push(context.getRemainingTimeInMillis());
      await new Promise((done) => setTimeout(done, 100));
      remaining.push(context.getRemainingTimeInMillis());
      return { statusCode: 202, body: '{"ok":true}' };
    }, 2_000);

    // Act
    const response = await fetch(url, { method: 'POST', body: '{}' });

    // Assert
    expect(response.status).toBe(202);
    expect(remaining[0]).toBeLessThanOrEqual(2_000);
    expect(remaining[0]).toBeGreaterThan(1_500);
    expect(remaining[0]! - remaining[1]!).toBeGreaterThanOrEqual(90);
  });

  it('drops the outcome of an invocation it has ended: a later failure is no unhandled rejection', async () => {
    // Arrange
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    let failLate!: () => void;
    const failed = new Promise<void>((done) => (failLate = done));
    const url = await gatewayFor(
      () =>
        new Promise((_, reject) =>
          setTimeout(() => {
            reject(new Error('the work went on and failed'));
            failLate();
          }, 300),
        ),
      100,
    );

    // Act
    const response = await fetch(url, { method: 'POST', body: '{}' });
    await failed;
    await new Promise((done) => setImmediate(done));
    process.off('unhandledRejection', unhandled);

    // Assert
    expect(response.status).toBe(500);
    expect(unhandled).not.toHaveBeenCalled();
  });

  it('lets a handler without a timeout take as long as it takes', async () => {
    // Arrange
    const url = await gatewayFor(async () => {
      await new Promise((done) => setTimeout(done, 300));
      return { statusCode: 200, body: '{"done":true}' };
    });

    // Act
    const response = await fetch(url, { method: 'POST', body: '{}' });

    // Assert
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
  });
});
