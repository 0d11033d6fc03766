import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { marshallItem } from './attribute-values';
import type { DeliveryRecord } from '../../core/deliveries/record';
import type { DedupeRecord, RunHandle } from '../../core/ports';
import { BaseDedupeStore, type FirstWrite, itemExpiresAt } from '../../core/runs/dedupe-claim';
import { runGuardKey } from '../../core/runs/run-guard';
import { DynamoDbDeliveryLog, deliveryAttributes, recordOf } from './dynamodb-delivery-log';
import { deliveriesIndexSchema } from './table-schemas';

/**
 * Dedupe claims in the dedupe table, one item per key. The rules (when a key is free, when a claim may be
 * taken over, who may complete or release it) are BaseDedupeStore's (functions/core/runs/dedupe-claim.ts);
 * this class writes each as a condition expression, so each holds atomically. Expiry is in every condition:
 * DynamoDB's TTL deletes expired items up to days late (and dynalite never does), so TTL only tidies up.
 * Condition expressions: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 *
 * A claim may carry its request's delivery record (docs/deliveries.md: the claim is the record): the record's
 * attributes and `deliveries` index keys ride on the claim's one PutItem. The claim's own expiry is then
 * `dedupeUntil`, and the item's TTL attribute `expiresAt` the later of it and the record's retention. A claim an
 * earlier version wrote has no `dedupeUntil`: its `expiresAt` is its expiry, read and checked as before.
 */
export class DynamoDbDedupeStore extends BaseDedupeStore {
  private readonly deliveryShards: number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** deliveryShards: DELIVERY_INDEX_SHARDS, the index partitions a carried record is written to (default 4). */
    options: { readonly deliveryShards?: number } = {},
  ) {
    super();
    this.deliveryShards = options.deliveryShards ?? 4;
  }

  /**
   * isExpired as a condition: `dedupeUntil <= now` in whole seconds is `expiresAt * 1000 <= now` in ms (a claim
   * of an earlier version: its `expiresAt`). ReturnValues ALL_OLD hands back an expired claim it replaced, so the
   * delivery record that claim carried can be kept (BaseDedupeStore.keepReplaced).
   */
  protected async putIfFree(record: DedupeRecord, nowMs: number): Promise<FirstWrite> {
    try {
      const { Attributes } = await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshallItem(toItem(record, this.deliveryShards)),
          // AND binds before OR, so this reads `… OR (attribute_not_exists(dedupeUntil) AND expiresAt <= …)`:
          // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html#Expressions.OperatorsAndFunctions.Precedence
          // Written without the parentheses because dynalite's expression parser backtracks on a parenthesized
          // group: with them the local stack's DynamoDB spent about twice the CPU on each claim (docs/performance.md,
          // "Local throughput"). DynamoDB bills a write by the item's size, not its expression:
          // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
          ConditionExpression:
            'attribute_not_exists(pk) OR dedupeUntil <= :nowSeconds OR attribute_not_exists(dedupeUntil) AND expiresAt <= :nowSeconds',
          ExpressionAttributeValues: marshallItem({ ':nowSeconds': Math.floor(nowMs / 1000) }),
          // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValues
          ReturnValues: 'ALL_OLD',
          // Real DynamoDB returns the live claim with the failure, saving a read; dynalite does not (the duplicate
          // path then reads it). A duplicate's claim names its Standard run, so this one call tells it where to
          // look: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return Attributes === undefined ? { stored: true } : { stored: true, replaced: fromItem(unmarshall(Attributes)) };
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

  /**
   * mayComplete as a condition. The same write names the run in the delivery record the claim carries (`runs`:
   * `completed`'s rule; on a claim that carries none the attribute is unused).
   */
  async complete(key: string, owner: string, run: RunHandle): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk: key }),
        UpdateExpression: 'SET #run = :run, runs = :runs',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner', '#run': 'run' },
        ExpressionAttributeValues: marshall({
          ':owner': owner,
          ':run': run,
          ':runs': [{ executionArn: run.executionArn }],
        }),
      }),
    );
  }

  /** A replaced claim's delivery record, on its own `dlv#` item (deliveries:write). */
  protected async archive(delivery: DeliveryRecord): Promise<void> {
    await new DynamoDbDeliveryLog(this.client, this.tableName, { shards: this.deliveryShards, maxItemsRead: 1 }).put(
      delivery,
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

  /**
   * The run guard's item (functions/core/runs/run-guard.ts), read strongly consistent: the guard's PutItem has
   * returned before the execution goes on, and a duplicate must see it if it is there. An eventually consistent
   * read "might not reflect the results of a recently completed write operation":
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html
   */
  async guardedRun(stateMachineArn: string, executionName: string): Promise<RunHandle | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk: runGuardKey(stateMachineArn, executionName) }),
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) return undefined;
    const { executionArn, startTime } = unmarshall(Item) as { executionArn?: unknown; startTime?: unknown };
    return typeof executionArn === 'string'
      ? { executionArn, startDate: typeof startTime === 'string' ? startTime : '' }
      : undefined;
  }

  protected async read(key: string): Promise<DedupeRecord | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: key }), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : fromItem(unmarshall(Item));
  }
}

function toItem(record: DedupeRecord, shards: number): Record<string, unknown> {
  const { key, delivery, expiresAt, ...rest } = record;
  return {
    ...(delivery === undefined ? {} : deliveryAttributes(delivery, shards)),
    pk: key,
    ...rest,
    dedupeUntil: expiresAt,
    expiresAt: itemExpiresAt(record),
  };
}

function fromItem(item: Record<string, unknown>): DedupeRecord {
  const run = item.run as { executionArn?: unknown; startDate?: unknown } | undefined;
  return {
    key: String(item.pk),
    fingerprint: String(item.fingerprint),
    owner: String(item.owner),
    createdAt: Number(item.createdAt),
    leaseUntil: Number(item.leaseUntil),
    // A claim of an earlier version has no dedupeUntil: its expiresAt was its expiry.
    expiresAt: Number(item.dedupeUntil ?? item.expiresAt),
    ...(typeof item.executionArn === 'string' ? { executionArn: item.executionArn } : {}),
    ...(typeof item.guardedBy === 'string' ? { guardedBy: item.guardedBy } : {}),
    ...(run === undefined ? {} : { run: { executionArn: String(run.executionArn), startDate: String(run.startDate) } }),
    ...(typeof item[deliveriesIndexSchema.sortKey] === 'string' ? { delivery: recordOf(item) } : {}),
  };
}
