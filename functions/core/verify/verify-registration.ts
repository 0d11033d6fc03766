import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { DeliveryLedger } from '../ports';
import { guardReplay } from './replay-guard';
import type { StoredVerifier } from './verifier-config';
import { type SignedRequest, type Verified, verifySignedRequest } from './verify-signature';

export interface RegistrationVerifyDeps {
  /** Needed only by registrations with replay protection. */
  readonly deliveries?: DeliveryLedger;
  readonly now?: () => Date;
}

/** The parts of an API Gateway request a verifier reads. */
export function signedRequestOf(event: APIGatewayProxyEventV2, rawBody: Buffer): SignedRequest {
  return { headers: event.headers ?? {}, rawBody, query: event.queryStringParameters ?? {} };
}

/**
 * For styles whose registrations may carry a verifier (flows, client webhooks, event workflows, inbound):
 * nothing to do without one; with one, the request must verify (401) and, if the registration opted in, must
 * not be a replay (401 outside the tolerance, 409 a delivery already accepted). This is on top of the style's
 * own authentication, never instead of it.
 */
export async function verifyRegistration(
  deps: RegistrationVerifyDeps,
  scope: string,
  stored: StoredVerifier | undefined,
  request: SignedRequest | undefined,
): Promise<Verified | undefined> {
  if (stored === undefined) return undefined;
  if (request === undefined) throw new Error(`${scope} has a verifier but the request carries nothing to verify`);
  const now = (deps.now?.() ?? new Date()).getTime();
  const verified = verifySignedRequest(stored.verifier, stored.secrets, request, now);
  if (stored.replay !== undefined) {
    if (deps.deliveries === undefined) throw new Error(`${scope} wants replay protection but no ledger is wired`);
    await guardReplay(deps.deliveries, scope, stored.replay, verified, now);
  }
  return verified;
}
