import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import { loadLocalConfig } from '../local/local-config';
import { ExampleWorkflows } from './example-workflows';
import { Hookflow, type HookflowProps } from './hookflow';

export interface HookflowStackProps extends StackProps {
  readonly hookflow?: HookflowProps;
  /**
   * The file whose flows, client webhooks, inbound, event and webhook workflows the stack registers, bound to the example
   * workflows. Default: local/hookflow.local.json, so the deployed stack answers the README's examples just
   * as the local stack does. Its API keys and secrets are never deployed: create real ones with scripts/.
   */
  readonly registrations?: string;
  /**
   * Who the stack's alarms email (the fan-out dead-letter alarm): an address subscribed to the alarm topic, which
   * must confirm the subscription. Subscribe anything else (chat, paging) to the topic output `AlarmTopicArn`.
   * @default - no subscriber: the topic still exists, so one can be added without a redeploy
   */
  readonly alarmEmail?: string;
}

/** The reference stack: hookflow, the example workflows, and the example registrations. */
export class HookflowStack extends Stack {
  readonly hookflow: Hookflow;

  constructor(scope: Construct, id: string, props: HookflowStackProps = {}) {
    super(scope, id, props);
    // A dead-letter alarm must reach someone (docs/construct.md, "When the dead-letter alarm fires").
    const alarms = new Topic(this, 'AlarmTopic', { displayName: 'hookflow alarms', enforceSSL: true });
    Validations.of(alarms).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SNS2',
      reason:
        "Alarm notifications carry an alarm's name, state and metric, no webhook data. CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, and a customer managed key costs a monthly fee for nothing secret.",
    });
    if (props.alarmEmail !== undefined) alarms.addSubscription(new EmailSubscription(props.alarmEmail));
    const hookflow = new Hookflow(this, 'Hookflow', {
      deadLetterAlarmActions: [new SnsAction(alarms)],
      ...props.hookflow,
    });
    const workflows = new ExampleWorkflows(this, 'Workflows', {
      waitForEvent: hookflow.functions.get('wait-for-event')!,
      dedupeTable: hookflow.tables.dedupe,
    });
    const config = loadLocalConfig(props.registrations ?? join(__dirname, '..', 'local', 'hookflow.local.json'));

    for (const flow of config.flows) {
      hookflow.bindFlow(flow.flowId, workflows.get(flow.workflow), { published: flow.published });
    }
    for (const webhook of config.clientWebhooks) {
      hookflow.addClientWebhook({
        client: webhook.client,
        name: webhook.name,
        workflow: workflows.get(webhook.workflow),
        ...(webhook.devWorkflow === undefined ? {} : { devWorkflow: workflows.get(webhook.devWorkflow) }),
        runAs: webhook.runAs,
        mode: webhook.mode,
      });
    }
    for (const workflow of config.inbound.workflows) {
      hookflow.addInboundWorkflow({
        name: workflow.name,
        workflowId: workflow.workflowId,
        stateMachine: workflows.get(workflow.workflow),
      });
    }
    for (const workflow of config.eventWorkflows) {
      hookflow.addEventWorkflow({
        ref: workflow.ref,
        stateMachine: workflows.get(workflow.workflow),
        eventTypes: workflow.eventTypes,
      });
    }
    for (const template of config.webhookWorkflows) {
      hookflow.addWebhookWorkflow({
        orgId: template.orgId,
        id: template.id,
        name: template.name ?? template.id,
        stateMachine: workflows.get(template.workflow),
      });
    }
    this.hookflow = hookflow;

    new CfnOutput(this, 'ApiUrl', { value: hookflow.url, description: 'Base URL of every hookflow route' });
    new CfnOutput(this, 'RegistryTableName', {
      value: hookflow.tables.registry.tableName,
      description: 'For scripts/: API keys, webhook keys, inbound secrets',
    });
    new CfnOutput(this, 'FanoutDeadLetterQueueUrl', { value: hookflow.fanout.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: alarms.topicArn,
      description: 'Subscribe whoever must hear of alarms',
    });
  }
}
