import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import { loadLocalConfig, withoutSecrets } from '../local/local-config';
import { ExampleWorkflows } from './example-workflows';
import { Hookflow, type HookflowProps } from './hookflow';

export interface HookflowStackProps extends StackProps {
  readonly hookflow?: HookflowProps;
  /**
   * Deploy the demo: the example workflows of workflows/workflows.json and the registrations of `registrations`
   * bound to them, so the deployed stack answers the README's examples as the local stack does. Some demo
   * registrations are open by design (client webhook `myclient/open` needs no key), so a production stack leaves
   * this off and registers its own workflows (docs/configuration.md). `bin/hookflow.ts` sets it from the context
   * `hookflow:demo` (`cdk deploy -c hookflow:demo=true`).
   * @default false - hookflow with no workflows and no registrations
   */
  readonly demo?: boolean;
  /**
   * With `demo`: the file whose registrations the stack registers. Its API keys and secrets are never deployed:
   * create real ones with scripts/ (docs/configuration.md).
   * @default local/hookflow.local.json
   */
  readonly registrations?: string;
  /**
   * Who the stack's alarms email (the fan-out dead-letter alarm): an address subscribed to the alarm topic, which
   * must confirm the subscription. Subscribe anything else (chat, paging) to the topic output `AlarmTopicArn`.
   * @default - no subscriber: the topic still exists, so one can be added without a redeploy
   */
  readonly alarmEmail?: string;
}

/** The reference stack: hookflow, its alarm topic and outputs; with `demo`, the example workflows and registrations. */
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
    if (props.demo === true) {
      const workflows = new ExampleWorkflows(this, 'Workflows', {
        waitForEvent: hookflow.functions.get('wait-for-event')!,
        dedupeTable: hookflow.tables.dedupe,
      });
      const config = loadLocalConfig(props.registrations ?? join(__dirname, '..', 'local', 'hookflow.local.json'));
      // Every kind of registration of the file, with the same schema the local stack checked it with; the secrets
      // it holds for the laptop stay behind (the construct's schema would refuse them).
      for (const { kind, registrations } of config.registrations) {
        for (const registration of registrations) {
          hookflow.addRegistration(kind, withoutSecrets(kind, registration), (name) => workflows.get(name));
        }
      }
    } else if (props.registrations !== undefined) {
      throw new Error(
        "registrations: a registrations file is the demo's; set demo: true, or register your own workflows on the Hookflow construct",
      );
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
