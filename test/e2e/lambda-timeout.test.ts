import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { RAN_OUT_OF_TIME } from '../../functions/http/http-handler';
import { refusedStart, removeDataDir, request, startLocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

/**
 * A request whose work outlasts its handler's Lambda timeout (docs/scale.md, "What a sender sees at each limit",
 * gap 9), on the local stack with every handler's timeout set to 3 s (HOOKFLOW_LOCAL_LAMBDA_TIMEOUT_SECONDS). A
 * DynamoDB partition that refuses every call holds an inbound claim in the SDK's retries: AWS_MAX_ATTEMPTS=8 makes
 * their backoff (up to 1, 2, 4 … 20 s, each times a random fraction) outlast 3 s all but about once in a million
 * runs. With the answer reserve (ANSWER_RESERVE_MS, 1 s by default) the handler answers 503 with Retry-After at
 * 2 s, its calls cut short; with it off, Lambda stops the function at 3 s and API Gateway answers a bare 500, as
 * the local gateway does (local/gateway/server.ts).
 */
const TIMEOUT_SECONDS = 3;
const INBOUND = { 'inbound-webhook-secret': 'hf_local_inbound_secret', 'content-type': 'application/json' };
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const STUCK = {
  HOOKFLOW_LOCAL_LAMBDA_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
  HOOKFLOW_LOCAL_THROTTLE: 'dynamodb:inbound#uid#stuck=0/s:0',
  AWS_MAX_ATTEMPTS: '8',
};

async function stackWith(env: Record<string, string>) {
  const stack = await startLocalStack({ env: { ...STUCK, ...env } });
  const sfn = new SFNClient({ endpoint: stack.sfnEndpoint, region: 'us-east-1', credentials });
  const runs = async () => {
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:hookflow-inbound-echo-standard',
        maxResults: 1000,
      }),
    );
    return (page.executions ?? []).length;
  };
  const stuck = async () => {
    const sentAt = Date.now();
    const response = await request(`${stack.url}/inbound`, {
      method: 'POST',
      headers: INBOUND,
      body: JSON.stringify({ workflow: 'alternative workflow', uid: 'stuck' }),
    });
    return { response, tookMs: Date.now() - sentAt };
  };
  const stop = async () => {
    sfn.destroy();
    await stack.stop();
    removeDataDir(stack.dataDir);
  };
  return { stack, runs, stuck, stop };
}

describe('a handler that runs out of time answers 503 with Retry-After, ANSWER_RESERVE_MS before its timeout', () => {
  let local: Awaited<ReturnType<typeof stackWith>>;
  beforeAll(async () => {
    local = await stackWith({});
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('answers 503 {"error"} with Retry-After and its delivery id at the deadline, and starts nothing', async () => {
    // Arrange
    const before = await local.runs();

    // Act
    const { response, tookMs } = await local.stuck();

    // Assert
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ error: RAN_OUT_OF_TIME });
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('hookflow-delivery-id')).toMatch(/^dlv_[0-9A-Z]{26}$/);
    expect(tookMs).toBeGreaterThanOrEqual((TIMEOUT_SECONDS - 1) * 1000);
    expect(tookMs).toBeLessThan(TIMEOUT_SECONDS * 1000);
    expect(local.stack.output()).toContain('request ran out of time');
    expect(local.stack.output()).not.toContain('Task timed out');
    expect(await local.runs()).toBe(before);
  });

  it('answers a request that ends within the time as it always does', async () => {
    // Act
    const response = await request(`${local.stack.url}/flows/hello/trigger`, {
      method: 'POST',
      headers: { authorization: 'Bearer hf_local_dev_key', 'content-type': 'application/json' },
      body: '{"hello":"world"}',
    });

    // Assert
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ executionLink: expect.stringContaining('/executions/') });
  });
});

describe("with ANSWER_RESERVE_MS=0 the Lambda timeout answers: API Gateway's 500, as the local gateway gives it", () => {
  let local: Awaited<ReturnType<typeof stackWith>>;
  beforeAll(async () => {
    local = await stackWith({ ANSWER_RESERVE_MS: '0' });
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('answers 500 {"message":"Internal Server Error"} without Retry-After at the timeout, and starts nothing', async () => {
    // Arrange
    const before = await local.runs();

    // Act
    const { response, tookMs } = await local.stuck();

    // Assert
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ message: 'Internal Server Error' });
    expect(response.headers.get('retry-after')).toBeNull();
    expect(tookMs).toBeGreaterThanOrEqual(TIMEOUT_SECONDS * 1000);
    expect(tookMs).toBeLessThan(TIMEOUT_SECONDS * 1000 + 2_000);
    expect(local.stack.output()).toContain(
      `hookflow-inbound: Task timed out after ${TIMEOUT_SECONDS.toFixed(2)} seconds`,
    );
    expect(await local.runs()).toBe(before);
  });
});

describe('a keyed request cut at its deadline between its claim and its start, then retried: one run', () => {
  let local: Awaited<ReturnType<typeof stackWith>>;
  let sfn: SFNClient;
  beforeAll(async () => {
    // The stack's first six StartExecution requests refused (ThrottlingException): the first request claims, then
    // its start is throttled, attempt after attempt (AWS_MAX_ATTEMPTS=8; six backoffs under 2 s: about once in a
    // million), past the deadline, and its claim's release is refused with the rest of its calls. A short lease
    // lets the retries take the claim over sooner (it outlasts the 3 s timeout, as the construct requires), and a
    // duplicate waits 0.5 s for the first to finish rather than 3 s, which would not fit before a 2 s deadline.
    local = await stackWith({
      HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '6',
      DEDUPE_LEASE_SECONDS: '5',
      DEDUPE_WAIT_MS: '500',
    });
    sfn = new SFNClient({ endpoint: local.stack.sfnEndpoint, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    sfn?.destroy();
    await local?.stop();
  });

  it('answers 503 at the deadline; the sender, retrying as told, gets 202 with the one run of its key', async () => {
    // Arrange
    const trigger = () =>
      request(`${local.stack.url}/flows/hello-standard/trigger`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer hf_local_dev_key',
          'content-type': 'application/json',
          'idempotency-key': 'cut-at-the-deadline',
        },
        body: '{"hello":"deadline"}',
      });

    // Act: the first request, then retries after Retry-After (at least 1 s) until it is accepted, for up to a minute
    const first = await trigger();
    let last = first;
    const refusals = [];
    for (const until = Date.now() + 60_000; last.status !== 202 && Date.now() < until;) {
      await new Promise((done) => setTimeout(done, 1_000 * Math.max(1, Number(last.headers.get('retry-after') ?? 1))));
      last = await trigger();
      if (last.status !== 202) refusals.push(last.status);
    }

    // Assert
    expect(first.status).toBe(503);
    expect(first.body).toEqual({ error: RAN_OUT_OF_TIME });
    expect(last.status).toBe(202);
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:hookflow-echo-standard',
        maxResults: 1000,
      }),
    );
    expect(page.executions).toHaveLength(1);
    expect((last.body as { executionLink: string }).executionLink).toContain(page.executions![0]!.name!);
    expect(refusals.every((status) => [409, 503].includes(status))).toBe(true);
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

describe('the local stack refuses a fan-out visibility timeout Lambda or SQS would refuse', () => {
  it.each(['0', '1.5', '43201', 'soon'])('HOOKFLOW_FANOUT_VISIBILITY_SECONDS=%s', async (value) => {
    // Arrange, Act
    const refused = await refusedStart({ HOOKFLOW_FANOUT_VISIBILITY_SECONDS: value });

    // Assert: named, before any service was started, and no stack trace.
    expect(refused).toMatch(
      /refusing to start: HOOKFLOW_FANOUT_VISIBILITY_SECONDS must be (0 or more seconds|a whole number of seconds from 1)/,
    );
    expect(refused).not.toContain('DynamoDB (');
    expect(refused).not.toMatch(/\n\s+at /);
  });
});
