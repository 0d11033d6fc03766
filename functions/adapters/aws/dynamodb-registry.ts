import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { queryPartition } from './query-partition';
import * as z from 'zod';
import type {
  ApiKeyRecord,
  ClientWebhookRecord,
  EventWorkflowRecord,
  FlowRecord,
  InboundWorkflowRecord,
  Registry,
  WebhookWorkflowTemplate,
} from '../../core/ports';
import {
  apiKeyKey,
  clientWebhookKey,
  eventSubscriptionPartition,
  eventWorkflowKey,
  flowKey,
  inboundSecretKey,
  inboundVerifierKey,
  inboundWorkflowKey,
  webhookTemplatePartition,
} from './registry-items';
import { type StoredVerifier, storedVerifierSchema } from '../../core/verify/verifier-config';
import { workflowTargetSchema } from '../../core/registration';
import { clientWebhookRecordSchema } from '../../styles/client-webhook/registration';

const workflowTarget = workflowTargetSchema;

/** The registry backed by the registry table: one GetItem per lookup. */
export class DynamoDbRegistry implements Registry {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private partition(pk: string): Promise<Record<string, unknown>[]> {
    return queryPartition(this.client, this.tableName, pk);
  }

  async getFlow(flowId: string): Promise<FlowRecord | undefined> {
    const item = await this.getItem(flowKey(flowId));
    if (item === undefined) return undefined;
    return {
      flowId: String(item.flowId),
      stateMachineArn: String(item.stateMachineArn),
      workflowType: item.workflowType === 'STANDARD' ? 'STANDARD' : 'EXPRESS',
      published: item.published === true,
      ...verifierOf(item),
    };
  }

  async getApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const item = await this.getItem(apiKeyKey(keyHash));
    if (item === undefined) return undefined;
    return {
      keyId: String(item.keyId),
      keyHash: String(item.keyHash),
      flows: Array.isArray(item.flows) ? item.flows.map(String) : [],
      orgs: Array.isArray(item.orgs) ? item.orgs.map(String) : [],
      disabled: item.disabled === true,
    };
  }

  async getClientWebhook(client: string, name: string): Promise<ClientWebhookRecord | undefined> {
    const item = await this.getItem(clientWebhookKey(client, name));
    if (item === undefined) return undefined;
    const parsed = clientWebhookRecordSchema.safeParse(item);
    if (!parsed.success) {
      throw new Error(`registry item ${String(item.pk)} is malformed: ${parsed.error.issues[0]?.message ?? ''}`);
    }
    return parsed.data;
  }

  async getInboundWorkflow(nameOrId: string): Promise<InboundWorkflowRecord | undefined> {
    const item = await this.getItem(inboundWorkflowKey(nameOrId));
    if (item === undefined) return undefined;
    const parsed = workflowTarget.extend({ workflowId: z.string(), name: z.string() }).safeParse(item);
    if (!parsed.success) throw new Error(`registry item ${String(item.pk)} is malformed`);
    return parsed.data;
  }

  async getInboundSecretHashes(): Promise<readonly string[]> {
    const item = await this.getItem(inboundSecretKey());
    // The layout before the verifier had an item of its own kept it here, where GET /inbound/runs could read
    // it; the verifying handler now reads only INBOUNDVERIFIER, so such an item would silently stop checking
    // signatures. Refuse it instead (fail closed) until scripts/set-verifier.ts moves it.
    if (item?.verifier !== undefined) {
      throw new Error(
        'registry item INBOUNDSECRET still holds the inbound verifier: run scripts/set-verifier.ts --registration inbound --rotate (or --remove) to move it to INBOUNDVERIFIER',
      );
    }
    return Array.isArray(item?.secretHashes) ? item.secretHashes.map(String) : [];
  }

  async getInboundVerifier(): Promise<StoredVerifier | undefined> {
    const item = await this.getItem(inboundVerifierKey());
    return item === undefined ? undefined : verifierOf(item).verifier;
  }

  async getEventWorkflow(ref: string): Promise<EventWorkflowRecord | undefined> {
    const item = await this.getItem(eventWorkflowKey(ref));
    return item === undefined ? undefined : parseEventWorkflow(item);
  }

  async getEventSubscribers(type: string): Promise<readonly EventWorkflowRecord[]> {
    return (await this.partition(eventSubscriptionPartition(type))).map(parseEventWorkflow);
  }

  async getWebhookTemplates(orgId: string): Promise<readonly WebhookWorkflowTemplate[]> {
    return (await this.partition(webhookTemplatePartition(orgId))).map((item) => {
      const parsed = webhookTemplateSchema.safeParse(item);
      if (!parsed.success) throw new Error(`registry item ${String(item.pk)} ${String(item.sk)} is malformed`);
      return parsed.data;
    });
  }

  private async getItem(key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key) }));
    return Item === undefined ? undefined : unmarshall(Item);
  }
}

const webhookTemplateSchema = z.object({
  id: z.string().min(1),
  orgId: z.string().min(1),
  name: z.string(),
  stateMachineArn: z.string().startsWith('arn:'),
});

const eventWorkflowSchema = workflowTarget.extend({
  ref: z.string(),
  eventTypes: z.array(z.string()).default([]),
  verifier: storedVerifierSchema.optional(),
});

/** A registration's optional verifier (scripts/set-verifier.ts); a malformed one fails loudly, never open. */
function verifierOf(item: Record<string, unknown>): { verifier?: StoredVerifier } {
  if (item.verifier === undefined) return {};
  const parsed = storedVerifierSchema.safeParse(item.verifier);
  if (!parsed.success) throw new Error(`registry item ${String(item.pk)} has a malformed verifier`);
  return { verifier: parsed.data };
}

function parseEventWorkflow(item: Record<string, unknown>): EventWorkflowRecord {
  const parsed = eventWorkflowSchema.safeParse(item);
  if (!parsed.success) throw new Error(`registry item ${String(item.pk)} is malformed`);
  return parsed.data;
}
