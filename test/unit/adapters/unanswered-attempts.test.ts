import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CACHE_MIDDLEWARE, answerBusyDynamoDb } from '../../../functions/adapters/aws/clients';
import { DynamoDbWaitStore } from '../../../functions/adapters/aws/dynamodb-wait-store';
import { SfnWorkflowEngine } from '../../../functions/adapters/aws/sfn-engine';
import { markUnansweredAttempts, refusedEveryAttempt } from '../../../functions/adapters/aws/unanswered';
import { EngineBusyError } from '../../../functions/core/outcomes';
import { TaskGoneError } from '../../../functions/core/ports';

/**
 * A throttle is a refusal (HTTP 400: the call did nothing), but the SDK retries a timeout or a 5xx first, so the
 * refusal a caller finally sees may follow an attempt that went through unanswered. `markUnansweredAttempts`
 * (functions/adapters/aws/unanswered.ts) watches every attempt, so `refused` (EngineBusyError) is claimed only when
 * every attempt was refused: what the wait task retries on (docs/waits.md), and what lets a start's claim go.
 * Real SDK clients, configured as clients.ts configures them (a cached middleware stack), against a server that
 * answers each call's attempts from a script, keyed by what the call addresses.
 */
describe('a refusal after an unanswered attempt is not taken for "nothing happened"', () => {
  let server: Server;
  let endpoint: string;
  /** The answers still to give, per addressed key (a DynamoDB pk, an execution name, a task token). */
  let scripts: Map<string, { status: number; type: string }[]>;

  const DDB = 'com.amazonaws.dynamodb.v20120810#';
  const throttled = { status: 400, type: `${DDB}ProvisionedThroughputExceededException` };
  const ddb500 = { status: 500, type: `${DDB}InternalServerError` };
  const conditionFailed = { status: 400, type: `${DDB}ConditionalCheckFailedException` };
  const sfnThrottled = { status: 400, type: 'ThrottlingException' };
  const sfn500 = { status: 500, type: 'InternalFailure' };

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          Key?: { pk?: { S?: string } };
          name?: string;
          taskToken?: string;
        };
        const key = body.Key?.pk?.S ?? body.name ?? body.taskToken ?? '';
        const answer = scripts.get(key)?.shift() ?? throttled;
        response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: answer.type, message: 'scripted' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    scripts = new Map();
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const options = () => ({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 3,
    cacheMiddleware: CACHE_MIDDLEWARE,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const dynamodb = (watched = true) => {
    const client = new DynamoDBClient(options());
    return answerBusyDynamoDb(watched ? markUnansweredAttempts(client) : client);
  };
  const get = (client: DynamoDBClient, pk: string) =>
    client
      .send(new GetItemCommand({ TableName: 't', Key: { pk: { S: pk } } }))
      .then(() => undefined)
      .catch((error: unknown) => error);

  it('DynamoDB: refused when every attempt was throttled; not after a 500, even with the same client at once', async () => {
    // Arrange: two calls in flight together through one client and its one cached stack.
    scripts.set('all-refused', [throttled, throttled, throttled]);
    scripts.set('one-unanswered', [ddb500, throttled, throttled]);
    const client = dynamodb();

    // Act
    const [refused, unanswered] = await Promise.all([get(client, 'all-refused'), get(client, 'one-unanswered')]);

    // Assert: both busy (503 to a sender), only the first certainly did nothing.
    expect(refused).toBeInstanceOf(EngineBusyError);
    expect(unanswered).toBeInstanceOf(EngineBusyError);
    expect((refused as EngineBusyError).refused).toBe(true);
    expect((unanswered as EngineBusyError).refused).toBe(false);
    client.destroy();
  });

  it('DynamoDB without the watch sees only the last attempt, which looks refused: what the watch is for', async () => {
    scripts.set('one-unanswered', [ddb500, throttled, throttled]);
    const client = dynamodb(false);

    const error = await get(client, 'one-unanswered');

    expect((error as EngineBusyError).refused).toBe(true);
    client.destroy();
  });

  it('a take of an early callback refused by its condition after an unanswered attempt fails, never reads as "none live"', async () => {
    // Arrange: the first attempt went through unanswered (it took the callback), so the SDK's retry finds it taken.
    const key = 'wait#run-1#approval';
    scripts.set(key, [ddb500, conditionFailed]);
    const client = dynamodb();
    const store = new DynamoDbWaitStore(client, 't');
    const taker = { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:run-1', now: 0, retainUntil: 1 };

    // Act
    const uncertain = await store.takeEarly('run-1', 'approval', taker).catch((error: unknown) => error);
    scripts.set(key, [conditionFailed]);
    const none = await store.takeEarly('run-1', 'approval', taker);

    // Assert: unknown outcome is an error that no Retry matches (not refused); a plain refusal is "none live".
    expect(uncertain).toBeInstanceOf(EngineBusyError);
    expect((uncertain as EngineBusyError).refused).toBe(false);
    expect(none).toBeUndefined();
    client.destroy();
  });

  it('Step Functions: a start throttled after an unanswered attempt may have started; throttled throughout, it did not', async () => {
    scripts.set('mixed', [sfn500, sfnThrottled, sfnThrottled]);
    scripts.set('refused', [sfnThrottled, sfnThrottled, sfnThrottled]);
    const client = markUnansweredAttempts(new SFNClient(options()));
    const engine = new SfnWorkflowEngine(client);
    const start = (name: string) =>
      engine
        .start({
          stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
          workflowType: 'EXPRESS',
          name,
          input: {},
        })
        .catch((error: unknown) => error as EngineBusyError);

    const [mixed, refused] = await Promise.all([start('mixed'), start('refused')]);

    // The claim of the first must stay (mayHaveStarted); the second's may go.
    expect(mixed).toMatchObject({ mayHaveStarted: true, refused: false });
    expect(refused).toMatchObject({ mayHaveStarted: false, refused: true });
    client.destroy();
  });

  /** What each task resume failed with, all sent at once through one watched client (as clients.ts builds it). */
  async function resumeFailures(...tokens: string[]): Promise<unknown[]> {
    const client = markUnansweredAttempts(new SFNClient(options()));
    const engine = new SfnWorkflowEngine(client);
    try {
      return await Promise.all(
        tokens.map((token) => engine.resumeTask(token, { output: {} }).catch((error: unknown) => error)),
      );
    } finally {
      client.destroy();
    }
  }

  it('Step Functions: a task resume is refused only when every attempt was throttled', async () => {
    scripts.set('token-mixed', [sfn500, sfnThrottled, sfnThrottled]);
    scripts.set('token-refused', [sfnThrottled, sfnThrottled, sfnThrottled]);

    const [mixed, refused] = await resumeFailures('token-mixed', 'token-refused');

    expect(mixed).toMatchObject({ refused: false });
    expect(refused).toMatchObject({ refused: true });
  });

  it("Step Functions: a task resume's TaskTimedOut after an unanswered attempt may be that attempt's own doing", async () => {
    // Arrange: the first attempt of one call closes the task but its answer is a 500; the retry hears TaskTimedOut.
    const sfnTaskTimedOut = { status: 400, type: 'TaskTimedOut' };
    scripts.set('token-closed-unanswered', [sfn500, sfnTaskTimedOut]);
    scripts.set('token-closed-before', [sfnTaskTimedOut]);

    // Act
    const [afterUnanswered, answered] = await resumeFailures('token-closed-unanswered', 'token-closed-before');

    // Assert
    expect(afterUnanswered).toBeInstanceOf(TaskGoneError);
    expect(afterUnanswered).toMatchObject({ reason: 'TaskTimedOut', afterUnansweredAttempt: true });
    expect(answered).toMatchObject({ reason: 'TaskTimedOut', afterUnansweredAttempt: false });
  });

  it('reads a plain error, an answerless one and a non-object as AWS would', () => {
    expect(refusedEveryAttempt(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe(true);
    expect(refusedEveryAttempt(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toBe(false);
    expect(refusedEveryAttempt(Object.assign(new Error('x'), { $fault: 'server' }))).toBe(false);
    expect(refusedEveryAttempt('throttled')).toBe(false);
  });
});
