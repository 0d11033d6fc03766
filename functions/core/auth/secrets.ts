import { createHash, timingSafeEqual } from 'node:crypto';

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The one comparison of a presented secret (an API key, a webhook's key, a shared header secret) with the SHA-256
 * hashes it is stored as (several while a secret is rotated). Every hash is compared, in constant time, so
 * timing tells nothing about which one matched or how close a guess was; a malformed stored hash never matches.
 */
export function matchesHashedSecret(presented: string, acceptedHashes: readonly string[]): boolean {
  const presentedHash = Buffer.from(sha256Hex(presented), 'hex');
  let matched = false;
  for (const hash of acceptedHashes) {
    const accepted = Buffer.from(hash, 'hex');
    if (accepted.length === presentedHash.length && timingSafeEqual(accepted, presentedHash)) matched = true;
  }
  return matched;
}
