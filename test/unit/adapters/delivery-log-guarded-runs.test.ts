import { BatchGetItemCommand, DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbDeliveryLog } from '../../../functions/adapters/aws/dynamodb-delivery-log';
import { newDeliveryId } from '../../../functions/core/deliveries/ids';
import { EngineBusyError } from '../../../functions/core/outcomes';

/**
 * A record a guarded claim carries reads its run off the run guard's item, in one BatchGetItem, whose unread keys
 * (UnprocessedKeys: DynamoDB's answer when throughput or size runs out) are asked again; still unread, the read
 * answers 503, never a record without the run it has. The happy paths run on dynalite
 * (claim-carries-record.test.ts); dynalite never leaves keys unprocessed, so these run on a mocked client.
 */
const NOW = 1_770_000_000_000;
const GUARD = 'run#arn:aws:states:us-east-1:000000000000:stateMachine:hello#hf-1770604800-abc';
const ARN = 'arn:aws:states:us-east-1:000000000000:express:hello:hf-1770604800-abc:1';

function setup() {
  const ddb = mockClient(DynamoDBClient);
  const id = newDeliveryId(NOW);
  ddb.on(QueryCommand).resolves({ Items: [marshall({ pk: 'flow#k', dPk: 'd#0', dSk: id })] });
  ddb.on(GetItemCommand).resolves({
    Item: marshall({
      pk: 'flow#k',
      dPk: 'd#0',
      dSk: id,
      style: 'flow-trigger',
      registration: 'hello',
      receivedAt: new Date(NOW).toISOString(),
      method: 'POST',
      path: '/flows/hello/trigger',
      outcome: 'started',
      status: 202,
      runs: [{ runGuard: GUARD }],
      headers: {},
      body: { bytes: 2, sha256: 'b'.repeat(64), inline: 'e30=' },
      expiresAt: Math.floor(NOW / 1000) + 86_400,
    }),
  });
  const slept: number[] = [];
  const log = new DynamoDbDeliveryLog(new DynamoDBClient({ region: 'us-east-1' }), 'dedupe', {
    shards: 1,
    maxItemsRead: 100,
    now: () => NOW,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  return { ddb, id, log, slept };
}

describe('DynamoDbDeliveryLog: runs named by the run guard', () => {
  afterEach(() => mockClient(DynamoDBClient).restore());

  it('asks again for the keys BatchGetItem left unprocessed, backing off, and reads the run', async () => {
    // Arrange
    const { ddb, id, log, slept } = setup();
    ddb
      .on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { dedupe: [] }, UnprocessedKeys: { dedupe: { Keys: [marshall({ pk: GUARD })] } } })
      .resolvesOnce({ Responses: { dedupe: [marshall({ pk: GUARD, executionArn: ARN })] } });

    // Act
    const record = await log.get(id);

    // Assert
    expect(record?.runs).toEqual([{ executionArn: ARN }]);
    const calls = ddb.commandCalls(BatchGetItemCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.args[0].input.RequestItems?.dedupe).toMatchObject({
      Keys: [marshall({ pk: GUARD })],
      ConsistentRead: true,
    });
    expect(slept).toEqual([50]);
  });

  it('answers 503 (busy) rather than a record without its run when the keys stay unprocessed', async () => {
    // Arrange
    const { ddb, id, log } = setup();
    ddb
      .on(BatchGetItemCommand)
      .resolves({ Responses: { dedupe: [] }, UnprocessedKeys: { dedupe: { Keys: [marshall({ pk: GUARD })] } } });

    // Act
    const read = log.get(id);

    // Assert
    await expect(read).rejects.toBeInstanceOf(EngineBusyError);
    expect(ddb.commandCalls(BatchGetItemCommand)).toHaveLength(5);
  });

  it('reads a listed page with one BatchGetItem, and a page without guarded records with none', async () => {
    // Arrange
    const { ddb, log } = setup();
    ddb.on(BatchGetItemCommand).resolves({ Responses: { dedupe: [marshall({ pk: GUARD, executionArn: ARN })] } });
    const summary = (runs: unknown[]) => ({
      pk: 'flow#k',
      dPk: 'd#0',
      outcome: 'started',
      status: 202,
      runs,
      expiresAt: Math.floor(NOW / 1000) + 86_400,
    });
    ddb.on(QueryCommand).resolves({
      Items: [
        marshall({ ...summary([{ runGuard: GUARD }]), dSk: newDeliveryId(NOW) }),
        marshall({ ...summary([{ runGuard: GUARD }]), dSk: newDeliveryId(NOW) }),
        marshall({ ...summary([{ executionArn: ARN }]), dSk: newDeliveryId(NOW) }),
      ],
    });

    // Act
    const page = await log.list({ from: NOW - 1, to: NOW + 1, limit: 10 });
    const batched = ddb.commandCalls(BatchGetItemCommand).length;
    ddb.on(QueryCommand).resolves({ Items: [marshall({ ...summary([]), dSk: newDeliveryId(NOW) })] });
    await log.list({ from: NOW - 1, to: NOW + 1, limit: 10 });

    // Assert
    expect(page.items.map((item) => item.runs)).toEqual([
      [{ executionArn: ARN }],
      [{ executionArn: ARN }],
      [{ executionArn: ARN }],
    ]);
    expect(batched).toBe(1);
    expect(ddb.commandCalls(BatchGetItemCommand)[0]!.args[0].input.RequestItems?.dedupe?.Keys).toHaveLength(1);
    expect(ddb.commandCalls(BatchGetItemCommand)).toHaveLength(1);
  });
});
