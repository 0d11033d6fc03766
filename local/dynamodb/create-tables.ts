import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  ResourceInUseException,
  ScanCommand,
  UpdateTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import {
  DELIVERIES_INDEX,
  deliveriesIndexSchema,
  dedupeTableSchema,
  registryTableSchema,
} from '../../functions/adapters/aws/table-schemas';

export interface LocalTableNames {
  readonly registry: string;
  readonly dedupe: string;
}

/** The dedupe table's `deliveries` index, as lib/hookflow-tables.ts builds it. */
const deliveriesIndex: GlobalSecondaryIndex = {
  IndexName: DELIVERIES_INDEX,
  KeySchema: [
    { AttributeName: deliveriesIndexSchema.partitionKey, KeyType: 'HASH' },
    { AttributeName: deliveriesIndexSchema.sortKey, KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...deliveriesIndexSchema.projected] },
};
const indexAttributes = [deliveriesIndexSchema.partitionKey, deliveriesIndexSchema.sortKey].map((name) => ({
  AttributeName: name,
  AttributeType: 'S' as const,
}));

/**
 * Creates the same tables the CDK construct creates (same key schemas and index), if they don't exist yet; a
 * dedupe table left by an earlier version (before deliveries) gets its `deliveries` index.
 */
export async function createTables(client: DynamoDBClient, names: LocalTableNames): Promise<void> {
  await createIfMissing(client, names.registry, [
    { name: registryTableSchema.partitionKey, keyType: 'HASH' },
    { name: registryTableSchema.sortKey, keyType: 'RANGE' },
  ]);
  const created = await createIfMissing(
    client,
    names.dedupe,
    [{ name: dedupeTableSchema.partitionKey, keyType: 'HASH' }],
    deliveriesIndex,
  );
  if (!created) await addDeliveriesIndex(client, names.dedupe);
  await untilActive(client, names.registry);
  await untilActive(client, names.dedupe);
}

/**
 * "CreateTable is an asynchronous operation ... DynamoDB immediately returns a response with a TableStatus of
 * CREATING ... You can perform read and write operations only on an ACTIVE table"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html). dynalite copies that, for a
 * moment even at `createTableMs: 0`: an item written straight after its CreateTable could be refused with
 * ResourceNotFoundException. So the tables are ready when this returns, as a deployed stack's are.
 */
const untilActive = (client: DynamoDBClient, TableName: string) =>
  waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 0.05, maxDelay: 1 }, { TableName });

async function createIfMissing(
  client: DynamoDBClient,
  tableName: string,
  keys: { name: string; keyType: 'HASH' | 'RANGE' }[],
  index?: GlobalSecondaryIndex,
): Promise<boolean> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: keys.map((key) => ({ AttributeName: key.name, KeyType: key.keyType })),
        AttributeDefinitions: [
          ...keys.map((key) => ({ AttributeName: key.name, AttributeType: 'S' as const })),
          ...(index === undefined ? [] : indexAttributes),
        ],
        ...(index === undefined ? {} : { GlobalSecondaryIndexes: [index] }),
      }),
    );
    return true;
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error; // exists from an earlier start: keep its data
    return false;
  }
}

const hasIndex = async (client: DynamoDBClient, tableName: string) => {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return (Table?.GlobalSecondaryIndexes ?? []).some((index) => index.IndexName === DELIVERIES_INDEX);
};

/**
 * UpdateTable adds the index to a table of an earlier version (DynamoDB Local builds it at once; AWS backfills:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.OnlineOps.html). dynalite accepts the call
 * but builds no index (its UpdateTable changes throughput only), so there the table is rebuilt: its items read,
 * the table created afresh with the index, the items written back. Local data only, a few claims and waits.
 */
async function addDeliveriesIndex(client: DynamoDBClient, tableName: string): Promise<void> {
  if (await hasIndex(client, tableName)) return;
  await client
    .send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: indexAttributes,
        GlobalSecondaryIndexUpdates: [{ Create: { ...deliveriesIndex } }],
      }),
    )
    .catch(() => undefined);
  if (await hasIndex(client, tableName)) return;
  const items: Record<string, AttributeValue>[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  // DeleteTable is asynchronous too (DELETING): a CreateTable before it is gone would answer ResourceInUseException.
  await waitUntilTableNotExists({ client, maxWaitTime: 60, minDelay: 0.05, maxDelay: 1 }, { TableName: tableName });
  await createIfMissing(
    client,
    tableName,
    [{ name: dedupeTableSchema.partitionKey, keyType: 'HASH' }],
    deliveriesIndex,
  );
  await untilActive(client, tableName);
  for (let at = 0; at < items.length; at += 25) {
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: { [tableName]: items.slice(at, at + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  }
}
