import { type Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CustomState, type IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

export interface WaitForEventProps {
  /** hookflow's dedupe table (`hookflow.tables.dedupe`), where the callback handler looks tokens up. */
  readonly table: ITable;
  /** What the run waits for: `GET|POST /api/v2/callback?ref=<run ref>&topic=<topic>`, or a CloudEvent of that type. */
  readonly topic: string;
  /** How long the run waits before the task fails with States.Timeout (and a late callback gets 410). */
  readonly timeout: Duration;
  /** The run's ref, as a JSONPath. Default: the execution name, which hookflow returns as `runRef`. */
  readonly refPath?: string;
  /** Where the callback's payload (or the event) goes in the state. Default `$.<topic>`. */
  readonly resultPath?: string;
}

/**
 * For workflow authors: a state that pauses the run until hookflow's callback (or a matching CloudEvent)
 * resumes it. It writes its task token to the table under `wait#<ref>#<topic>` through DynamoDB's
 * `.waitForTaskToken` integration (which CDK's DynamoPutItem task does not offer) and waits at most
 * `timeout`. The run must be STANDARD. workflows/approval.asl.json is the same state in ASL.
 *
 *   const wait = new WaitForEvent(this, 'Wait for approval', { table: hookflow.tables.dedupe, topic: 'approval', timeout: Duration.hours(1) });
 *   const machine = new StateMachine(this, 'Orders', { definitionBody: DefinitionBody.fromChainable(wait.next(done)) });
 *   wait.grantTo(machine);
 */
export class WaitForEvent extends CustomState {
  private readonly table: ITable;

  constructor(scope: Construct, id: string, props: WaitForEventProps) {
    super(scope, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(scope).partition}:states:::dynamodb:putItem.waitForTaskToken`,
        Parameters: {
          TableName: props.table.tableName,
          Item: {
            pk: { 'S.$': `States.Format('wait#{}#${props.topic}', ${props.refPath ?? '$$.Execution.Name'})` },
            taskToken: { 'S.$': '$$.Task.Token' },
            executionArn: { 'S.$': '$$.Execution.Id' },
            enteredTime: { 'S.$': '$$.State.EnteredTime' },
            timeoutSeconds: { N: String(props.timeout.toSeconds()) },
          },
        },
        TimeoutSeconds: props.timeout.toSeconds(),
        ResultPath: props.resultPath ?? `$.${props.topic}`,
      },
    });
    this.table = props.table;
  }

  /** Lets the state machine's role write its token: PutItem on the table, nothing else. */
  grantTo(stateMachine: IStateMachine): void {
    stateMachine.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [this.table.tableArn] }),
    );
  }
}
