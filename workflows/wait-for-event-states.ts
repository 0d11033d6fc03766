/**
 * The states of "wait for an event" (seed 3's callbacks), as ASL: the one definition both the
 * `hookflow:WaitForEvent` macro of workflows/*.asl.json and the CDK construct lib/wait-for-event.ts produce.
 *
 *   <name>                      Task dynamodb:putItem.waitForTaskToken: stores the token under
 *                               wait#<ref>#<topic>, unless a callback arrived first (a live EARLY item)
 *   <name>: early callback      Task dynamodb:updateItem: takes that early callback (EARLY -> RESUMED)
 *   <name>: early outcome       Choice: did it report failure?
 *   <name>: early result        Pass: its payload becomes the wait's result, as a resumed task's would
 *   <name>: callback failed     Fail Callback.Failed
 *   <name>: timed out           Fail Callback.TimedOut: no callback within the timeout
 */
export interface WaitForEventOptions {
  /** The first state's name; the others are named after it. */
  readonly name: string;
  readonly topic: string;
  readonly timeoutSeconds: number;
  /** hookflow's dedupe table: `${WaitsTable}` in ASL files, the table's name (a token) in CDK. */
  readonly tableName: string;
  /** The run's ref, as a JSONPath. Default: the execution name, which hookflow returns as `runRef`. */
  readonly refPath?: string;
  /** Where the callback's payload goes. Default `$.<topic>`. */
  readonly resultPath?: string;
  /** The state after the wait; absent: the wait ends the run. */
  readonly next?: string;
  readonly partition?: string;
}

export type AslState = Record<string, unknown>;

/** Step Functions' name for the DynamoDB error a failed condition raises in the optimized integration. */
export const CONDITION_FAILED = 'DynamoDB.ConditionalCheckFailedException';

export const waitStateNames = (name: string) => ({
  wait: name,
  early: `${name}: early callback`,
  outcome: `${name}: early outcome`,
  result: `${name}: early result`,
  failed: `${name}: callback failed`,
  timedOut: `${name}: timed out`,
});

export function waitForEventStates(options: WaitForEventOptions): Record<string, AslState> {
  const names = waitStateNames(options.name);
  const resultPath = options.resultPath ?? `$.${options.topic}`;
  const partition = options.partition ?? 'aws';
  const pk = { 'S.$': `States.Format('wait#{}#${options.topic}', ${options.refPath ?? '$$.Execution.Name'})` };
  const onward = options.next === undefined ? { End: true } : { Next: options.next };
  return {
    [names.wait]: {
      Type: 'Task',
      Resource: `arn:${partition}:states:::dynamodb:putItem.waitForTaskToken`,
      Parameters: {
        TableName: options.tableName,
        Item: {
          pk,
          taskToken: { 'S.$': '$$.Task.Token' },
          executionArn: { 'S.$': '$$.Execution.Id' },
          enteredTime: { 'S.$': '$$.State.EnteredTime' },
          timeoutSeconds: { N: String(options.timeoutSeconds) },
        },
        // A callback that came first left an EARLY item: don't overwrite it, take it (Catch below).
        ConditionExpression: 'attribute_not_exists(pk) OR #s <> :early OR expiresAtIso < :now',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':early': { S: 'EARLY' }, ':now': { 'S.$': '$$.State.EnteredTime' } },
      },
      TimeoutSeconds: options.timeoutSeconds,
      ResultPath: resultPath,
      Catch: [
        { ErrorEquals: [CONDITION_FAILED], ResultPath: null, Next: names.early },
        { ErrorEquals: ['States.Timeout'], ResultPath: null, Next: names.timedOut },
      ],
      ...onward,
    },
    [names.early]: {
      Type: 'Task',
      Resource: `arn:${partition}:states:::dynamodb:updateItem`,
      Parameters: {
        TableName: options.tableName,
        Key: { pk },
        UpdateExpression: 'SET #s = :resumed',
        ConditionExpression: '#s = :early',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':early': { S: 'EARLY' }, ':resumed': { S: 'RESUMED' } },
        ReturnValues: 'ALL_NEW',
      },
      ResultSelector: {
        'status.$': '$.Attributes.callbackStatus.S',
        'output.$': 'States.StringToJson($.Attributes.output.S)',
      },
      ResultPath: resultPath,
      Next: names.outcome,
    },
    [names.outcome]: {
      Type: 'Choice',
      Choices: [{ Variable: `${resultPath}.status`, StringEquals: 'failed', Next: names.failed }],
      Default: names.result,
    },
    [names.result]: { Type: 'Pass', InputPath: `${resultPath}.output`, ResultPath: resultPath, ...onward },
    [names.failed]: {
      Type: 'Fail',
      Error: 'Callback.Failed',
      Cause: `a callback on topic "${options.topic}" reported failure before the run waited for it`,
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
 * ["Table"], "Next" | "End"}` state of a definition into the states above (nested Parallel/Map branches too).
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
    const { Topic, TimeoutSeconds, RefPath, ResultPath, Table, Next } = state as Record<string, unknown>;
    if (typeof Topic !== 'string' || typeof TimeoutSeconds !== 'number' || TimeoutSeconds <= 0) {
      throw new Error(`${name}: hookflow:WaitForEvent needs "Topic" and a positive "TimeoutSeconds"`);
    }
    Object.assign(
      expanded,
      waitForEventStates({
        name,
        topic: Topic,
        timeoutSeconds: TimeoutSeconds,
        tableName: typeof Table === 'string' ? Table : '${WaitsTable}',
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
