import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { queryPartition } from './query-partition';
import * as z from '../../core/zod';
import { whenBusyField } from '../../core/registration';
import type { RegisteredWebhook, WebhookBinding, WebhookSettingsChange, WebhookStore } from '../../core/ports';
import {
  type SigningSecrets,
  registrationVerifierSchema,
  signingSecretsSchema,
} from '../../core/verify/verifier-config';
import {
  orgWebhookListingKey,
  orgWebhooksPartition,
  webhookBindingItem,
  webhookBindingKey,
  webhookItem,
  webhookKey,
  webhookPartition,
} from './registry-items';

const webhookSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  createdOn: z.string(),
  updatedOn: z.string(),
  createdById: z.string(),
  updatedById: z.string(),
  secrets: signingSecretsSchema,
  verifier: z._default(registrationVerifierSchema, { verifier: { kind: 'contrail' } }),
  recordDeliveries: z.optional(z.boolean()),
  ...whenBusyField,
});

const bindingSchema = z.object({
  webhookId: z.string(),
  eventWorkflowTemplateId: z.string(),
  orgId: z.string(),
  createdOn: z.string(),
  createdById: z.string(),
});

/**
 * Registered webhooks (seed 5) in the registry table. DynamoDB Local alternatives (dynalite) have no
 * transactions, so every multi-item change is ordered so that a crash between writes leaves nothing wrong
 * visible: the webhook item is written first and deleted first, and it alone decides whether a webhook exists.
 */
export class DynamoDbWebhookStore implements WebhookStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private partition(pk: string): Promise<Record<string, unknown>[]> {
    return queryPartition(this.client, this.tableName, pk, { consistentRead: true });
  }

  async create(webhook: RegisteredWebhook): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall(webhookItem(webhook), { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ ...orgWebhookListingKey(webhook.orgId, webhook.id), createdOn: webhook.createdOn }),
      }),
    );
  }

  async updateSecrets(
    id: string,
    orgId: string,
    secrets: SigningSecrets,
    updated: { updatedOn: string; updatedById: string },
    replacing: string,
  ): Promise<'updated' | 'missing' | 'conflict'> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(webhookKey(id)),
          // Compare-and-set on the secret being replaced: a condition expression is checked atomically with
          // the write, so of concurrent rotations exactly one succeeds
          // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
          // CURRENT is a reserved word (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html).
          ConditionExpression: 'orgId = :org AND secrets.#current = :replacing',
          UpdateExpression: 'SET secrets = :secrets, updatedOn = :on, updatedById = :by',
          ExpressionAttributeNames: { '#current': 'current' },
          ExpressionAttributeValues: marshall(
            {
              ':org': orgId,
              ':replacing': replacing,
              ':secrets': secrets,
              ':on': updated.updatedOn,
              ':by': updated.updatedById,
            },
            { removeUndefinedValues: true },
          ),
        }),
      );
      return 'updated';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Which part failed: the webhook (gone, or another organisation's) or the secret (rotated meanwhile).
      const found = await this.get(id);
      return found === undefined || found.webhook.orgId !== orgId ? 'missing' : 'conflict';
    }
  }

  /**
   * One UpdateItem, conditional on the organisation: a condition on an attribute of an item that does not exist is
   * false, so a deleted webhook, or another organisation's, fails it and is 'missing'
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
   * The change is applied as given: each setting in `set` by a SET action, each in `remove` by a REMOVE action (an
   * absent attribute reads as its default), in the one update expression, each keyword once
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html); a setting
   * in neither is not touched. Only values the expression uses are passed: DynamoDB refuses unused ones. ALL_NEW
   * answers the item as it now is (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html).
   */
  async updateSettings(
    id: string,
    orgId: string,
    change: WebhookSettingsChange,
    updated: { updatedOn: string; updatedById: string },
  ): Promise<RegisteredWebhook | undefined> {
    // Attribute names come from the closed list of settings (WebhookSettingName), never from the request.
    const set = Object.entries(change.set).filter(([, value]) => value !== undefined);
    const actions = ['updatedOn = :on', 'updatedById = :by', ...set.map(([name]) => `${name} = :${name}`)];
    const removes = change.remove.length === 0 ? '' : ` REMOVE ${change.remove.join(', ')}`;
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(webhookKey(id)),
          ConditionExpression: 'orgId = :org',
          UpdateExpression: `SET ${actions.join(', ')}${removes}`,
          ExpressionAttributeValues: marshall({
            ':org': orgId,
            ':on': updated.updatedOn,
            ':by': updated.updatedById,
            ...Object.fromEntries(set.map(([name, value]) => [`:${name}`, value])),
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes === undefined ? undefined : parse(webhookSchema, unmarshall(Attributes));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async get(id: string) {
    const items = await this.partition(webhookPartition(id));
    const webhookRow = items.find((item) => item.sk === webhookKey(id).sk);
    if (webhookRow === undefined) return undefined;
    return {
      webhook: parse(webhookSchema, webhookRow),
      bindings: items.filter((item) => item.type === 'webhookBinding').map((item) => parse(bindingSchema, item)),
    };
  }

  async listByOrg(orgId: string): Promise<readonly RegisteredWebhook[]> {
    const ids = (await this.partition(orgWebhooksPartition(orgId))).map((item) => String(item.sk));
    const webhooks: RegisteredWebhook[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, AttributeValue>[] | undefined = ids
        .slice(i, i + 100)
        .map((id) => marshall(webhookKey(id)));
      // BatchGetItem may leave keys unprocessed under load: ask again for exactly those.
      for (let attempt = 0; keys !== undefined && keys.length > 0; attempt++) {
        if (attempt > 0) await backoff(attempt);
        const page: BatchGetItemCommandOutput = await this.client.send(
          new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of page.Responses?.[this.tableName] ?? []) {
          const webhook = parse(webhookSchema, unmarshall(item));
          if (webhook.orgId === orgId) webhooks.push(webhook);
        }
        keys = page.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return webhooks.sort((a, b) => a.createdOn.localeCompare(b.createdOn) || a.id.localeCompare(b.id));
  }

  async delete(id: string, orgId: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshall(webhookKey(id)),
          ConditionExpression: 'orgId = :org',
          ExpressionAttributeValues: marshall({ ':org': orgId }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    // The webhook is gone (triggers get 404 from here on); what follows only tidies up.
    const leftovers = (await this.partition(webhookPartition(id))).map((item) => ({
      pk: String(item.pk),
      sk: String(item.sk),
    }));
    await this.deleteAll([...leftovers, orgWebhookListingKey(orgId, id)]);
    return true;
  }

  async bind(binding: WebhookBinding): Promise<void> {
    await this.client.send(
      new PutItemCommand({ TableName: this.tableName, Item: marshall(webhookBindingItem(binding)) }),
    );
  }

  async unbind(webhookId: string, eventWorkflowTemplateId: string): Promise<boolean> {
    const { Attributes } = await this.client.send(
      new DeleteItemCommand({
        TableName: this.tableName,
        Key: marshall(webhookBindingKey(webhookId, eventWorkflowTemplateId)),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes !== undefined;
  }

  private async deleteAll(keys: readonly { pk: string; sk: string }[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) {
      let requests: WriteRequest[] | undefined = keys
        .slice(i, i + 25)
        .map((key) => ({ DeleteRequest: { Key: marshall(key) } }));
      for (let attempt = 0; requests !== undefined && requests.length > 0; attempt++) {
        if (attempt > 0) await backoff(attempt);
        const result: BatchWriteItemCommandOutput = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.tableName]: requests } }),
        );
        requests = result.UnprocessedItems?.[this.tableName];
      }
    }
  }
}

function parse<T>(schema: z.ZodMiniType<T>, item: Record<string, unknown>): T {
  const parsed = schema.safeParse(item);
  if (!parsed.success) throw new Error(`registry item ${String(item.pk)} ${String(item.sk)} is malformed`);
  return parsed.data;
}

/** Up to 8 attempts, 50 ms doubling; then the unprocessed remainder is an error rather than silently dropped. */
async function backoff(attempt: number): Promise<void> {
  if (attempt >= 8) throw new Error('DynamoDB left items unprocessed after 8 attempts');
  await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1)));
}
