/**
 * ARN shapes the local Step Functions endpoint hands out, the same as AWS's, so code that derives one ARN
 * from another (functions/adapters/aws/sfn-engine.ts) works unchanged against it.
 */
export interface Partition {
  readonly region: string;
  readonly accountId: string;
}

export const stateMachineArn = (p: Partition, name: string) =>
  `arn:aws:states:${p.region}:${p.accountId}:stateMachine:${name}`;

/** Standard: arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME (the name is the identity). */
export const standardExecutionArn = (p: Partition, stateMachine: string, name: string) =>
  `arn:aws:states:${p.region}:${p.accountId}:execution:${stateMachine}:${name}`;

/** Express: arn:aws:states:REGION:ACCOUNT:express:STATE_MACHINE:NAME:UUID (names are not unique). */
export const expressExecutionArn = (p: Partition, stateMachine: string, name: string, id: string) =>
  `arn:aws:states:${p.region}:${p.accountId}:express:${stateMachine}:${name}:${id}`;

/** Whether an execution ARN has the Express shape (a start's own ARN, never handed out twice). */
export const isExpressExecutionArn = (executionArn: string) =>
  /^arn:aws:states:[^:]+:\d{12}:express:/.test(executionArn);

/** The state machine name inside an execution ARN of either shape, or undefined if it is not one. */
export function stateMachineNameOf(executionArn: string): string | undefined {
  const match = /^arn:aws:states:[^:]+:\d{12}:(?:execution|express):([^:]+):/.exec(executionArn);
  return match?.[1];
}

/** Execution names: 1-80 characters, none of whitespace, brackets, wildcards, quotes or control characters. */
export function isValidExecutionName(name: string): boolean {
  return name.length >= 1 && name.length <= 80 && !/[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/.test(name);
}
