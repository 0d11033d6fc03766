import type { DedupeStore, Registry } from '../../core/ports';
import { readInboundSecretHashes } from './registration';
import { assertSharedSecret } from '../../core/auth/shared-secret';
import { parseRunRef } from './run-refs';
import { type Clock, systemClock } from '../../core/clock';

export interface RunStatusDeps {
  readonly registry: Registry;
  readonly dedupe: DedupeStore;
  readonly executionLink: (executionArn: string) => string;
  readonly now?: Clock;
}

export type RunStatus =
  | { readonly status: 'STARTED'; readonly executionId: string; readonly executionLink: string }
  /** The worker has claimed the item and is starting its execution. */
  | { readonly status: 'STARTING' }
  /** Not started (yet): still queued, being retried, or (after the dedupe window) unknown. */
  | { readonly status: 'PENDING' };

/** GET /inbound/runs/{runRef}: what became of a queued item, behind the same shared secret. */
export async function runStatus(deps: RunStatusDeps, secret: string | undefined, runRef: string): Promise<RunStatus> {
  assertSharedSecret(secret, await readInboundSecretHashes(deps.registry), 'Inbound-Webhook-Secret');
  const resolved = await resolveRunRef(deps.dedupe, runRef, (deps.now ?? systemClock)());
  return resolved.status === 'STARTED'
    ? {
        status: 'STARTED',
        executionId: resolved.executionArn,
        executionLink: deps.executionLink(resolved.executionArn),
      }
    : resolved;
}

/**
 * Where a run reference led, read off its claim: the run once the item's start recorded it (STARTED), the claim
 * alone while it is being started (STARTING), nothing yet (PENDING). The deliveries API resolves a recorded batch
 * item with this too. A malformed reference is a 400 (InvalidInputError).
 */
export async function resolveRunRef(
  dedupe: DedupeStore,
  runRef: string,
  now: number,
): Promise<
  { readonly status: 'STARTED'; readonly executionArn: string } | { readonly status: 'STARTING' | 'PENDING' }
> {
  const record = await dedupe.get(parseRunRef(runRef).dedupeKey, now);
  if (record?.run !== undefined) return { status: 'STARTED', executionArn: record.run.executionArn };
  return record === undefined ? { status: 'PENDING' } : { status: 'STARTING' };
}
