import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { LedgerEntry } from '../../core/verify/delivery-ledger';
import type { DeliveryClaimRequest, DeliveryLedger } from '../../core/ports';

/**
 * Replay protection's ledger in the dedupe table, one item per delivery: `pk` = `delivery#<scope>#<how>#<what>`
 * (core/keys.ts), `owner`, `leaseUntil` and `expiresAt` (epoch seconds), and `acceptedAt` once the run started.
 * Every rule of core/verify/delivery-ledger.ts (isClaimable, mayConfirm, mayRelease) is a condition expression
 * here, evaluated atomically on the item (test/unit/adapters/delivery-ledger-contract.test.ts runs the same cases
 * through this ledger and the in-memory one that calls those rules)
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html);
 * expiry is checked there too, because TTL deletes late (and dynalite never does).
 * Entries written by earlier versions carry neither `owner` nor `leaseUntil`: with no lease to run out they
 * count as accepted, as they were.
 */
export class DynamoDbDeliveryLedger implements DeliveryLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async claim(request: DeliveryClaimRequest): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({
            pk: `delivery#${request.key}`,
            owner: request.owner,
            leaseUntil: request.leaseUntil,
            expiresAt: request.expiresAt,
          }),
          // Absent, past its window, or still pending after its owner's lease ran out (the owner died before
          // it could start the run or release the entry).
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt < :now OR (attribute_not_exists(acceptedAt) AND leaseUntil < :now)',
          ExpressionAttributeValues: marshall({ ':now': request.now }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async confirm(key: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: `delivery#${key}` }),
          UpdateExpression: 'SET acceptedAt = :at',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: marshall({ ':owner': owner, ':at': Math.floor(Date.now() / 1000) }),
        }),
      );
    } catch (error) {
      // Another copy took the entry over after this owner's lease ran out: the entry is theirs to settle.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async release(key: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: `delivery#${key}` }),
          ConditionExpression: '#owner = :owner AND attribute_not_exists(acceptedAt)',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: marshall({ ':owner': owner }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async peek(key: string): Promise<LedgerEntry | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk: `delivery#${key}` }),
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) return undefined;
    const item = unmarshall(Item) as { owner?: string; leaseUntil?: number; expiresAt?: number; acceptedAt?: number };
    return {
      ...(item.owner === undefined ? {} : { owner: item.owner }),
      ...(item.leaseUntil === undefined ? {} : { leaseUntil: item.leaseUntil }),
      expiresAt: item.expiresAt ?? 0,
      accepted: item.acceptedAt !== undefined,
    };
  }
}
