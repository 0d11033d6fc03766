import { hash, timingSafeEqual } from 'node:crypto';

export function sha256Hex(data: Buffer | string): string {
  return typeof data === 'string' ? hash('sha256', data, 'hex') : sha256Of(data).toString('hex');
}

/** Digests already taken, by buffer: a request body is one buffer, shared by whoever reads it. */
const digests = new WeakMap<Buffer, Buffer>();

/**
 * The SHA-256 of `bytes`, taken once per buffer. A request body's digest is asked for more than once per
 * request (an Idempotency-Key's fingerprint, a verifier's delivery identity), each a pass over up to several MB.
 * The buffer must not change once hashed (request bodies never do: functions/http/request.ts, eventBodyBytes).
 */
export function sha256Of(bytes: Buffer): Buffer {
  let digest = digests.get(bytes);
  if (digest === undefined) {
    // crypto.hash: one call, no Hash object per digest; the same SHA-256, and faster on data readily available
    // (https://nodejs.org/api/crypto.html#cryptohashalgorithm-data-outputencoding; in Node 22, nodejs22.x).
    digest = hash('sha256', bytes, 'buffer');
    digests.set(bytes, digest);
  }
  return digest;
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
