import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The dedupe table as a version before deliveries created it: the same key, no `deliveries` index. */
export function createEarlierDedupeTable(client: DynamoDBClient, TableName: string) {
  return client.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    }),
  );
}
