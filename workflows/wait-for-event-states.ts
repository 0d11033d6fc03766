/**
 * The states of "wait for an event" (seed 3's callbacks), as ASL: the one definition both the
 * `hookflow:WaitForEvent` macro of workflows/*.asl.json and the CDK construct lib/wait-for-event.ts produce.
 *
 *   <name>              Task lambda:invoke.waitForTaskToken: hookflow's wait-for-event function stores the
 *                       token under wait#<ref>#<topic> (with its TTL), or, if a callback arrived first, takes
 *                       that callback and completes this very token with it at once
 *   <name>: timed out   Fail Callback.TimedOut: no callback within the timeout
 *
 * Why a Lambda function and not a DynamoDB task: Step Functions' optimized DynamoDB integration is
 * request-response only (no `.waitForTaskToken`), so CreateStateMachine refuses
 * `dynamodb:putItem.waitForTaskToken`; Lambda's optimized integration supports Wait for Callback in Standard
 * workflows (https://docs.aws.amazon.com/step-functions/latest/dg/integrate-optimized.html, "Optimized
 * integrations" table). The AWS SDK integration (`aws-sdk:dynamodb:putItem.waitForTaskToken`) would be
 * accepted too, but a JSONPath state cannot compute the epoch-seconds TTL DynamoDB expects (the context
 * object has only ISO timestamps, intrinsics have no date arithmetic), so its wait items would never expire.
 */
export interface WaitForEventOptions {
  /** The first state's name; the other is named after it. */
  readonly name: string;
  readonly topic: string;
  readonly timeoutSeconds: number;
  /**
   * hookflow's wait-for-event function (functions/styles/events/handlers/wait-for-event.ts): `${WaitForEventFunction}` in ASL
   * files, the function's ARN (a token) in CDK.
   */
  readonly functionName: string;
  /** The run's ref, as a JSONPath. Default: the execution name, which hookflow returns as `runRef`. */
  readonly refPath?: string;
  /** Where the callback's payload goes. Default `$.<topic>`. */
  readonly resultPath?: string;
  /** The state after the wait; absent: the wait ends the run. */
  readonly next?: string;
  /**
   * The partition in the integration's ARN: `${Partition}` in ASL files (a definition substitution: CDK fills
   * it with the stack's partition, the local stack with `aws`), `Stack.partition` in CDK.
   */
  readonly partition?: string;
}

export type AslState = Record<string, unknown>;

/**
 * Lambda's transient service errors, retried as AWS recommends for every Lambda task
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html). A retry is safe:
 * the function overwrites its own earlier wait item with the retry's new token.
 */
export const LAMBDA_TRANSIENT_RETRY = {
  ErrorEquals: [
    'Lambda.ClientExecutionTimeoutException',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
  ],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
} as const;

/**
 * The wait's own failures that left nothing behind a retry cannot replace, retried with a new token (the function
 * then writes its wait afresh, or takes the early callback it had to give back):
 * - `WaitForEvent.Busy`: DynamoDB or Step Functions refused the function's call on every attempt (a throttle), or
 *   an early callback's resume failed busy and the callback is kept again as it was, or the wait's put got no
 *   answer where its item says until when a retry may write: a callback that finds its token meanwhile is kept for
 *   the retry (functions/styles/events/wait-for-event.ts, `WaitBusyError`);
 * - `WaitForEvent.Contended`: early callbacks kept coming and going between its two writes; none was taken;
 * - `Lambda.TooManyRequestsException`: Lambda refused the invocation (no concurrency left), so the function never
 *   ran. "When Lambda hits the maximum number of invocations, the error is Lambda.TooManyRequestsException"
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html): Invoke's refusal, HTTP
 *   429, "the request throughput limit was exceeded" (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html,
 *   "Errors"), so nothing ran.
 * Not here: `EngineBusyError` (a take that got no answer may have taken a callback; a put, where the payload has no
 * entry time), nor
 * `Lambda.Unknown` (the function timed out part-way): docs/waits.md, "What fails the task, and what is retried".
 * The same backoff as the Lambda service errors', from 2 s: an attempt's own SDK retries have already waited out
 * the short throttles.
 */
export const WAIT_BUSY_RETRY = {
  ErrorEquals: ['WaitForEvent.Busy', 'WaitForEvent.Contended', 'Lambda.TooManyRequestsException'],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
} as const;

/** The Payload the wait-for-event function receives (functions/styles/events/wait-for-event.ts parses it). */
export interface WaitForEventPayload {
  readonly taskToken: string;
  readonly ref: string;
  readonly topic: string;
  readonly timeoutSeconds: number;
  readonly executionArn: string;
  readonly enteredTime: string;
}

export const waitStateNames = (name: string) => ({
  wait: name,
  timedOut: `${name}: timed out`,
});

export function waitForEventStates(options: WaitForEventOptions): Record<string, AslState> {
  const names = waitStateNames(options.name);
  const resultPath = options.resultPath ?? `$.${options.topic}`;
  const partition = options.partition ?? '${Partition}';
  const onward = options.next === undefined ? { End: true } : { Next: options.next };
  return {
    [names.wait]: {
      Type: 'Task',
      // https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html: FunctionName and Payload are
      // Lambda Invoke's parameters; with .waitForTaskToken the task's result is what SendTaskSuccess sends, and
      // an error the function throws fails the task under the function's error name.
      Resource: `arn:${partition}:states:::lambda:invoke.waitForTaskToken`,
      Parameters: {
        FunctionName: options.functionName,
        Payload: {
          'taskToken.$': '$$.Task.Token',
          // A ref path may point at a number (an order id): a ref is always a string.
          'ref.$': options.refPath === undefined ? '$$.Execution.Name' : `States.Format('{}', ${options.refPath})`,
          topic: options.topic,
          timeoutSeconds: options.timeoutSeconds,
          'executionArn.$': '$$.Execution.Id',
          // When the run entered this state: the task's TimeoutSeconds cannot have begun before it, so the wait
          // function can tell a task closed early from one timed out
          // (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
          'enteredTime.$': '$$.State.EnteredTime',
        },
      },
      TimeoutSeconds: options.timeoutSeconds,
      ResultPath: resultPath,
      Retry: [LAMBDA_TRANSIENT_RETRY, WAIT_BUSY_RETRY],
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: names.timedOut }],
      ...onward,
    },
    [names.timedOut]: {
      Type: 'Fail',
      Error: 'Callback.TimedOut',
      Cause: `no callback on topic "${options.topic}" within ${options.timeoutSeconds} s`,
    },
  };
}

/**
 * Expands every `{"Type": "hookflow:WaitForEvent", "Topic", "TimeoutSeconds", ["RefPath"], ["ResultPath"],
 * ["Function"], "Next" | "End"}` state of a definition into the states above (nested Parallel/Map branches too).
 */
export function expandWaitForEvent(definition: Record<string, unknown>): Record<string, unknown> {
  const states = definition.States as Record<string, AslState> | undefined;
  if (states === undefined) return definition;
  const expanded: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'hookflow:WaitForEvent') {
      expanded[name] = expandNested(state);
      continue;
    }
    const { Topic, TimeoutSeconds, RefPath, ResultPath, Function: fn, Next } = state as Record<string, unknown>;
    if (typeof Topic !== 'string' || typeof TimeoutSeconds !== 'number' || TimeoutSeconds <= 0) {
      throw new Error(`${name}: hookflow:WaitForEvent needs "Topic" and a positive "TimeoutSeconds"`);
    }
    Object.assign(
      expanded,
      waitForEventStates({
        name,
        topic: Topic,
        timeoutSeconds: TimeoutSeconds,
        functionName: typeof fn === 'string' ? fn : '${WaitForEventFunction}',
        ...(typeof RefPath === 'string' ? { refPath: RefPath } : {}),
        ...(typeof ResultPath === 'string' ? { resultPath: ResultPath } : {}),
        ...(typeof Next === 'string' ? { next: Next } : {}),
      }),
    );
  }
  return { ...definition, States: expanded };
}

function expandNested(state: AslState): AslState {
  if (Array.isArray(state.Branches)) {
    return { ...state, Branches: (state.Branches as Record<string, unknown>[]).map(expandWaitForEvent) };
  }
  const processor = (state.ItemProcessor ?? state.Iterator) as Record<string, unknown> | undefined;
  if (processor === undefined) return state;
  const key = state.ItemProcessor !== undefined ? 'ItemProcessor' : 'Iterator';
  return { ...state, [key]: expandWaitForEvent(processor) };
}
