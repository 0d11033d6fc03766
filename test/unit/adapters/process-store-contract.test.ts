import { DynamoDbProcessStore } from '../../../functions/adapters/aws/dynamodb-process-store';
import type { ProcessRecord, ProcessStore } from '../../../functions/core/ports';
import { PROCESS_RETENTION_SECONDS } from '../../../functions/styles/registered-webhooks/process-rules';
import { backend } from '../../support/dynamodb-backend';
import { InMemoryProcessStore } from '../../support/fakes';
import { useInMemoryDynamoDb } from '../../support/in-memory-dynamodb';

/**
 * The process record's rules (functions/styles/registered-webhooks/process-rules.ts) hold the same in the DynamoDB
 * process store and the in-memory one: a live record keeps its id (a repeated trigger gets it back), an expired
 * one counts as gone and its id is free again. Both on the real clock, as DynamoDB's condition is.
 */
const record = (id: string, createdOn: Date, body: string): ProcessRecord => ({
  id,
  orgId: 'acme',
  webhookId: 'w-1',
  eventWorkflowTemplateId: 'notify',
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:notify',
  executionArn: `arn:aws:states:us-east-1:000000000000:execution:notify:${id}`,
  triggerEvent: { body },
  fingerprint: body,
  createdOn: createdOn.toISOString(),
});

describe(`process records, in DynamoDB (${backend}) and in memory alike`, () => {
  const database = useInMemoryDynamoDb();
  let n = 0;

  /** What a store answers: a live record's repeat, and an expired record's id reused. */
  const drive = async (store: ProcessStore, id: string) => {
    const now = new Date();
    const expired = new Date(now.getTime() - (PROCESS_RETENTION_SECONDS + 60) * 1000);
    const first = await store.create(record(`${id}-live`, now, 'first'));
    const repeat = await store.create(record(`${id}-live`, now, 'second'));
    await store.create(record(`${id}-old`, expired, 'old'));
    const readExpired = await store.get(`${id}-old`);
    const reused = await store.create(record(`${id}-old`, now, 'new'));
    return [first.created, repeat.created, repeat.record.fingerprint, readExpired, reused.created];
  };

  it('keeps a live record, forgets an expired one', async () => {
    // Arrange
    const id = `p-${++n}`;

    // Act
    const inMemory = await drive(new InMemoryProcessStore(), id);
    const inDynamoDb = await drive(new DynamoDbProcessStore(database().client, database().tables.dedupe), id);

    // Assert
    expect(inMemory).toEqual([true, false, 'first', undefined, true]);
    expect(inDynamoDb).toEqual(inMemory);
  });

  it('marks a live record queued, and creates nothing for an id without one', async () => {
    // Arrange
    const id = `p-${++n}`;
    const drive = async (store: ProcessStore) => {
      await store.create(record(id, new Date(), 'body'));
      const marked = await store.markQueued(id, '2026-01-01T00:00:09.000Z');
      const missing = await store.markQueued(`${id}-none`, '2026-01-01T00:00:09.000Z');
      return [marked, (await store.get(id))?.queuedOn, missing, await store.get(`${id}-none`)];
    };

    // Act
    const inMemory = await drive(new InMemoryProcessStore());
    const inDynamoDb = await drive(new DynamoDbProcessStore(database().client, database().tables.dedupe));

    // Assert
    expect(inMemory).toEqual([true, '2026-01-01T00:00:09.000Z', false, undefined]);
    expect(inDynamoDb).toEqual(inMemory);
  });
});
