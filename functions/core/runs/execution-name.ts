import { createHash, randomUUID } from 'node:crypto';

/**
 * Execution names. With a dedupe key the name is derived from the key and the claim's creation time, so
 * a retried or taken-over request asks Step Functions for the *same* name: for Standard workflows the
 * engine then refuses to start a second run. A new dedupe window (after expiry) gets a new name.
 */
export function executionNameFor(dedupeKey: string, claimCreatedAt: number): string {
  const digest = createHash('sha256').update(`${dedupeKey}\u0000${claimCreatedAt}`).digest('base64url');
  return `hf-${digest.slice(0, 43)}`;
}

export function randomExecutionName(): string {
  return randomUUID();
}

/**
 * arn:…:stateMachine:NAME[:VERSION|ALIAS] → arn:…:execution:NAME:EXECUTION: how Step Functions forms a
 * Standard execution's ARN (a version or alias qualifier is not part of it).
 */
export function standardExecutionArn(stateMachineArn: string, executionName: string): string {
  const [arn, partition, service, region, account, , name] = stateMachineArn.split(':');
  return [arn, partition, service, region, account, 'execution', name, executionName].join(':');
}
