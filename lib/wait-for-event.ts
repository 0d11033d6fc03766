import { type Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  CustomState,
  Fail,
  type INextable,
  JsonPath,
  type IStateMachine,
  type State,
  StateMachineFragment,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { waitForEventStates, waitStateNames } from '../workflows/wait-for-event-states';

export interface WaitForEventProps {
  /**
   * hookflow's wait-for-event function (`hookflow.functions.get('wait-for-event')`): it stores the task token
   * where the callback handler looks it up, or completes the task with a callback that came first.
   */
  readonly handler: IFunction;
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
 * files): a `lambda:invoke.waitForTaskToken` task whose function writes the token under `wait#<ref>#<topic>`
 * (with its TTL) or completes the task at once with a callback that came first, and a Fail
 * Callback.TimedOut after `timeout`. A callback's failure fails the run with the callback's error and cause.
 * The run must be STANDARD (Lambda's Wait for Callback pattern is Standard only:
 * https://docs.aws.amazon.com/step-functions/latest/dg/integrate-optimized.html).
 *
 *   const wait = new WaitForEvent(this, 'Wait for approval', { handler: hookflow.functions.get('wait-for-event')!, topic: 'approval', timeout: Duration.hours(1) });
 *   const machine = new StateMachine(this, 'Orders', { definitionBody: DefinitionBody.fromChainable(wait.next(done)) });
 *   wait.grantTo(machine);
 */
export class WaitForEvent extends StateMachineFragment {
  readonly startState: State;
  readonly endStates: INextable[];
  private readonly handler: IFunction;

  constructor(scope: Construct, id: string, props: WaitForEventProps) {
    super(scope, id);
    const names = waitStateNames(id);
    const asl = waitForEventStates({
      name: id,
      topic: props.topic,
      timeoutSeconds: props.timeout.toSeconds(),
      functionName: props.handler.functionArn,
      partition: Stack.of(scope).partition,
      ...(props.refPath === undefined ? {} : { refPath: props.refPath }),
      ...(props.resultPath === undefined ? {} : { resultPath: props.resultPath }),
      next: 'after',
    });
    // The same states as the ASL (Retry included), transitions left to CDK's chaining.
    const { Next: _next, End: _end, Catch: _catch, ...waitState } = asl[names.wait]!;
    const timedOut = new Fail(this, names.timedOut, {
      error: 'Callback.TimedOut',
      cause: String(asl[names.timedOut]!.Cause),
    });
    const wait = new CustomState(this, names.wait, { stateJson: waitState }).addCatch(timedOut, {
      errors: ['States.Timeout'],
      resultPath: JsonPath.DISCARD,
    });
    this.startState = wait;
    this.endStates = [wait];
    this.handler = props.handler;
  }

  /**
   * Lets the state machine's role call what the states call, and nothing else: lambda:InvokeFunction on the
   * wait-for-event function's unqualified ARN (the task names no version or alias).
   */
  grantTo(stateMachine: IStateMachine): void {
    stateMachine.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.handler.functionArn] }),
    );
  }
}
