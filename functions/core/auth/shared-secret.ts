import { timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../http/errors';
import { sha256Hex } from '../http/request';

/**
 * Checks a shared secret sent in a header against the accepted SHA-256 hashes (several while a secret is
 * rotated). Every hash is compared, in constant time, so timing tells nothing about which one matched.
 */
export function assertSharedSecret(
  presented: string | undefined,
  acceptedHashes: readonly string[],
  headerName: string,
): void {
  if (presented === undefined || presented === '') throw new UnauthorizedError(`missing ${headerName} header`);
  const presentedHash = Buffer.from(sha256Hex(presented), 'hex');
  let matched = false;
  for (const hash of acceptedHashes) {
    const accepted = Buffer.from(hash, 'hex');
    if (accepted.length === presentedHash.length && timingSafeEqual(accepted, presentedHash)) matched = true;
  }
  if (!matched) throw new UnauthorizedError(`invalid ${headerName}`);
}
