import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The retries the handlers' clients make, as the bundled SDK resolves them. hookflow sets no retry option: it takes
 * the SDK's standard mode, whose 2026 defaults (aws/aws-sdk-js-v3#8037, "Updated default retry behavior (2026)",
 * on by default in this SDK) are 4 attempts for DynamoDB (25 ms base delay) and 3 for the other services (50 ms),
 * with a 1,000 ms base delay after a throttle. What a throttled request costs, and how long it may hold the
 * handler, follows from these (docs/limits.md, AWS_REQUEST_TIMEOUT_MS; docs/scale.md): pinned here so that an SDK
 * upgrade that changes them fails this test and the docs are read again.
 */
describe("the handlers' SDK retries", () => {
  const saved = { ...process.env };
  let server: Server;
  let requests = 0;
  beforeAll(async () => {
    // Arrange: an endpoint that throttles every request, as DynamoDB and Step Functions name it.
    server = createServer((request, response) => {
      requests++;
      request.resume();
      const target = String(request.headers['x-amz-target'] ?? '');
      const type = target.startsWith('DynamoDB') ? 'ProvisionedThroughputExceededException' : 'ThrottlingException';
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ __type: `com.amazonaws#${type}`, message: 'throttled' }));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    delete process.env.AWS_MAX_ATTEMPTS;
    delete process.env.AWS_RETRY_MODE;
    // Not calls of the e2e run: the iam project simulates every recorded call against the reference stack's roles.
    delete process.env.HOOKFLOW_RECORD_AWS_CALLS;
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_ENDPOINT_URL_SFN: endpoint,
    });
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise((done) => server.close(done));
  });
  beforeEach(() => {
    jest.resetModules();
    requests = 0;
  });

  it.each([
    {
      service: 'DynamoDB',
      attempts: 4,
      answer: 'EngineBusyError', // after the SDK's retries, answered as busy: 503 with Retry-After
      send: async () => {
        const { dynamodbClient } = await import('../../../functions/adapters/aws/clients');
        const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
        const client = dynamodbClient();
        const key = { pk: { S: 'k' }, sk: { S: 'k' } };
        return { client, sent: client.send(new GetItemCommand({ TableName: 'hookflow-registry', Key: key })) };
      },
    },
    {
      service: 'Step Functions',
      attempts: 3,
      answer: 'ThrottlingException',
      send: async () => {
        const { sfnClient } = await import('../../../functions/adapters/aws/clients');
        const { StartExecutionCommand } = await import('@aws-sdk/client-sfn');
        const client = sfnClient();
        const stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:s';
        return { client, sent: client.send(new StartExecutionCommand({ stateMachineArn })) };
      },
    },
  ])(
    '$service: $attempts attempts at a throttle, then $answer',
    async ({ attempts, answer, send }) => {
      // Arrange, Act
      const { client, sent } = await send();
      const failure = await sent.then(
        () => undefined,
        (error: Error) => error,
      );

      // Assert
      expect(await client.config.maxAttempts()).toBe(attempts);
      expect(requests).toBe(attempts);
      expect(failure?.name).toBe(answer);
    },
    30_000,
  );
});
