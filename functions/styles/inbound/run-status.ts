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
  const { dedupeKey } = parseRunRef(runRef);
  const record = await deps.dedupe.get(dedupeKey, (deps.now ?? systemClock)());
  if (record?.run !== undefined) {
    return {
      status: 'STARTED',
      executionId: record.run.executionArn,
      executionLink: deps.executionLink(record.run.executionArn),
    };
  }
  return record === undefined ? { status: 'PENDING' } : { status: 'STARTING' };
}
