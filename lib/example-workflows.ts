import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { loadWorkflowManifest } from '../workflows/manifest';
import { acknowledgeLogGroupRules } from './guard-acknowledgements';
import { stackScopedName } from './physical-name';

/**
 * The example state machines of workflows/workflows.json (the same ASL files the local stack runs), each
 * logging every event (without execution data, which holds webhook payloads) and traced with X-Ray.
 */
export class ExampleWorkflows extends Construct {
  readonly byName: ReadonlyMap<string, StateMachine>;

  constructor(
    scope: Construct,
    id: string,
    /** `waitsTable`: where workflows that wait for callbacks store their task tokens (hookflow's dedupe table). */
    props: { waitsTable: ITable; logRetention?: RetentionDays },
  ) {
    super(scope, id);
    const byName = new Map<string, StateMachine>();
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    // The table name is a deploy-time token: substituted into the definition, CDK turns it into a reference.
    for (const workflow of loadWorkflowManifest(undefined, { WaitsTable: props.waitsTable.tableName })) {
      const logs = new LogGroup(this, `${workflow.name}-logs`, {
        // The vendedlogs prefix keeps Step Functions' log delivery under the resource-policy size limit
        // (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html); names are unique per stack.
        // Log group names: up to 512 characters (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html).
        logGroupName: `/aws/vendedlogs/states/${stackScopedName(this, workflow.name, 512 - 23)!}`,
        retention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      acknowledgeLogGroupRules(logs, retention);
      const stateMachine = new StateMachine(this, workflow.name, {
        // Unique per stack, so two hookflow stacks can share an account and region. State machine names: 1-80
        // characters (https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html).
        ...optional('stateMachineName', stackScopedName(this, workflow.name, 80)),
        stateMachineType: workflow.type === 'EXPRESS' ? StateMachineType.EXPRESS : StateMachineType.STANDARD,
        definitionBody: DefinitionBody.fromString(JSON.stringify(workflow.definition)),
        logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
        tracingEnabled: true,
      });
      Validations.of(stateMachine.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'CloudWatch Logs vended-log delivery (logs:CreateLogDelivery etc.) and X-Ray writes support no resource-level permissions.',
      });
      // A workflow that waits for callbacks writes its task token to the waits table itself, and takes a
      // callback that arrived before it waited (an UpdateItem).
      if (workflow.definitionText.includes('${WaitsTable}')) {
        stateMachine.addToRolePolicy(
          new PolicyStatement({
            actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
            resources: [props.waitsTable.tableArn],
          }),
        );
      }
      byName.set(workflow.name, stateMachine);
    }
    this.byName = byName;
  }

  get(name: string): StateMachine {
    const workflow = this.byName.get(name);
    if (workflow === undefined) throw new Error(`workflows/workflows.json has no workflow "${name}"`);
    return workflow;
  }
}

const optional = <K extends string>(key: K, value: string | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;
