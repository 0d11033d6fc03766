import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DedupeRecord, RunHandle } from '../../core/ports';
import { BaseDedupeStore, type FirstWrite } from '../../core/runs/dedupe-claim';

/**
 * Dedupe claims in the dedupe table, one item per key. The rules (when a key is free, when a claim may be
 * taken over, who may complete or release it) are BaseDedupeStore's (functions/core/runs/dedupe-claim.ts);
 * this class writes each as a condition expression, so each holds atomically. Expiry is in every condition:
 * DynamoDB's TTL deletes expired items up to days late (and dynalite never does), so TTL only tidies up.
 * Condition expressions: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 */
export class DynamoDbDedupeStore extends BaseDedupeStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    super();
  }

  /** isExpired as a condition: `expiresAt <= now` in whole seconds is `expiresAt * 1000 <= now` in ms. */
  protected async putIfFree(record: DedupeRecord, nowMs: number): Promise<FirstWrite> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(toItem(record)),
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds',
          ExpressionAttributeValues: marshall({ ':nowSeconds': Math.floor(nowMs / 1000) }),
          // Real DynamoDB returns the live claim with the failure, saving a read; dynalite does not (the duplicate
          // path then reads it). A duplicate's claim names its Standard run, so this one call tells it where to
          // look: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { stored: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return error.Item === undefined
        ? { stored: false }
        : { stored: false, existing: fromItem(unmarshall(error.Item)) };
    }
  }

  /** mayTakeOver's state as a condition: still the previous owner's, still no run. */
  protected async replaceOwner(record: DedupeRecord, previousOwner: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: record.key }),
          UpdateExpression: 'SET #owner = :owner, leaseUntil = :leaseUntil',
          ConditionExpression: '#owner = :previousOwner AND attribute_not_exists(#run)',
          ExpressionAttributeNames: { '#owner': 'owner', '#run': 'run' },
          ExpressionAttributeValues: marshall({
            ':owner': record.owner,
            ':leaseUntil': record.leaseUntil,
            ':previousOwner': previousOwner,
          }),
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return false;
    }
  }

  /** mayComplete as a condition. */
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

  /** mayRelease as a condition. */
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

  protected async read(key: string): Promise<DedupeRecord | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: key }), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : fromItem(unmarshall(Item));
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
    ...(typeof item.executionArn === 'string' ? { executionArn: item.executionArn } : {}),
    ...(run === undefined ? {} : { run: { executionArn: String(run.executionArn), startDate: String(run.startDate) } }),
  };
}
