import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type { BeginningWait, EarlyCallback, WaitStore, WaitingTask } from '../../core/ports';
import { putUnlessLive } from './put-unless-live';
import { waitKey } from './registry-items';

/** What the wait-for-event function wrote for a waiting task (beginWait), or an early callback kept here. */
const waitItemSchema = z.object({
  taskToken: z.string().min(1).optional(),
  executionArn: z.string().optional(),
  enteredTime: z.string().optional(),
  timeoutSeconds: z.coerce.number().positive().optional(),
  status: z.enum(['WAITING', 'RESUMED', 'EXPIRED', 'EARLY']).default('WAITING'),
  resumedBy: z.string().optional(),
  expiresAtIso: z.string().optional(),
});

/** Waiting tasks in the dedupe table, claimed with a conditional update so only one callback resumes each. */
export class DynamoDbWaitStore implements WaitStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(ref: string, topic: string): Promise<WaitingTask | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall(waitKey(ref, topic)), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const parsed = waitItemSchema.safeParse(unmarshall(Item));
    if (!parsed.success) throw new Error(`wait item for ${ref}/${topic} is malformed`);
    const item = parsed.data;
    if (item.status !== 'EARLY' && (item.taskToken === undefined || item.enteredTime === undefined)) {
      // An early callback the workflow took: RESUMED, with no token of its own.
      if (item.status === 'RESUMED') return { ref, topic, ...item };
      throw new Error(`wait item for ${ref}/${topic} has no task token`);
    }
    return { ref, topic, ...item };
  }

  async claim(ref: string, topic: string, eventId?: string): Promise<boolean> {
    return this.setStatus(ref, topic, 'RESUMED', ['WAITING'], eventId);
  }

  async keepEarly(ref: string, topic: string, callback: EarlyCallback): Promise<boolean> {
    // Nothing there, or only an expired leftover: a waiting task's item lives until its timeout plus
    // WAIT_ITEM_GRACE_SECONDS (then it is as good as deleted by TTL).
    return putUnlessLive(this.client, this.tableName, {
      ...waitKey(ref, topic),
      status: 'EARLY',
      callbackStatus: callback.callbackStatus,
      // JSON text, as kept; the wait that takes it parses it back.
      output: JSON.stringify(callback.output ?? null),
      resumedBy: callback.eventId,
      expiresAt: Math.floor(callback.expiresAt.getTime() / 1000),
      // What deliverCallback compares to the millisecond (expiresAt, in seconds, is the TTL attribute).
      expiresAtIso: callback.expiresAt.toISOString(),
    });
  }

  async beginWait(wait: BeginningWait, now: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({
            ...waitKey(wait.ref, wait.topic),
            status: 'WAITING',
            taskToken: wait.taskToken,
            executionArn: wait.executionArn,
            enteredTime: wait.enteredTime,
            timeoutSeconds: wait.timeoutSeconds,
            // The dedupe table's TTL attribute (table-schemas.ts), in epoch seconds as DynamoDB's TTL requires; it
            // deletes typically within two days of expiry, hence the conditions check expiry themselves
            // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html).
            expiresAt: wait.expiresAt,
          }),
          // Only a live early callback is kept out of the way: the wait takes it instead (takeEarly). Items
          // written before waits had a status count as not early. TTL deletes late: expiry is checked here.
          ConditionExpression:
            'attribute_not_exists(pk) OR attribute_not_exists(#s) OR #s <> :early OR expiresAt < :now',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: marshall({ ':early': 'EARLY', ':now': Math.floor(now / 1000) }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async takeEarly(
    ref: string,
    topic: string,
    taker: { readonly executionArn: string; readonly now: number; readonly retainUntil: number },
  ): Promise<EarlyCallback | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(waitKey(ref, topic)),
          // The same expiry boundary as beginWait's condition: what it refused as live, this can take.
          ConditionExpression: '#s = :early AND expiresAt >= :now',
          UpdateExpression: 'SET #s = :resumed, expiresAt = :retain, executionArn = :arn',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: marshall({
            ':early': 'EARLY',
            ':resumed': 'RESUMED',
            ':now': Math.floor(taker.now / 1000),
            ':retain': taker.retainUntil,
            ':arn': taker.executionArn,
          }),
          // The callback as it was kept: returnEarly can restore it exactly.
          ReturnValues: 'ALL_OLD',
        }),
      );
      return earlyCallbackOf(unmarshall(Attributes ?? {}));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async returnEarly(ref: string, topic: string, callback: EarlyCallback): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(waitKey(ref, topic)),
          ConditionExpression: '#s = :resumed',
          UpdateExpression: 'SET #s = :early, expiresAt = :expiresAt REMOVE executionArn',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: marshall({
            ':resumed': 'RESUMED',
            ':early': 'EARLY',
            ':expiresAt': Math.floor(callback.expiresAt.getTime() / 1000),
          }),
        }),
      );
    } catch (error) {
      // Something else replaced it meanwhile (a new wait): nothing to give back to.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async release(ref: string, topic: string): Promise<void> {
    await this.setStatus(ref, topic, 'WAITING', ['RESUMED']);
  }

  async markExpired(ref: string, topic: string): Promise<void> {
    await this.setStatus(ref, topic, 'EXPIRED', ['WAITING', 'RESUMED']);
  }

  /** Moves the task to `status` if it is in one of `from` (an absent status counts as WAITING). */
  private async setStatus(
    ref: string,
    topic: string,
    status: WaitingTask['status'],
    from: readonly WaitingTask['status'][],
    resumedBy?: string,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(waitKey(ref, topic)),
          // Wait items written before the wait-for-event function (by the workflow itself) had no status: absent
          // means waiting.
          ConditionExpression: `attribute_exists(pk) AND (${from.includes('WAITING') ? 'attribute_not_exists(#s) OR ' : ''}${from.map((_, i) => `#s = :from${i}`).join(' OR ')})`,
          UpdateExpression: `SET #s = :status, expiresAt = :expiresAt${resumedBy === undefined ? '' : ', resumedBy = :by'}`,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: marshall({
            ...Object.fromEntries(from.map((value, i) => [`:from${i}`, value])),
            ':status': status,
            // Kept a day, for a late duplicate callback to get 409 rather than 404; then TTL removes it.
            ':expiresAt': Math.floor(Date.now() / 1000) + 24 * 60 * 60,
            ...(resumedBy === undefined ? {} : { ':by': resumedBy }),
          }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

const earlyItemSchema = z.object({
  callbackStatus: z.enum(['succeeded', 'failed']),
  output: z.string(),
  resumedBy: z.string().optional(),
  expiresAt: z.number(),
});

/** An EARLY item as keepEarly wrote it. */
function earlyCallbackOf(item: Record<string, unknown>): EarlyCallback {
  const parsed = earlyItemSchema.safeParse(item);
  if (!parsed.success) throw new Error('early callback item is malformed');
  return {
    callbackStatus: parsed.data.callbackStatus,
    output: JSON.parse(parsed.data.output) as unknown,
    ...(parsed.data.resumedBy === undefined ? {} : { eventId: parsed.data.resumedBy }),
    expiresAt: new Date(parsed.data.expiresAt * 1000),
  };
}
