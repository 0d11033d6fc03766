import { partitionKeyOf } from '../../../local/throttle-proxy';
import {
  ConcurrencyLimit,
  LambdaThrottledError,
  TokenBucket,
  buckets,
  dynamodbThrottlingReason,
  limitConcurrency,
  parseThrottles,
} from '../../../local/throttles';
import type { Context } from 'aws-lambda';
import { lambdaContext } from '../../../local/gateway/api-gateway-event';

/**
 * HOOKFLOW_LOCAL_THROTTLE (local/throttles.ts): the rules that let the local stack answer as AWS does at each
 * quota. The parser refuses what it cannot read, naming the setting and the entry; the bucket is API Gateway's
 * token bucket (full at start, a refused request takes nothing); the concurrency limit is Lambda's.
 */
const vocabulary = { routeKeys: ['POST /flows/{flowId}/trigger', 'POST /inbound'], handlers: ['flow-trigger'] };

describe('HOOKFLOW_LOCAL_THROTTLE', () => {
  it('reads every scope, with the burst defaulting to the rate rounded up', () => {
    // Act
    const rules = parseThrottles(
      'gateway=100/s:200, gateway:POST /inbound=2.5/s, lambda=10, lambda:flow-trigger=1, sfn:StartExecution=1/s:3,' +
        'sfn:open=5, dynamodb=50/s:10, dynamodb:INBOUNDSECRET=0/s:2, sqs:SendMessageBatch=0.5/s',
      vocabulary,
    );

    // Assert
    expect(rules).toEqual({
      gateway: { rate: 100, burst: 200 },
      routes: { 'POST /inbound': { rate: 2.5, burst: 3 } },
      lambdaConcurrency: 10,
      reservedConcurrency: { 'flow-trigger': 1 },
      sfn: { StartExecution: { rate: 1, burst: 3 } },
      sfnOpenExecutions: 5,
      dynamodb: { rate: 50, burst: 10 },
      dynamodbPartitions: { INBOUNDSECRET: { rate: 0, burst: 2 } },
      sqs: { SendMessageBatch: { rate: 0.5, burst: 1 } },
    });
  });

  it('is empty when unset or blank', () => {
    expect(parseThrottles(undefined, vocabulary)).toEqual({
      routes: {},
      reservedConcurrency: {},
      sfn: {},
      dynamodbPartitions: {},
      sqs: {},
    });
    expect(parseThrottles('  ', vocabulary).gateway).toBeUndefined();
  });

  it.each([
    ['gateway', 'is not <scope>=<limit>'],
    ['gateway=fast', 'needs a limit of <rate>/s'],
    ['gateway=10', 'needs a limit of <rate>/s'],
    ['gateway=-1/s', 'needs a limit of <rate>/s'],
    ['gateway=1/s:1.5', 'needs a limit of <rate>/s'],
    ['gateway:GET /nowhere=1/s', 'names no route; one of: POST /flows/{flowId}/trigger, POST /inbound'],
    ['lambda=1/s', 'needs a whole number'],
    ['lambda:no-such-handler=1', 'names no handler'],
    ['sfn:StartExecution=1', 'needs a limit of <rate>/s'],
    ['sfn:ListExecutions=1/s', 'names no Step Functions operation'],
    ['sfn:open=1/s', 'needs a whole number'],
    ['dynamodb:=1/s', 'names no partition key'],
    ['sqs:ReceiveMessage=1/s', 'names no SQS operation'],
    ['kinesis=1/s', 'has an unknown scope'],
    ['gateway=1/s,gateway=2/s', 'repeats a scope'],
  ])('refuses %s, naming the setting and the entry', (value, why) => {
    expect(() => parseThrottles(value, vocabulary)).toThrow(
      new RegExp(`^HOOKFLOW_LOCAL_THROTTLE: ".*" ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });
});

describe('the token bucket', () => {
  it('lets a full burst through, then one request per refill, and a refusal takes no token', () => {
    // Arrange
    let now = 0;
    const bucket = new TokenBucket({ rate: 2, burst: 3 }, () => now);

    // Act / Assert: the burst
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    // half a second at 2/s refills one token; the refusal before it took none
    now = 500;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    // a long quiet spell refills only up to the burst
    now = 60_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('with rate 0 lets the burst through and nothing after; with burst 0 nothing at all', () => {
    let now = 0;
    const drained = new TokenBucket({ rate: 0, burst: 1 }, () => now);
    expect(drained.take()).toBe(true);
    now = 3_600_000;
    expect(drained.take()).toBe(false);
    expect(new TokenBucket({ rate: 1000, burst: 0 }, () => now).take()).toBe(false);
  });

  it('keeps one bucket per name and lets unnamed ones through', () => {
    const take = buckets({ a: { rate: 0, burst: 1 } }, () => 0);
    expect([take('a'), take('a'), take('b'), take('b')]).toEqual([true, false, true, true]);
  });
});

describe('Lambda concurrency', () => {
  it('refuses an invocation beyond the limit without running it, and frees the slot when one ends', async () => {
    // Arrange
    let release!: () => void;
    const running = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const handler = limitConcurrency(
      'hookflow-x',
      async () => {
        calls++;
        await running;
        return 'done';
      },
      [new ConcurrencyLimit(1)],
    );

    // Act
    const first = handler();
    const refused = handler();

    // Assert
    await expect(refused).rejects.toBeInstanceOf(LambdaThrottledError);
    await expect(refused).rejects.toMatchObject({ name: 'TooManyRequestsException' });
    expect(calls).toBe(1);
    release();
    await expect(first).resolves.toBe('done');
    await expect(handler()).resolves.toBe('done');
  });

  /** One slot of concurrency, and a handler whose invocations all run until `release`. */
  function oneSlotUntilReleased() {
    let release!: () => void;
    const running = new Promise<void>((resolve) => (release = resolve));
    const handler = limitConcurrency(
      'hookflow-x',
      async (_event: unknown, _context: Context) => {
        await running;
        return 'done';
      },
      [new ConcurrencyLimit(1)],
    );
    return { handler, release };
  }

  it('frees the slot at the Lambda timeout of an invocation that outlives it, as Lambda frees it when it stops one', async () => {
    // Arrange: one slot; an invocation whose context ends 50 ms from now and that runs until released.
    const { handler, release } = oneSlotUntilReleased();
    const first = handler({}, lambdaContext('hookflow-x', 'first', 50));

    // Act
    const beforeTimeout = handler({}, lambdaContext('hookflow-x', 'early', 50)).catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 100));
    const afterTimeout = handler({}, lambdaContext('hookflow-x', 'after', 50));
    release();

    // Assert
    expect(await beforeTimeout).toBeInstanceOf(LambdaThrottledError);
    await expect(afterTimeout).resolves.toBe('done');
    await expect(first).resolves.toBe('done');
  });

  it('holds the slot of an invocation without a timeout until it ends', async () => {
    // Arrange
    const { handler, release } = oneSlotUntilReleased();
    const first = handler({}, lambdaContext('hookflow-x', 'first'));

    // Act
    await new Promise((r) => setTimeout(r, 100));
    const second = handler({}, lambdaContext('hookflow-x', 'second'));
    release();

    // Assert
    await expect(second).rejects.toBeInstanceOf(LambdaThrottledError);
    await expect(first).resolves.toBe('done');
  });

  it('gives back the function slot when the account has none left', async () => {
    const reserved = new ConcurrencyLimit(5);
    const account = new ConcurrencyLimit(0);
    const handler = limitConcurrency('hookflow-x', async () => 'ran', [reserved, account]);

    await expect(handler()).rejects.toBeInstanceOf(LambdaThrottledError);
    expect(reserved.enter()).toBe(true); // the refused call left all 5 slots
  });
});

describe('DynamoDB refusals', () => {
  it('name the limit as ThrottlingReason does: table or partition, read or write', () => {
    expect(dynamodbThrottlingReason('PutItem', 'partition')).toBe('TableWriteKeyRangeThroughputExceeded');
    expect(dynamodbThrottlingReason('GetItem', 'table')).toBe('TableReadAccountLimitExceeded');
    expect(dynamodbThrottlingReason('Query', 'partition')).toBe('TableReadKeyRangeThroughputExceeded');
  });

  it('find the partition of item requests and of a Query', () => {
    const body = (value: unknown) => Buffer.from(JSON.stringify(value));
    expect(partitionKeyOf(body({ Key: { pk: { S: 'FLOW#a' }, sk: { S: 'FLOW' } } }))).toBe('FLOW#a');
    expect(partitionKeyOf(body({ Item: { pk: { S: 'RUN#1' } } }))).toBe('RUN#1');
    expect(
      partitionKeyOf(
        body({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'EVENTSUB#t' } } }),
      ),
    ).toBe('EVENTSUB#t');
    expect(partitionKeyOf(Buffer.from('not json'))).toBeUndefined();
  });
});
