import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ClaimRequest, ClaimResult, DedupeRecord, DedupeStore, RunHandle } from '../../core/ports';

/**
 * Dedupe claims in the dedupe table, one item per key. Expiry is checked in every condition and read:
 * DynamoDB's TTL deletes expired items up to days late (and dynalite never does), so TTL only tidies up.
 */
export class DynamoDbDedupeStore implements DedupeStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const record: DedupeRecord = {
      key: request.key,
      fingerprint: request.fingerprint,
      owner: request.owner,
      createdAt: request.now,
      leaseUntil: request.now + request.leaseMs,
      expiresAt: Math.floor(request.now / 1000) + request.ttlSeconds,
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(toItem(record)),
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds',
          ExpressionAttributeValues: marshall({ ':nowSeconds': Math.floor(request.now / 1000) }),
          // Real DynamoDB returns the live claim with the failure, saving a read; dynalite does not.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'claimed', record };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing =
        error.Item !== undefined ? fromItem(unmarshall(error.Item)) : await this.get(request.key, request.now);
      if (existing === undefined) return this.claim(request); // expired or released in between
      if (existing.run === undefined && existing.leaseUntil <= request.now) {
        return this.takeOver(existing, request);
      }
      return { outcome: 'duplicate', record: existing };
    }
  }

  /**
   * The previous owner claimed the key but never recorded a run within its lease: it crashed or timed out.
   * Keep `createdAt` so the execution name stays the same (a Standard run it did start is found, not doubled).
   */
  private async takeOver(existing: DedupeRecord, request: ClaimRequest): Promise<ClaimResult> {
    const record: DedupeRecord = { ...existing, owner: request.owner, leaseUntil: request.now + request.leaseMs };
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: request.key }),
          UpdateExpression: 'SET #owner = :owner, leaseUntil = :leaseUntil',
          ConditionExpression: '#owner = :previousOwner AND attribute_not_exists(#run)',
          ExpressionAttributeNames: { '#owner': 'owner', '#run': 'run' },
          ExpressionAttributeValues: marshall({
            ':owner': record.owner,
            ':leaseUntil': record.leaseUntil,
            ':previousOwner': existing.owner,
          }),
        }),
      );
      return { outcome: 'claimed', record };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = await this.get(request.key, request.now);
      if (current === undefined) return this.claim(request);
      return { outcome: 'duplicate', record: current }; // another duplicate took it over first
    }
  }

  async complete(key: string, owner: string, run: RunHandle): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk: key }),
        UpdateExpression: 'SET #run = :run',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner', '#run': 'run' },
        ExpressionAttributeValues: marshall({ ':owner': owner, ':run': run }),
      }),
    );
  }

  async release(key: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: key }),
          ConditionExpression: '#owner = :owner AND attribute_not_exists(#run)',
          ExpressionAttributeNames: { '#owner': 'owner', '#run': 'run' },
          ExpressionAttributeValues: marshall({ ':owner': owner }),
        }),
      );
    } catch (error) {
      // Someone else owns it now: theirs to keep.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async get(key: string, now: number): Promise<DedupeRecord | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: key }), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const record = fromItem(unmarshall(Item));
    return record.expiresAt * 1000 <= now ? undefined : record;
  }
}

function toItem(record: DedupeRecord): Record<string, unknown> {
  const { key, ...rest } = record;
  return { pk: key, ...rest };
}

function fromItem(item: Record<string, unknown>): DedupeRecord {
  const run = item.run as { executionArn?: unknown; startDate?: unknown } | undefined;
  return {
    key: String(item.pk),
    fingerprint: String(item.fingerprint),
    owner: String(item.owner),
    createdAt: Number(item.createdAt),
    leaseUntil: Number(item.leaseUntil),
    expiresAt: Number(item.expiresAt),
    ...(run === undefined ? {} : { run: { executionArn: String(run.executionArn), startDate: String(run.startDate) } }),
  };
}
