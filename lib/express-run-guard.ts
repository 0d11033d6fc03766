import { Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  CfnStateMachine,
  Choice,
  Condition,
  CustomState,
  Fail,
  type INextable,
  type IStateMachine,
  JsonPath,
  Pass,
  type State,
  StateMachine,
  StateMachineFragment,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { dedupePartitionPrefixes } from '../functions/adapters/aws/registry-items';
import { CONDITION_FAILED } from '../workflows/express-run-guard';
import { leadingKeysLike } from './leading-keys';
import { DUPLICATE_RUN_ERROR, GUARD_STATE_NAMES, expressRunGuardStates } from '../workflows/express-run-guard';

export interface ExpressRunGuardProps {
  /** hookflow's dedupe table (`hookflow.tables.dedupe`): the guard's items live beside the dedupe claims. */
  readonly table: ITable;
}

/**
 * For authors of CDK-built EXPRESS workflows that hookflow starts: put this first, so a deduped run that a
 * crash made hookflow start twice ends at once (`Hookflow.DuplicateRun`) instead of running twice. Express
 * workflows, unlike Standard ones, do not refuse a second execution with the same name. The states are those
 * of workflows/express-run-guard.ts, which the ASL workflows of workflows/workflows.json get automatically.
 *
 *   const guard = new ExpressRunGuard(this, 'Guard', { table: hookflow.tables.dedupe });
 *   const machine = new StateMachine(this, 'Orders', {
 *     stateMachineType: StateMachineType.EXPRESS,
 *     definitionBody: DefinitionBody.fromChainable(guard.next(firstStep)),
 *   });
 *   guard.grantTo(machine);
 */
export class ExpressRunGuard extends StateMachineFragment {
  readonly startState: State;
  readonly endStates: INextable[];
  private readonly table: ITable;

  constructor(scope: Construct, id: string, props: ExpressRunGuardProps) {
    super(scope, id);
    const asl = expressRunGuardStates({
      tableName: props.table.tableName,
      next: 'after',
      partition: Stack.of(scope).partition,
    });
    const { Next: _next, Catch: _catch, ...claimState } = asl[GUARD_STATE_NAMES.claim]!;
    const duplicate = new Fail(this, GUARD_STATE_NAMES.duplicate, {
      error: DUPLICATE_RUN_ERROR,
      cause: String(asl[GUARD_STATE_NAMES.duplicate]!.Cause),
    });
    const claim = new CustomState(this, GUARD_STATE_NAMES.claim, { stateJson: claimState }).addCatch(duplicate, {
      errors: [CONDITION_FAILED],
      resultPath: JsonPath.DISCARD,
    });
    // Names that are not hookflow's deduped ones (`hf-…`) skip the write: nothing starts them twice.
    // One join point for both ways through, so the author's next state is chained once.
    const through = new Pass(this, 'hookflow: run may go on');
    const check = new Choice(this, GUARD_STATE_NAMES.check)
      .when(Condition.stringMatches(JsonPath.stringAt('$$.Execution.Name'), 'hf-*'), claim)
      .otherwise(through);
    claim.next(through);
    this.startState = check;
    this.endStates = [through];
    this.table = props.table;
  }

  /** Lets the state machine's role write the guard item: PutItem of `run#…` items on the dedupe table only. */
  grantTo(stateMachine: IStateMachine): void {
    stateMachine.grantPrincipal.addToPrincipalPolicy(runGuardPolicy(this.table.tableArn));
    // A dedupe table encrypted with a customer managed key (HookflowProps.encryptionKey): the PutItem needs it.
    this.table.encryptionKey?.grantEncryptDecrypt(stateMachine);
  }
}

/**
 * Whether `workflow` is an EXPRESS state machine of this app whose definition starts with the run guard
 * (ExpressRunGuard first, or an ASL workflow of workflows/workflows.json, which gets it): read from its synthesized
 * definition, not taken on trust, because hookflow then lets the guard record its deduped runs
 * (functions/core/runs/run-guard.ts) and a duplicate waits for the guard's item. An imported state machine, or a
 * definition that does not start with the guard, is not: its claims record their run with a second write.
 */
export function startsWithRunGuard(workflow: IStateMachine): boolean {
  if (!(workflow instanceof StateMachine) || workflow.stateMachineType !== StateMachineType.EXPRESS) return false;
  const definition = (workflow.node.defaultChild as CfnStateMachine).definitionString;
  if (definition === undefined) return false;
  // The definition is a string with tokens in it (table names, ARNs): resolved, a Fn::Join whose literal parts,
  // in order, hold the JSON around them. The StartAt pair has no token in it.
  const literals: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') literals.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(Stack.of(workflow).resolve(definition));
  return literals.join('').includes(`"StartAt":${JSON.stringify(GUARD_STATE_NAMES.check)}`);
}

/** The run guard's one grant (CDK-built and ASL-defined workflows alike): PutItem of its own items only. */
export function runGuardPolicy(dedupeTableArn: string): PolicyStatement {
  return new PolicyStatement({
    actions: ['dynamodb:PutItem'],
    resources: [dedupeTableArn],
    conditions: leadingKeysLike([dedupePartitionPrefixes.runGuard]),
  });
}
