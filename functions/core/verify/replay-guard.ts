import { createHash } from 'node:crypto';
import { ConflictError, UnauthorizedError } from '../http/errors';
import type { DeliveryLedger } from '../ports';
import type { Verified } from './verify-signature';
import type { ReplayConfig } from './verifier-config';

/**
 * Replay protection for a verified request: its signed timestamp must be within the tolerance, and its
 * delivery (id, or signature when the scheme has no id) must not have been accepted within the ledger window.
 * The ledger entry is one conditional write, so of two identical requests racing, exactly one gets through.
 */
export async function guardReplay(
  ledger: DeliveryLedger,
  scope: string,
  replay: ReplayConfig,
  verified: Verified,
  now: number,
): Promise<void> {
  if (verified.timestamp !== undefined) {
    const skew = Math.abs(now / 1000 - verified.timestamp);
    if (skew > replay.toleranceSeconds) {
      throw new UnauthorizedError(
        `the signed timestamp is ${Math.round(skew)} s away from now; at most ${replay.toleranceSeconds} s is accepted`,
      );
    }
  }
  const delivery =
    verified.deliveryId !== undefined
      ? `id:${verified.deliveryId}`
      : `sig:${createHash('sha256').update(verified.signature).digest('base64url')}`;
  const window = Math.max(replay.ledgerSeconds, 2 * replay.toleranceSeconds);
  const first = await ledger.remember(`${scope}#${delivery}`, Math.floor(now / 1000) + window);
  if (!first) {
    throw new ConflictError(
      verified.deliveryId !== undefined
        ? `delivery "${verified.deliveryId}" was already accepted; nothing was started again`
        : 'this exact request was already accepted; nothing was started again',
    );
  }
}
