import type { ApiKeyRecord, ClientWebhookRecord, FlowRecord } from '../../core/ports';

/**
 * How registry records sit in the registry table (single-table design: `pk` + `sk`). Shared by the
 * DynamoDB adapter, the CDK flow binding (which seeds items through a custom resource) and the local seed.
 * Items are plain objects for @aws-sdk/util-dynamodb's marshall.
 */
export const flowKey = (flowId: string) => ({ pk: `FLOW#${flowId}`, sk: 'FLOW' });
export const apiKeyKey = (keyHash: string) => ({ pk: `APIKEY#${keyHash}`, sk: 'APIKEY' });

export const flowItem = (flow: FlowRecord) => ({ ...flowKey(flow.flowId), type: 'flow', ...flow });
export const apiKeyItem = (apiKey: ApiKeyRecord) => ({
  ...apiKeyKey(apiKey.keyHash),
  type: 'apiKey',
  ...apiKey,
  flows: [...apiKey.flows],
});

export const clientWebhookKey = (client: string, name: string) => ({
  pk: `CLIENTWEBHOOK#${client}#${name}`,
  sk: 'CLIENTWEBHOOK',
});
/** Leaves out absent optional fields: marshall refuses undefined values. */
export const clientWebhookItem = (webhook: ClientWebhookRecord) =>
  JSON.parse(
    JSON.stringify({ ...clientWebhookKey(webhook.client, webhook.name), type: 'clientWebhook', ...webhook }),
  ) as Record<string, unknown>;
