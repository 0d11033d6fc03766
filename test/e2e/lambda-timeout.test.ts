import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { refusedStart, removeDataDir, request, startLocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

/**
 * A handler that runs past its Lambda timeout (docs/scale.md, "What a sender sees at each limit"): Lambda stops
 * it and API Gateway answers the sender 500 `{"message":"Internal Server Error"}`, with no Retry-After. The local
 * gateway does the same (local/gateway/server.ts), here with every handler's timeout set to 3 s
 * (HOOKFLOW_LOCAL_LAMBDA_TIMEOUT_SECONDS). A DynamoDB partition that refuses every call holds an inbound claim in
 * the SDK's retries: AWS_MAX_ATTEMPTS=8 makes their backoff (up to 1, 2, 4 … 20 s, each times a random fraction)
 * outlast 3 s all but about once in a million runs.
 */
const TIMEOUT_SECONDS = 3;
const INBOUND = { 'inbound-webhook-secret': 'hf_local_inbound_secret', 'content-type': 'application/json' };
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('a handler past its Lambda timeout (local gateway, as API Gateway and Lambda)', () => {
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  let sfn: SFNClient;
  const runs = async (machine: string) => {
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: `arn:aws:states:us-east-1:000000000000:stateMachine:${machine}`,
        maxResults: 1000,
      }),
    );
    return page.executions ?? [];
  };

  beforeAll(async () => {
    stack = await startLocalStack({
      env: {
        HOOKFLOW_LOCAL_LAMBDA_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
        HOOKFLOW_LOCAL_THROTTLE: 'dynamodb:inbound#uid#stuck=0/s:0',
        AWS_MAX_ATTEMPTS: '8',
      },
    });
    sfn = new SFNClient({ endpoint: stack.sfnEndpoint, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    sfn?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  it('answers 500 {"message":"Internal Server Error"} without Retry-After at the timeout, and starts nothing', async () => {
    // Arrange
    const before = (await runs('hookflow-inbound-echo-standard')).length;
    const sentAt = Date.now();

    // Act
    const response = await request(`${stack.url}/inbound`, {
      method: 'POST',
      headers: INBOUND,
      body: JSON.stringify({ workflow: 'alternative workflow', uid: 'stuck' }),
    });

    // Assert
    const tookMs = Date.now() - sentAt;
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ message: 'Internal Server Error' });
    expect(response.headers.get('retry-after')).toBeNull();
    expect(tookMs).toBeGreaterThanOrEqual(TIMEOUT_SECONDS * 1000);
    expect(tookMs).toBeLessThan(TIMEOUT_SECONDS * 1000 + 2_000);
    expect(stack.output()).toContain(`hookflow-inbound: Task timed out after ${TIMEOUT_SECONDS.toFixed(2)} seconds`);
    expect((await runs('hookflow-inbound-echo-standard')).length).toBe(before);
  });

  it('answers a request that ends within the timeout as it always does', async () => {
    // Act
    const response = await request(`${stack.url}/flows/hello/trigger`, {
      method: 'POST',
      headers: { authorization: 'Bearer hf_local_dev_key', 'content-type': 'application/json' },
      body: '{"hello":"world"}',
    });

    // Assert
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ executionLink: expect.stringContaining('/executions/') });
  });
});

describe('the local stack refuses a Lambda timeout it cannot read', () => {
  it.each(['soon', '-1'])('HOOKFLOW_LOCAL_LAMBDA_TIMEOUT_SECONDS=%s', async (value) => {
    // Arrange, Act
    const refused = await refusedStart({ HOOKFLOW_LOCAL_LAMBDA_TIMEOUT_SECONDS: value });

    // Assert: named, before any service was started, and no stack trace.
    expect(refused).toContain('refusing to start: HOOKFLOW_LOCAL_LAMBDA_TIMEOUT_SECONDS must be 0 or more seconds');
    expect(refused).not.toContain('DynamoDB (');
    expect(refused).not.toMatch(/\n\s+at /);
  });
});
