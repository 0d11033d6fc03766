import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Registry, RegistryKey, StoredItem } from '../../core/ports';
import { queryPartition } from './query-partition';

/**
 * The registry backed by the registry table: one GetItem per item, one Query (page after page) per partition.
 * It knows no style: each style's registry slice (functions/styles/<style>/registration.ts) names the keys it
 * reads and decodes the items, so IAM sees exactly the calls the slice makes (registry-items.ts'
 * registryPartitionReads).
 */
export class DynamoDbRegistry implements Registry {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async getItem(key: RegistryKey): Promise<StoredItem | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: key.pk, sk: key.sk }) }),
    );
    return Item === undefined ? undefined : unmarshall(Item);
  }

  queryPartition(pk: string): Promise<readonly StoredItem[]> {
    return queryPartition(this.client, this.tableName, pk);
  }
}
