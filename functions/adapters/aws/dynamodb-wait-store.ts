import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import type { WaitStore, WaitingTask } from '../../core/ports';
import { waitKey } from './registry-items';

/** What the waiting workflow wrote (lib/wait-for-event.ts, workflows/approval.asl.json). */
const waitItemSchema = z.object({
  taskToken: z.string().min(1),
  executionArn: z.string().optional(),
  enteredTime: z.string(),
  timeoutSeconds: z.coerce.number().positive(),
  status: z.enum(['WAITING', 'RESUMED', 'EXPIRED']).default('WAITING'),
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
    return { ref, topic, ...parsed.data };
  }

  async claim(ref: string, topic: string): Promise<boolean> {
    return this.setStatus(ref, topic, 'RESUMED', ['WAITING']);
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
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(waitKey(ref, topic)),
          // Written by the workflow without a status: absent means waiting.
          ConditionExpression: `attribute_exists(pk) AND (${from.includes('WAITING') ? 'attribute_not_exists(#s) OR ' : ''}${from.map((_, i) => `#s = :from${i}`).join(' OR ')})`,
          UpdateExpression: 'SET #s = :status, expiresAt = :expiresAt',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: marshall({
            ...Object.fromEntries(from.map((value, i) => [`:from${i}`, value])),
            ':status': status,
            // Kept a day, for a late duplicate callback to get 409 rather than 404; then TTL removes it.
            ':expiresAt': Math.floor(Date.now() / 1000) + 24 * 60 * 60,
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
