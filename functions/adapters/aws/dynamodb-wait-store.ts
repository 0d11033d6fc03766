import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type { EarlyCallback, WaitStore, WaitingTask } from '../../core/ports';
import { putUnlessLive } from './put-unless-live';
import { waitKey } from './registry-items';

/** What the waiting workflow wrote (workflows/wait-for-event-states.ts), or an early callback kept here. */
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
    // Nothing there, or only an expired leftover. A waiting task has no expiresAt: never overwritten.
    return putUnlessLive(this.client, this.tableName, {
      ...waitKey(ref, topic),
      status: 'EARLY',
      callbackStatus: callback.callbackStatus,
      // JSON text: the waiting state turns it back with States.StringToJson.
      output: JSON.stringify(callback.output ?? null),
      resumedBy: callback.eventId,
      expiresAt: Math.floor(callback.expiresAt.getTime() / 1000),
      // The workflow compares with $$.State.EnteredTime, an ISO 8601 string (same format: sorts as time).
      expiresAtIso: callback.expiresAt.toISOString(),
    });
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
          // Written by the workflow without a status: absent means waiting.
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
