import { hash, randomUUID } from 'node:crypto';

/**
 * Execution names. With a dedupe key the name is derived from the key and the claim's creation time, so
 * a retried or taken-over request asks Step Functions for the *same* name: for Standard workflows the
 * engine then refuses to start a second run, and for Express workflows the run guard at the head of the
 * workflow (workflows/express-run-guard.ts) ends a second run with that name at once. A new dedupe window
 * (after expiry) gets a new name.
 *
 * `hf-<expiresAt>-<digest>`: the claim's expiry (epoch seconds) leads, so the run guard can give its item the
 * same DynamoDB TTL with intrinsic functions alone (States.StringSplit), as ASL cannot compute a time.
 * 3 + 10 + 1 + 43 = 57 characters, within Step Functions' 80.
 */
export function executionNameFor(dedupeKey: string, claimCreatedAt: number, claimExpiresAt: number): string {
  // One call per digest: see functions/core/auth/secrets.ts.
  const digest = hash('sha256', `${dedupeKey}\u0000${claimCreatedAt}`, 'base64url');
  return `${DEDUPED_NAME_PREFIX}${Math.floor(claimExpiresAt)}-${digest.slice(0, 43)}`;
}

/** Names of deduped runs start so; only they can be started twice, so only they pass the Express run guard. */
export const DEDUPED_NAME_PREFIX = 'hf-';

/**
 * The claim's expiry (epoch seconds) a deduped run's name carries (`hf-<expiresAt>-<digest>`, `executionNameFor`):
 * when that claim's dedupe window ended, and the run guard's item with it. Undefined for any other name.
 */
export function dedupeExpiryOf(executionName: string): number | undefined {
  const match = /^hf-(\d+)-[A-Za-z0-9_-]+$/.exec(executionName);
  return match === null ? undefined : Number(match[1]);
}

export function randomExecutionName(): string {
  return randomUUID();
}

/**
 * arn:…:stateMachine:NAME[:VERSION|ALIAS] → arn:…:execution:NAME:EXECUTION: how Step Functions forms a
 * Standard execution's ARN (a version or alias qualifier is not part of it). The Service Authorization
 * Reference's resource types give the two shapes: `execution` is
 * `arn:${Partition}:states:${Region}:${Account}:execution:${StateMachineName}:${ExecutionId}`, while `express`
 * adds an id AWS picks (`…:express:${StateMachineName}:${ExecutionId}:${ExpressId}`), so only a Standard
 * execution's ARN follows from its name:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html#awsstepfunctions-resources-for-iam-policies
 */
export function standardExecutionArn(stateMachineArn: string, executionName: string): string {
  const [arn, partition, service, region, account, , name] = stateMachineArn.split(':');
  return [arn, partition, service, region, account, 'execution', name, executionName].join(':');
}

/**
 * The execution name in an execution's ARN (`…:execution:MACHINE:NAME`, or `…:express:MACHINE:NAME:ID`: the two
 * shapes above), for log lines: a substring of the ARN a caller holds in its execution link, so a search for it
 * finds the line, in a third of the ARN's bytes (docs/construct.md, "Logs"). Anything else is returned whole.
 */
export function executionNameOf(executionArn: string): string {
  const parts = executionArn.split(':');
  return parts.length >= 8 && (parts[5] === 'execution' || parts[5] === 'express') ? parts[7]! : executionArn;
}
