import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../../core/http/errors';

/** How a trigger proved it knows the webhook's secret. */
export type SignatureKind = 'secret' | 'hmac-sha256';

/**
 * Checks `X-Verify-Signature` against the webhook's secret. Seed 5 sends the secret itself; hookflow also
 * accepts an HMAC-SHA256 of the raw body keyed with the secret (hex or base64, optionally `sha256=`-prefixed),
 * which proves the same without the secret ever crossing the wire. Both compares run in constant time on
 * fixed-length digests, so neither length nor content leaks through timing.
 */
export function verifySignature(secret: string, presented: string | undefined, body: Buffer): SignatureKind {
  if (presented === undefined || presented === '') {
    throw new UnauthorizedError(
      'missing X-Verify-Signature header: send the webhook secret, or the HMAC-SHA256 of the body keyed with it',
    );
  }
  if (sameDigest(presented, secret)) return 'secret';
  const hmac = createHmac('sha256', secret).update(body).digest();
  const value = presented.replace(/^sha256=/i, '');
  // Every encoding is compared (no early exit), so the time taken says nothing about which one was close.
  const matches = [
    sameDigest(value.toLowerCase(), hmac.toString('hex')),
    sameDigest(value, hmac.toString('base64')),
    sameDigest(value, hmac.toString('base64url')),
  ];
  if (matches.some(Boolean)) return 'hmac-sha256';
  throw new UnauthorizedError('X-Verify-Signature does not match this webhook');
}

function sameDigest(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
