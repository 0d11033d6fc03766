import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type { ProcessRecord, ProcessStore } from '../../core/ports';
import { putUnlessLive } from './put-unless-live';
import { processItem, processKey } from './registry-items';

const processSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  webhookId: z.string(),
  eventWorkflowTemplateId: z.string(),
  stateMachineArn: z.string(),
  executionArn: z.string(),
  triggerEvent: z.string().transform((text) => JSON.parse(text) as unknown),
  fingerprint: z.string(),
  createdOn: z.string(),
});

/**
 * Process records (seed 5) in the dedupe table. They are kept as long as Step Functions keeps a Standard
 * execution's history (90 days), after which there is no status left to report.
 */
export class DynamoDbProcessStore implements ProcessStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionSeconds = 90 * 24 * 60 * 60,
  ) {}

  async create(record: ProcessRecord): Promise<{ created: boolean; record: ProcessRecord }> {
    const expiresAt = Math.floor(Date.parse(record.createdOn) / 1000) + this.retentionSeconds;
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
    if (typeof item.expiresAt === 'number' && item.expiresAt < Date.now() / 1000) return undefined;
    const parsed = processSchema.safeParse(item);
    if (!parsed.success) throw new Error(`process item ${id} is malformed`);
    return parsed.data as ProcessRecord;
  }
}
