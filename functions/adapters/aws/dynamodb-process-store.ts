import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from '../../core/zod';
import type { ProcessRecord, ProcessStore } from '../../core/ports';
import { putUnlessLive } from './put-unless-live';
import { processItem, processKey } from './registry-items';
import { PROCESS_RETENTION_SECONDS, isLive, processExpiresAt } from '../../styles/registered-webhooks/process-rules';

const processSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  webhookId: z.string(),
  eventWorkflowTemplateId: z.string(),
  stateMachineArn: z.string(),
  executionArn: z.string(),
  triggerEvent: z.pipe(
    z.string(),
    z.transform((text: string) => JSON.parse(text) as unknown),
  ),
  fingerprint: z.string(),
  createdOn: z.string(),
  queuedOn: z.optional(z.string()),
});

/**
 * Process records (seed 5) in the dedupe table, kept PROCESS_RETENTION_SECONDS by the rules of
 * styles/registered-webhooks/process-rules.ts (putUnlessLive's condition and the read below apply them; the
 * in-memory store of the tests calls them).
 */
export class DynamoDbProcessStore implements ProcessStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionSeconds = PROCESS_RETENTION_SECONDS,
  ) {}

  async create(record: ProcessRecord): Promise<{ created: boolean; record: ProcessRecord }> {
    const expiresAt = processExpiresAt(record, this.retentionSeconds);
    if (await putUnlessLive(this.client, this.tableName, processItem(record, expiresAt)))
      return { created: true, record };
    const existing = await this.get(record.id);
    if (existing === undefined) throw new Error(`process ${record.id} exists but could not be read back`);
    return { created: false, record: existing };
  }

  async get(id: string): Promise<ProcessRecord | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall(processKey(id)), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const item = unmarshall(Item);
    if (typeof item.expiresAt === 'number' && !isLive(item.expiresAt, Date.now())) return undefined;
    const parsed = processSchema.safeParse(item);
    if (!parsed.success) throw new Error(`process item ${id} is malformed`);
    return parsed.data as ProcessRecord;
  }

  /**
   * One UpdateItem, made only when a trigger queued the start (the normal path writes nothing more). SET adds or
   * replaces `queuedOn` (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html);
   * `attribute_exists(pk)` keeps UpdateItem from creating a bare item when the record is gone: it fails with
   * ConditionalCheckFailedException instead
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
   */
  async markQueued(id: string, queuedOn: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(processKey(id)),
          UpdateExpression: 'SET queuedOn = :queuedOn',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: marshall({ ':queuedOn': queuedOn }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
