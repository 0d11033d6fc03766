import { type Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  Choice,
  Condition,
  CustomState,
  Fail,
  type INextable,
  JsonPath,
  type IStateMachine,
  Pass,
  type State,
  StateMachineFragment,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { CONDITION_FAILED, waitForEventStates, waitStateNames } from '../workflows/wait-for-event-states';

export interface WaitForEventProps {
  /** hookflow's dedupe table (`hookflow.tables.dedupe`), where the callback handler looks tokens up. */
  readonly table: ITable;
  /** What the run waits for: `GET|POST /api/v2/callback?ref=<run ref>&topic=<topic>`, or a CloudEvent of that type. */
  readonly topic: string;
  /** How long the run waits; then it fails with Callback.TimedOut (and a late callback gets 410). */
  readonly timeout: Duration;
  /** The run's ref, as a JSONPath. Default: the execution name, which hookflow returns as `runRef`. */
  readonly refPath?: string;
  /** Where the callback's payload (or the event) goes in the state. Default `$.<topic>`. */
  readonly resultPath?: string;
}

/**
 * For workflow authors: pauses the run until hookflow's callback (or a matching CloudEvent) resumes it. The
 * states are those of workflows/wait-for-event-states.ts (what `hookflow:WaitForEvent` expands to in ASL
 * files): the task writes its token under `wait#<ref>#<topic>` through DynamoDB's `.waitForTaskToken`
 * integration, takes a callback that arrived before it instead, and fails the run with Callback.TimedOut
 * after `timeout`. The run must be STANDARD.
 *
 *   const wait = new WaitForEvent(this, 'Wait for approval', { table: hookflow.tables.dedupe, topic: 'approval', timeout: Duration.hours(1) });
 *   const machine = new StateMachine(this, 'Orders', { definitionBody: DefinitionBody.fromChainable(wait.next(done)) });
 *   wait.grantTo(machine);
 */
export class WaitForEvent extends StateMachineFragment {
  readonly startState: State;
  readonly endStates: INextable[];
  private readonly table: ITable;

  constructor(scope: Construct, id: string, props: WaitForEventProps) {
    super(scope, id);
    const names = waitStateNames(id);
    const asl = waitForEventStates({
      name: id,
      topic: props.topic,
      timeoutSeconds: props.timeout.toSeconds(),
      tableName: props.table.tableName,
      partition: Stack.of(scope).partition,
      ...(props.refPath === undefined ? {} : { refPath: props.refPath }),
      ...(props.resultPath === undefined ? {} : { resultPath: props.resultPath }),
      next: 'after',
    });
    // The same states as the ASL, transitions left to CDK's chaining.
    const body = (name: string) => {
      const { Next: _next, End: _end, Catch: _catch, ...state } = asl[name]!;
      return state;
    };
    const resultPath = props.resultPath ?? `$.${props.topic}`;
    const timedOut = new Fail(this, names.timedOut, {
      error: 'Callback.TimedOut',
      cause: String(asl[names.timedOut]!.Cause),
    });
    const failed = new Fail(this, names.failed, { error: 'Callback.Failed', cause: String(asl[names.failed]!.Cause) });
    const result = new Pass(this, names.result, { inputPath: `${resultPath}.output`, resultPath });
    const early = new CustomState(this, names.early, { stateJson: body(names.early) }).next(
      new Choice(this, names.outcome)
        .when(Condition.stringEquals(`${resultPath}.status`, 'failed'), failed)
        .otherwise(result),
    );
    const wait = new CustomState(this, names.wait, { stateJson: body(names.wait) })
      .addCatch(early, { errors: [CONDITION_FAILED], resultPath: JsonPath.DISCARD })
      .addCatch(timedOut, { errors: ['States.Timeout'], resultPath: JsonPath.DISCARD });
    this.startState = wait;
    this.endStates = [wait, result];
    this.table = props.table;
  }

  /** Lets the state machine's role store its token and take an early callback: PutItem and UpdateItem only. */
  grantTo(stateMachine: IStateMachine): void {
    stateMachine.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [this.table.tableArn] }),
    );
  }
}
