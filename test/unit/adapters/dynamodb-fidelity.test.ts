import {
  ConditionalCheckFailedException,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbDedupeStore } from '../../../functions/adapters/aws/dynamodb-dedupe-store';
import { describeOn } from '../../support/dynamodb-backend';
import { startInMemoryDynamoDb } from '../../support/in-memory-dynamodb';

/**
 * Where dynalite and DynamoDB differ in ways hookflow's code can see (docs/dynamodb.md), pinned both ways: what
 * AWS does, on AWS's DynamoDB Local; what dynalite does instead, on dynalite, so a dynalite upgrade that closes
 * a gap fails here and the fallback it forced can go.
 */
const NOW = 1_700_000_000_000;
const claim = (key: string, owner: string) => ({
  key,
  fingerprint: 'f1',
  owner,
  now: NOW,
  leaseMs: 1_000,
  ttlSeconds: 60,
});
const EURO = '\u20ac'; // one UTF-16 unit, three UTF-8 bytes

let db: Awaited<ReturnType<typeof startInMemoryDynamoDb>>;
beforeAll(async () => {
  db = await startInMemoryDynamoDb();
}, 120_000);
afterAll(() => db.close());

/** A client of its own that records the name of every command it sends. */
function countingClient(): { client: DynamoDBClient; calls: string[] } {
  const client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      calls.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return { client, calls };
}

async function failedConditionalPut(pk: string): Promise<ConditionalCheckFailedException> {
  await db.client.send(new PutItemCommand({ TableName: db.tables.dedupe, Item: marshall({ pk, owner: 'first' }) }));
  try {
    await db.client.send(
      new PutItemCommand({
        TableName: db.tables.dedupe,
        Item: marshall({ pk, owner: 'second' }),
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return error;
    throw error;
  }
  throw new Error('the conditional PutItem succeeded');
}

const putKey = (pk: string) =>
  db.client.send(new PutItemCommand({ TableName: db.tables.dedupe, Item: marshall({ pk }) }));

describeOn('dynamodb-local', 'DynamoDB as AWS implements it', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html
  // (ReturnValuesOnConditionCheckFailure: ALL_OLD returns the item that failed the condition, at no read cost)
  it('returns the stored item with a failed conditional PutItem that asks for ALL_OLD', async () => {
    const failure = await failedConditionalPut('all-old');

    expect(failure.Item).toEqual(marshall({ pk: 'all-old', owner: 'first' }));
  });

  it('lets the dedupe store report a duplicate from the failed write alone, with no GetItem', async () => {
    const { client, calls } = countingClient();
    const store = new DynamoDbDedupeStore(client, db.tables.dedupe);
    const first = await store.claim(claim('dup-aws', 'owner-a'));
    calls.length = 0;

    const duplicate = await store.claim(claim('dup-aws', 'owner-b'));

    expect(duplicate).toEqual({ outcome: 'duplicate', record: first.record });
    expect(calls).toEqual(['PutItemCommand']);
    client.destroy();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-partition-sort-keys
  // (partition key value: 1 to 2,048 bytes; sort key value: 1 to 1,024 bytes; strings are UTF-8)
  it('measures a partition key in UTF-8 bytes: 2,048 bytes of multi-byte characters fit, 2,049 do not', async () => {
    const fits = `${EURO.repeat(682)}ab`; // 2,046 + 2 = 2,048 bytes
    const tooLong = EURO.repeat(683); // 2,049 bytes, though only 683 UTF-16 units

    await expect(putKey(fits)).resolves.toBeDefined();
    await expect(putKey(tooLong)).rejects.toThrow(/key/i);
    await expect(putKey(tooLong)).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('measures a sort key in UTF-8 bytes: 1,025 bytes are refused', async () => {
    const put = (sk: string) =>
      db.client.send(new PutItemCommand({ TableName: db.tables.registry, Item: marshall({ pk: 'p', sk }) }));

    await expect(put(`${EURO.repeat(341)}a`)).resolves.toBeDefined(); // 1,024 bytes
    await expect(put(`${EURO.repeat(341)}ab`)).rejects.toMatchObject({ name: 'ValidationException' });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
  it('applies TransactWriteItems all or nothing, naming the failed condition', async () => {
    await putKey('tx-taken');

    const attempt = db.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: db.tables.dedupe, Item: marshall({ pk: 'tx-free' }) } },
          {
            Put: {
              TableName: db.tables.dedupe,
              Item: marshall({ pk: 'tx-taken', owner: 'b' }),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );

    const failure = await attempt.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TransactionCanceledException);
    expect((failure as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'None',
      'ConditionalCheckFailed',
    ]);
    const { Item } = await db.client.send(
      new GetItemCommand({ TableName: db.tables.dedupe, Key: marshall({ pk: 'tx-free' }), ConsistentRead: true }),
    );
    expect(Item).toBeUndefined();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html
  it('has the TTL API', async () => {
    await db.client.send(
      new UpdateTimeToLiveCommand({
        TableName: db.tables.dedupe,
        TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
      }),
    );

    const { TimeToLiveDescription } = await db.client.send(
      new DescribeTimeToLiveCommand({ TableName: db.tables.dedupe }),
    );
    expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });
});

describeOn('dynalite', 'where dynalite is not DynamoDB', () => {
  it('leaves the stored item out of a failed conditional PutItem that asks for ALL_OLD', async () => {
    const failure = await failedConditionalPut('all-old');

    expect(failure.Item).toBeUndefined();
  });

  it('so the dedupe store reads the live claim back with one GetItem', async () => {
    const { client, calls } = countingClient();
    const store = new DynamoDbDedupeStore(client, db.tables.dedupe);
    const first = await store.claim(claim('dup-dynalite', 'owner-a'));
    calls.length = 0;

    const duplicate = await store.claim(claim('dup-dynalite', 'owner-b'));

    expect(duplicate).toEqual({ outcome: 'duplicate', record: first.record });
    expect(calls).toEqual(['PutItemCommand', 'GetItemCommand']);
    client.destroy();
  });

  it('accepts a partition key of 2,049 UTF-8 bytes that DynamoDB refuses (it counts 683 UTF-16 units)', async () => {
    await expect(putKey(EURO.repeat(683))).resolves.toBeDefined();
  });

  it('has no TransactWriteItems', async () => {
    const attempt = db.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [{ Put: { TableName: db.tables.dedupe, Item: marshall({ pk: 'tx' }) } }],
      }),
    );

    await expect(attempt).rejects.toMatchObject({ name: 'UnknownOperationException' });
  });
});
