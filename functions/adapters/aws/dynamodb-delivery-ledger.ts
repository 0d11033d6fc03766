import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DeliveryLedger } from '../../core/ports';
import { putUnlessLive } from './put-unless-live';

/** Accepted deliveries in the dedupe table (`delivery#<scope>#<id>`): one conditional put each. */
export class DynamoDbDeliveryLedger implements DeliveryLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  remember(key: string, expiresAt: number): Promise<boolean> {
    return putUnlessLive(this.client, this.tableName, { pk: `delivery#${key}`, expiresAt });
  }
}
