import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { loadWorkflowManifest } from '../workflows/manifest';
import { runGuardPolicy } from './express-run-guard';
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
    /**
     * `waitForEvent`: hookflow's wait-for-event function (`hookflow.functions.get('wait-for-event')`), which the
     * wait tasks of workflows that wait for callbacks invoke. `dedupeTable`: hookflow's dedupe table, where the
     * run guard at the head of every Express workflow (workflows/express-run-guard.ts) records each run's name.
     */
    props: { waitForEvent: IFunction; dedupeTable: ITable; logRetention?: RetentionDays },
  ) {
    super(scope, id);
    const byName = new Map<string, StateMachine>();
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    // Definition substitutions, filled with deploy-time tokens that CDK turns into references: the function's ARN,
    // the dedupe table's name and the stack's partition (aws, aws-cn, aws-us-gov), so no ARN in an ASL file names a
    // partition itself.
    const substitutions = {
      WaitForEventFunction: props.waitForEvent.functionArn,
      DedupeTable: props.dedupeTable.tableName,
      Partition: Stack.of(this).partition,
    };
    for (const workflow of loadWorkflowManifest(undefined, substitutions)) {
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
      // A workflow that waits for callbacks invokes the wait-for-event function (its unqualified ARN, as its
      // tasks name it), and nothing else: the function itself writes the wait item.
      if (workflow.definitionText.includes('${WaitForEventFunction}')) {
        stateMachine.addToRolePolicy(
          new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.waitForEvent.functionArn] }),
        );
      }
      // The Express run guard's one call: a conditional PutItem of the run's name on the dedupe table.
      if (workflow.definitionText.includes('${DedupeTable}')) {
        stateMachine.addToRolePolicy(runGuardPolicy(props.dedupeTable.tableArn));
        props.dedupeTable.encryptionKey?.grantEncryptDecrypt(stateMachine);
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
