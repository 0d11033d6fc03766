import type { ApiKeyRecord, FlowRecord } from '../../core/ports';

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
