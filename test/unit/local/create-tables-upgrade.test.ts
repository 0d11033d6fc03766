import { DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { randomUUID } from 'node:crypto';
import { createTables } from '../../../local/dynamodb/create-tables';
import { createEarlierDedupeTable } from '../../support/earlier-dedupe-table';
import { backend } from '../../support/dynamodb-backend';
import { useInMemoryDynamoDb } from '../../support/in-memory-dynamodb';

/**
 * A local stack started on the data of a version before deliveries finds its dedupe table without the `deliveries`
 * index: the start adds it (UpdateTable on DynamoDB Local; dynalite builds no index that way, so the table is rebuilt
 * with its items), and nothing the table held is lost.
 */
describe(`local tables of an earlier version get the deliveries index (${backend})`, () => {
  const database = useInMemoryDynamoDb();

  it('adds the index to an existing dedupe table and keeps its items', async () => {
    // Arrange: a dedupe table as the earlier version created it, holding a claim
    const { client } = database();
    const names = { registry: `registry-${randomUUID()}`, dedupe: `dedupe-${randomUUID()}` };
    await createEarlierDedupeTable(client, names.dedupe);
    const claim = { pk: 'flow-trigger#hello#k1', owner: 'o', expiresAt: 2_000_000_000 };
    await client.send(new PutItemCommand({ TableName: names.dedupe, Item: marshall(claim) }));

    // Act: the start creates what is missing
    await createTables(client, names);
    await createTables(client, names); // and a second start changes nothing

    // Assert
    const { Table } = await client.send(new DescribeTableCommand({ TableName: names.dedupe }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['deliveries']);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: names.dedupe, Key: marshall({ pk: claim.pk }), ConsistentRead: true }),
    );
    expect(unmarshall(Item!)).toEqual(claim);
  });
});
