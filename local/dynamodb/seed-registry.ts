import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { apiKeyItem, flowItem } from '../../functions/adapters/aws/registry-items';
import { sha256Hex } from '../../functions/core/http/request';
import type { LocalConfig } from '../local-config';

export interface SeedTarget {
  readonly registryTable: string;
  /** State machine ARN and type by workflow name. */
  readonly workflows: ReadonlyMap<string, { arn: string; type: 'EXPRESS' | 'STANDARD' }>;
}

/** Writes the seed file's flows and API keys (hashed, as in AWS) into the registry table. */
export async function seedRegistry(
  client: DynamoDBClient,
  config: LocalConfig,
  target: SeedTarget,
): Promise<{ flows: number; apiKeys: number }> {
  const items = [
    ...config.flows.map((flow) => {
      const workflow = target.workflows.get(flow.workflow);
      if (workflow === undefined) {
        throw new Error(
          `flow "${flow.flowId}" names workflow "${flow.workflow}", which workflows/workflows.json lacks`,
        );
      }
      return flowItem({
        flowId: flow.flowId,
        stateMachineArn: workflow.arn,
        workflowType: workflow.type,
        published: flow.published,
      });
    }),
    ...config.apiKeys.map((apiKey) =>
      apiKeyItem({
        keyId: apiKey.keyId,
        keyHash: sha256Hex(apiKey.key),
        flows: apiKey.flows,
        disabled: apiKey.disabled,
      }),
    ),
  ];
  await Promise.all(
    items.map((item) => client.send(new PutItemCommand({ TableName: target.registryTable, Item: marshall(item) }))),
  );
  return { flows: config.flows.length, apiKeys: config.apiKeys.length };
}
