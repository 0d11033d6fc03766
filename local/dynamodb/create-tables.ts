import { CreateTableCommand, type DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { dedupeTableSchema, registryTableSchema } from '../../functions/adapters/aws/table-schemas';

export interface LocalTableNames {
  readonly registry: string;
  readonly dedupe: string;
}

/** Creates the same tables the CDK construct creates (same key schemas), if they don't exist yet. */
export async function createTables(client: DynamoDBClient, names: LocalTableNames): Promise<void> {
  await createIfMissing(client, names.registry, [
    { name: registryTableSchema.partitionKey, keyType: 'HASH' },
    { name: registryTableSchema.sortKey, keyType: 'RANGE' },
  ]);
  await createIfMissing(client, names.dedupe, [{ name: dedupeTableSchema.partitionKey, keyType: 'HASH' }]);
}

async function createIfMissing(
  client: DynamoDBClient,
  tableName: string,
  keys: { name: string; keyType: 'HASH' | 'RANGE' }[],
): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: keys.map((key) => ({ AttributeName: key.name, KeyType: key.keyType })),
        AttributeDefinitions: keys.map((key) => ({ AttributeName: key.name, AttributeType: 'S' })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error; // exists from an earlier start: keep its data
  }
}
