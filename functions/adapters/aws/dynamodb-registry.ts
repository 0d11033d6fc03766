import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ApiKeyRecord, FlowRecord, Registry } from '../../core/ports';
import { apiKeyKey, flowKey } from './registry-items';

/** The registry backed by the registry table: one GetItem per lookup. */
export class DynamoDbRegistry implements Registry {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async getFlow(flowId: string): Promise<FlowRecord | undefined> {
    const item = await this.getItem(flowKey(flowId));
    if (item === undefined) return undefined;
    return {
      flowId: String(item.flowId),
      stateMachineArn: String(item.stateMachineArn),
      workflowType: item.workflowType === 'STANDARD' ? 'STANDARD' : 'EXPRESS',
      published: item.published === true,
    };
  }

  async getApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const item = await this.getItem(apiKeyKey(keyHash));
    if (item === undefined) return undefined;
    return {
      keyId: String(item.keyId),
      keyHash: String(item.keyHash),
      flows: Array.isArray(item.flows) ? item.flows.map(String) : [],
      disabled: item.disabled === true,
    };
  }

  private async getItem(key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key) }));
    return Item === undefined ? undefined : unmarshall(Item);
  }
}
