import { UnauthorizedError } from '../outcomes';
import { matchesHashedSecret } from './secrets';

/** Checks a shared secret sent in a header against the accepted SHA-256 hashes (several while one is rotated). */
export function assertSharedSecret(
  presented: string | undefined,
  acceptedHashes: readonly string[],
  headerName: string,
): void {
  if (presented === undefined || presented === '') throw new UnauthorizedError(`missing ${headerName} header`);
  if (!matchesHashedSecret(presented, acceptedHashes)) throw new UnauthorizedError(`invalid ${headerName}`);
}
