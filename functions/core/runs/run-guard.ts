import type { RunHandle } from '../ports';
import type { RunTarget } from './start-run';

/**
 * The Express run guard's item, as the pure rules the DynamoDB store and the in-memory fake share. The guard
 * (workflows/express-run-guard.ts) is the first state of a guarded Express workflow: for a deduped name (`hf-…`)
 * it writes `run#<state machine ARN>#<execution name>` with the execution's ARN and start time, only if absent or
 * already this execution's. So once a deduped Express run has begun, that item names it, and a claim whose run
 * is guarded needs no second write to record the run: a duplicate reads the item (docs/aws-calls.md, "Express
 * runs and the run guard").
 *
 * The guard builds the key with `States.Format('run#{}#{}', $$.StateMachine.Id, $$.Execution.Name)`: the context
 * object's `StateMachine.Id` is the state machine's ARN and `Execution.Id` the execution's
 * (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html);
 * test/unit/workflows/express-run-guard.test.ts holds the two formats to each other.
 */
export const RUN_GUARD_KEY_PREFIX = 'run#';

export function runGuardKey(stateMachineArn: string, executionName: string): string {
  return `${RUN_GUARD_KEY_PREFIX}${stateMachineArn}#${executionName}`;
}

/** The execution name a run guard item's key holds (`runGuardKey`'s second part: an ARN holds no `#`). */
export function executionNameOfRunGuard(key: string): string {
  return key.slice(key.lastIndexOf('#') + 1);
}

/** The guard's condition, `attribute_not_exists(pk) OR executionArn = :self`, as the fake engine applies it. */
export function runGuardAdmits(existing: Pick<RunHandle, 'executionArn'> | undefined, executionArn: string): boolean {
  return existing === undefined || existing.executionArn === executionArn;
}

/**
 * The state machine whose run guard will name a deduped run of `target`, when a claim may leave the recording to
 * it: a guarded Express workflow started by its unqualified ARN (`arn:…:stateMachine:NAME`, seven fields). A
 * version or alias ARN is left out: the key would have to match what `$$.StateMachine.Id` holds for such a start,
 * which hookflow does not rely on; those claims record their run with the second write, as before.
 */
export function guardingStateMachine(target: RunTarget): string | undefined {
  if (target.workflowType !== 'EXPRESS' || target.runGuarded !== true) return undefined;
  return target.stateMachineArn.split(':').length === 7 ? target.stateMachineArn : undefined;
}
