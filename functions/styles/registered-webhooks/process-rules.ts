import type { ProcessRecord } from '../../core/ports';

/**
 * How long a process record (seed 5) is kept: as long as Step Functions keeps a Standard execution's history
 * (90 days after it closes, https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), after
 * which there is no status left to report.
 */
export const PROCESS_RETENTION_SECONDS = 90 * 24 * 60 * 60;

/** The record's expiry (epoch seconds): the dedupe table's TTL attribute. */
export function processExpiresAt(record: Pick<ProcessRecord, 'createdOn'>, retentionSeconds: number): number {
  return Math.floor(Date.parse(record.createdOn) / 1000) + retentionSeconds;
}

/**
 * A stored record counts until its expiry (TTL deletes it up to days later): a create with its id is refused
 * while it does, and a read sees it. The DynamoDB process store applies this in its condition (`expiresAt <
 * :now` frees the id) and its read; the in-memory one calls it. `nowMs` is epoch ms.
 */
export function isLive(expiresAt: number, nowMs: number): boolean {
  return expiresAt >= Math.floor(nowMs / 1000);
}
