import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { createTables } from '../../../local/dynamodb/create-tables';
import { createEarlierDedupeTable } from '../../support/earlier-dedupe-table';

/**
 * DynamoDB creates and deletes tables asynchronously: CreateTable answers with the table CREATING, and "you can
 * perform read and write operations only on an ACTIVE table" (API_CreateTable; local/dynamodb/create-tables.ts
 * cites it). dynalite copies that, here with a 300 ms delay so the window is wide enough to see: the local stack's
 * tables must be ACTIVE when createTables returns, on a fresh start and when a table of an earlier version is
 * rebuilt with its index (deleted, created again, its items written back).
 */
describe('createTables waits for its tables', () => {
  const servers: ReturnType<typeof dynalite>[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
  });
  const slowDynalite = async () => {
    const server = dynalite({ createTableMs: 300, deleteTableMs: 300, updateTableMs: 300 });
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  };
  const names = { registry: 'hookflow-registry', dedupe: 'hookflow-dedupe' };
  const status = async (client: DynamoDBClient, TableName: string) =>
    (await client.send(new DescribeTableCommand({ TableName }))).Table?.TableStatus;

  it('returns with both tables ACTIVE, so the first write is accepted', async () => {
    // Arrange
    const client = await slowDynalite();

    // Act
    await createTables(client, names);

    // Assert
    expect([await status(client, names.registry), await status(client, names.dedupe)]).toEqual(['ACTIVE', 'ACTIVE']);
    await expect(
      client.send(new PutItemCommand({ TableName: names.dedupe, Item: { pk: { S: 'first' } } })),
    ).resolves.toBeDefined();
  });

  it("rebuilds an earlier version's dedupe table with its index, keeping its items, once the old one is gone", async () => {
    // Arrange: a dedupe table without the deliveries index, holding a claim.
    const client = await slowDynalite();
    await createEarlierDedupeTable(client, names.dedupe);
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 }, { TableName: names.dedupe });
    await client.send(new PutItemCommand({ TableName: names.dedupe, Item: { pk: { S: 'claim' }, owner: { S: 'o' } } }));

    // Act
    await createTables(client, names);

    // Assert
    const { Table } = await client.send(new DescribeTableCommand({ TableName: names.dedupe }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['deliveries']);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: names.dedupe, Key: { pk: { S: 'claim' } }, ConsistentRead: true }),
    );
    expect(Item).toEqual({ pk: { S: 'claim' }, owner: { S: 'o' } });
  });
});
