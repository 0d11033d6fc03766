/**
 * The Express run guard: states put at the head of an Express workflow so that a second execution with the
 * same *deduped* name ends at once instead of running twice.
 *
 * Why: Standard workflows refuse a second execution with a name already used (90 days), but Express
 * workflows do not check names at all. hookflow names a deduped run after its dedupe claim
 * (core/runs/execution-name.ts), and a handler that crashes after StartExecution but before recording the run
 * on its claim leaves a claim whose lease a retry takes over, starting the same name again. The guard makes
 * the execution name itself the idempotency key: one conditional PutItem per deduped run.
 *
 *   hookflow: deduped run?   Choice: names that do not start with `hf-` (random names: no dedupe key, never
 *                            started twice by hookflow) skip the guard and cost nothing
 *   hookflow: run once       Task dynamodb:putItem (request-response: the optimized DynamoDB integration
 *                            Express workflows support, see
 *                            https://docs.aws.amazon.com/step-functions/latest/dg/integrate-optimized.html)
 *                            of `run#<state machine>#<execution name>`, only if absent (or this very
 *                            execution's: a re-run of it)
 *   hookflow: duplicate run  Fail `Hookflow.DuplicateRun`: the condition failed, the name already ran
 *
 * The item's TTL (`expiresAt`) is the dedupe claim's expiry, which the name carries as its second `-`-separated
 * field; States.StringSplit / States.ArrayGetItem take it out (JSONPath intrinsics,
 * https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html). After that the claim is gone
 * too, and a new claim makes a new name.
 */

export type AslState = Record<string, unknown>;

/** The error a duplicate Express run fails with: alarms and the crash suite tell duplicates apart by it. */
export const DUPLICATE_RUN_ERROR = 'Hookflow.DuplicateRun';

export const GUARD_STATE_NAMES = {
  check: 'hookflow: deduped run?',
  claim: 'hookflow: run once',
  duplicate: 'hookflow: duplicate run',
} as const;

export interface ExpressRunGuardOptions {
  /** hookflow's dedupe table: `${DedupeTable}` in ASL files, the table's name (a token) in CDK. */
  readonly tableName: string;
  /** The state the guarded workflow starts with: where a first run goes on. */
  readonly next: string;
  readonly partition?: string;
}

export function expressRunGuardStates(options: ExpressRunGuardOptions): Record<string, AslState> {
  const partition = options.partition ?? 'aws';
  return {
    [GUARD_STATE_NAMES.check]: {
      Type: 'Choice',
      Choices: [{ Variable: '$$.Execution.Name', StringMatches: 'hf-*', Next: GUARD_STATE_NAMES.claim }],
      Default: options.next,
    },
    [GUARD_STATE_NAMES.claim]: {
      Type: 'Task',
      Resource: `arn:${partition}:states:::dynamodb:putItem`,
      Parameters: {
        TableName: options.tableName,
        Item: {
          pk: { 'S.$': "States.Format('run#{}#{}', $$.StateMachine.Id, $$.Execution.Name)" },
          executionArn: { 'S.$': '$$.Execution.Id' },
          startTime: { 'S.$': '$$.Execution.StartTime' },
          expiresAt: { 'N.$': "States.ArrayGetItem(States.StringSplit($$.Execution.Name, '-'), 1)" },
        },
        // The same execution may pass again: Express runs an execution at least once (it may run it again:
        // https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html), and a re-run of
        // the execution that wrote the item is that run, not a duplicate; refusing it could lose the work.
        ConditionExpression: 'attribute_not_exists(pk) OR executionArn = :self',
        ExpressionAttributeValues: { ':self': { 'S.$': '$$.Execution.Id' } },
      },
      // The workflow's own input goes on untouched.
      ResultPath: null,
      Catch: [{ ErrorEquals: [CONDITION_FAILED], ResultPath: null, Next: GUARD_STATE_NAMES.duplicate }],
      Next: options.next,
    },
    [GUARD_STATE_NAMES.duplicate]: {
      Type: 'Fail',
      Error: DUPLICATE_RUN_ERROR,
      Cause: 'an execution with this name already ran: this one is a duplicate start and did nothing',
    },
  };
}

/**
 * The definition with the guard in front (StartAt moves to the guard). Idempotent: a definition that already
 * has the guard is returned as it is.
 */
export function guardExpressDefinition(
  definition: Record<string, unknown>,
  tableName: string,
  partition?: string,
): Record<string, unknown> {
  const states = definition.States as Record<string, AslState> | undefined;
  const startAt = definition.StartAt;
  if (states === undefined || typeof startAt !== 'string') return definition;
  if (states[GUARD_STATE_NAMES.check] !== undefined) return definition;
  return {
    ...definition,
    StartAt: GUARD_STATE_NAMES.check,
    States: {
      ...expressRunGuardStates({ tableName, next: startAt, ...(partition === undefined ? {} : { partition }) }),
      ...states,
    },
  };
}

/**
 * The error Step Functions' optimized DynamoDB integration raises for a failed condition: `DynamoDB.` and the
 * exception's name (https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html, pinned by
 * test/unit/local/dynamodb-integrations.test.ts).
 */
export const CONDITION_FAILED = 'DynamoDB.ConditionalCheckFailedException';
