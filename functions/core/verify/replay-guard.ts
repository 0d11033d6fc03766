import { randomUUID } from 'node:crypto';
import { DuplicateError, InProgressError, UnauthorizedError, nothingStarted } from '../outcomes';
import { isPending } from './delivery-ledger';
import { compositeKey } from '../keys';
import type { DeliveryLedger } from '../ports';
import type { Verified } from './verify-signature';
import type { ReplayConfig } from './verifier-config';

/**
 * How long a delivery's pending entry blocks its copies while its owner starts the run. After it, the owner is
 * presumed dead (crashed between the claim and the start) and a retry takes the delivery over. The handlers use
 * DEDUPE_LEASE_SECONDS (core/config.ts), which the construct keeps above the handler's timeout, so a slow but
 * live owner is never overtaken; this is the default for callers that pass none.
 */
export const DEFAULT_DELIVERY_LEASE_SECONDS = 30;

/** A delivery claimed in the ledger: confirm it once its run started, release it if the start failed. */
export interface DeliveryClaim {
  /** The ledger key (also a stable name for what this delivery starts, e.g. process ids). */
  readonly key: string;
  confirm(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Replay protection for a verified request: its signed timestamp must be within the tolerance, and its
 * delivery (Verified.delivery: signed parts only) must not have been accepted within the ledger window. The
 * claim is one conditional write, so of two copies racing, exactly one gets through; the caller confirms it
 * when its run started and releases it when the start failed, so a 503 never burns the delivery.
 */
export async function guardReplay(
  ledger: DeliveryLedger,
  scope: string,
  replay: ReplayConfig,
  verified: Verified,
  now: number,
  leaseSeconds: number = DEFAULT_DELIVERY_LEASE_SECONDS,
): Promise<DeliveryClaim> {
  if (verified.timestamp !== undefined) {
    const skew = Math.abs(now / 1000 - verified.timestamp);
    if (skew > replay.toleranceSeconds) {
      throw new UnauthorizedError(
        `the signed timestamp is ${Math.round(skew)} s away from now; at most ${replay.toleranceSeconds} s is accepted`,
      );
    }
  }
  const [how, ...what] = verified.delivery.split(':');
  const key = compositeKey('delivery', scope, how ?? '', what.join(':'));
  const owner = randomUUID();
  const nowSeconds = Math.floor(now / 1000);
  // The window outlasts the tolerance twice over, so a copy still inside the tolerance is always remembered.
  const window = Math.max(replay.ledgerSeconds, 2 * replay.toleranceSeconds);
  const first = await ledger.claim({
    key,
    owner,
    now: nowSeconds,
    leaseUntil: nowSeconds + leaseSeconds,
    expiresAt: nowSeconds + window,
  });
  if (!first) {
    // Refused: accepted already, or still being started by another copy (or by one that died: its lease runs out).
    const entry = await ledger.peek(key);
    if (entry === undefined || isPending(entry, nowSeconds)) {
      const wait = entry === undefined ? 1 : Math.max(1, entry.leaseUntil - nowSeconds + 1);
      throw new InProgressError(
        'a copy of this delivery is being started right now, or its first attempt failed; retry after Retry-After seconds',
        wait,
      );
    }
    throw new DuplicateError(
      verified.delivery.startsWith('id:')
        ? `delivery "${what.join(':')}" was already accepted; nothing was started again`
        : 'this delivery (the same signed content) was already accepted; nothing was started again',
    );
  }
  return {
    key,
    confirm: () => ledger.confirm(key, owner),
    release: () => ledger.release(key, owner),
  };
}

/**
 * Runs `start` for a claimed delivery (or for none): confirms the claim when it succeeds, releases it when it
 * throws, so the sender's retry after a 5xx is accepted. A failed confirm is only reported: the run started,
 * and the pending entry still blocks copies until its lease runs out.
 */
export async function settleDelivery<T>(
  claim: DeliveryClaim | undefined,
  start: () => Promise<T>,
  onSettleError: (error: unknown) => void,
): Promise<T> {
  let result: T;
  try {
    result = await start();
  } catch (error) {
    // A start that may have happened keeps the delivery pending: a redelivery within its lease is refused
    // rather than started a second time (under a new name: replayed deliveries carry no idempotency key).
    if (!nothingStarted(error)) throw error;
    // A failed release leaves a pending entry: its lease runs out and then a retry takes the delivery over.
    await claim?.release().catch(onSettleError);
    throw error;
  }
  await claim?.confirm().catch(onSettleError);
  return result;
}
