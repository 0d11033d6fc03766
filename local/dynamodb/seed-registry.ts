import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  apiKeyItem,
  clientWebhookItem,
  eventWorkflowItems,
  flowItem,
  inboundSecretItem,
  inboundWorkflowItems,
  webhookTemplateItem,
} from '../../functions/adapters/aws/registry-items';
import { sha256Hex } from '../../functions/core/auth/secrets';
import type { LocalConfig } from '../local-config';

export interface SeedTarget {
  readonly registryTable: string;
  /** State machine ARN and type by workflow name. */
  readonly workflows: ReadonlyMap<string, { arn: string; type: 'EXPRESS' | 'STANDARD' }>;
}

/** Writes the seed file's flows, API keys and client webhooks (keys hashed, as in AWS) into the registry table. */
export async function seedRegistry(
  client: DynamoDBClient,
  config: LocalConfig,
  target: SeedTarget,
): Promise<{
  flows: number;
  apiKeys: number;
  clientWebhooks: number;
  inboundWorkflows: number;
  eventWorkflows: number;
  webhookWorkflows: number;
}> {
  const workflowTarget = (owner: string, name: string) => {
    const workflow = target.workflows.get(name);
    if (workflow === undefined) {
      throw new Error(`${owner} names workflow "${name}", which workflows/workflows.json lacks`);
    }
    return { stateMachineArn: workflow.arn, workflowType: workflow.type };
  };
  const items = [
    ...config.flows.map((flow) => {
      const workflow = workflowTarget(`flow "${flow.flowId}"`, flow.workflow);
      return flowItem({
        flowId: flow.flowId,
        ...workflow,
        published: flow.published,
        ...(flow.verifier === undefined
          ? {}
          : {
              verifier: {
                verifier: flow.verifier.verifier,
                ...(flow.verifier.replay === undefined ? {} : { replay: flow.verifier.replay }),
                secrets: { current: flow.verifier.secret },
              },
            }),
      });
    }),
    ...config.apiKeys.map((apiKey) =>
      apiKeyItem({
        keyId: apiKey.keyId,
        keyHash: sha256Hex(apiKey.key),
        flows: apiKey.flows,
        orgs: apiKey.orgs,
        disabled: apiKey.disabled,
      }),
    ),
    ...config.clientWebhooks.map((webhook) => {
      const owner = `client webhook "${webhook.client}/${webhook.name}"`;
      return clientWebhookItem({
        client: webhook.client,
        name: webhook.name,
        productive: workflowTarget(owner, webhook.workflow),
        ...(webhook.devWorkflow === undefined ? {} : { dev: workflowTarget(owner, webhook.devWorkflow) }),
        mode: webhook.mode,
        runAs: webhook.runAs,
        ...(webhook.key === undefined ? {} : { keyHash: sha256Hex(webhook.key) }),
      });
    }),
    ...config.inbound.workflows.flatMap((workflow) =>
      inboundWorkflowItems({
        name: workflow.name,
        workflowId: workflow.workflowId,
        ...workflowTarget(`inbound workflow "${workflow.name}"`, workflow.workflow),
      }),
    ),
    inboundSecretItem(config.inbound.secrets.map((secret) => sha256Hex(secret))),
    ...config.eventWorkflows.flatMap((workflow) =>
      eventWorkflowItems({
        ref: workflow.ref,
        eventTypes: workflow.eventTypes,
        ...workflowTarget(`event workflow "${workflow.ref}"`, workflow.workflow),
      }),
    ),
    ...config.webhookWorkflows.map((template) => {
      const owner = `webhook workflow "${template.orgId}/${template.id}"`;
      const workflow = workflowTarget(owner, template.workflow);
      if (workflow.workflowType !== 'STANDARD') {
        throw new Error(`${owner}: ${template.workflow} must be STANDARD (process records read its history)`);
      }
      return webhookTemplateItem({
        id: template.id,
        orgId: template.orgId,
        name: template.name ?? template.id,
        stateMachineArn: workflow.stateMachineArn,
      });
    }),
  ];
  await Promise.all(
    items.map((item) => client.send(new PutItemCommand({ TableName: target.registryTable, Item: marshall(item) }))),
  );
  return {
    flows: config.flows.length,
    apiKeys: config.apiKeys.length,
    clientWebhooks: config.clientWebhooks.length,
    inboundWorkflows: config.inbound.workflows.length,
    eventWorkflows: config.eventWorkflows.length,
    webhookWorkflows: config.webhookWorkflows.length,
  };
}
