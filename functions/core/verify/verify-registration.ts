import type { Logger } from '@aws-lambda-powertools/logger';
import type { DeliveryLedger } from '../ports';
import { type DeliveryClaim, guardReplay, settleDelivery } from './replay-guard';
import type { StoredVerifier } from './verifier-config';
import { type SignedRequest, type Verified, verifySignedRequest } from './verify-signature';
import { type Clock, systemClock } from '../clock';

export interface RegistrationVerifyDeps {
  /** Needed only by registrations with replay protection. */
  readonly deliveries?: DeliveryLedger;
  readonly now?: Clock;
  /** How long a claimed delivery blocks its copies while its run starts (DEDUPE_LEASE_SECONDS). */
  readonly deliveryLeaseSeconds?: number;
  /** Told when a claimed delivery could not be confirmed or released (its lease then frees it). */
  readonly logger?: Pick<Logger, 'warn'>;
}

/** A verified request and, with replay protection, its claimed delivery: settle it (settleDelivery). */
export type VerifiedRegistration = Verified & { readonly claim?: DeliveryClaim };

/**
 * For styles whose registrations may carry a verifier (flows, client webhooks, event workflows, inbound):
 * nothing to do without one; with one, the request must verify (401) and, if the registration opted in, must
 * not be a replay (401 outside the tolerance, 409 a delivery already accepted). This is on top of the style's
 * own authentication, never instead of it. The returned claim is confirmed once the run started and released
 * when it could not start (settleDelivery); a claim left unsettled (a crash) is taken over after its lease.
 */
export async function verifyRegistration(
  deps: RegistrationVerifyDeps,
  scope: string,
  stored: StoredVerifier | undefined,
  request: SignedRequest | undefined,
): Promise<VerifiedRegistration | undefined> {
  if (stored === undefined) return undefined;
  if (request === undefined) throw new Error(`${scope} has a verifier but the request carries nothing to verify`);
  const now = (deps.now ?? systemClock)();
  const verified = verifySignedRequest(stored.verifier, stored.secrets, request, now);
  if (stored.replay !== undefined) {
    if (deps.deliveries === undefined) throw new Error(`${scope} wants replay protection but no ledger is wired`);
    const claim = await guardReplay(deps.deliveries, scope, stored.replay, verified, now, deps.deliveryLeaseSeconds);
    return { ...verified, claim };
  }
  return verified;
}

/**
 * Starts what a verified request starts, settling its claimed delivery (if any): confirmed when `start`
 * succeeds, released when it throws, so that a sender's retry after a 5xx gets through.
 */
export function startVerified<T>(
  deps: RegistrationVerifyDeps,
  verified: VerifiedRegistration | undefined,
  start: () => Promise<T>,
): Promise<T> {
  return settleDelivery(verified?.claim, start, (error) =>
    deps.logger?.warn('could not settle a claimed delivery; its lease frees it', { error: error as Error }),
  );
}
