import { ConditionalCheckFailedException, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshallItem } from './attribute-values';

/**
 * Puts `item` unless a live item holds its key: one conditional write. An item past its `expiresAt` (epoch
 * seconds; TTL deletes late) counts as absent; an item without `expiresAt` is always live. False: kept out.
 * `now` in epoch ms.
 */
export async function putUnlessLive(
  client: DynamoDBClient,
  tableName: string,
  item: Record<string, unknown>,
  now: number = Date.now(),
): Promise<boolean> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshallItem(item),
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: marshallItem({ ':now': Math.floor(now / 1000) }),
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
