import type { ApiKeyRecord, Registry } from '../ports';
import { ForbiddenError, UnauthorizedError } from '../outcomes';
import { matchesHashedSecret, sha256Hex } from './secrets';

/** Request headers, names lower-cased (API Gateway payload 2.0 and the local stack both lower-case them). */
export type Headers = Readonly<Record<string, string | undefined>>;

/**
 * The key a caller presents: `Authorization: Bearer <key>` (as DoiT's API does) or `X-Api-Key: <key>`.
 * A bearer token wins; any other Authorization scheme (or a blank one) falls through to X-Api-Key.
 */
export function presentedApiKey(headers: Headers | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers?.authorization ?? '');
  if (bearer?.[1] !== undefined) return bearer[1];
  const apiKey = headers?.['x-api-key']?.trim();
  return apiKey === '' ? undefined : apiKey;
}

/**
 * Looks the key up by its SHA-256 (keys are only ever stored hashed) and compares the stored hash in
 * constant time, so neither the lookup nor the compare tells an attacker how close a guess was.
 */
export async function authenticateApiKey(registry: Registry, presented: string | undefined): Promise<ApiKeyRecord> {
  if (presented === undefined) {
    throw new UnauthorizedError('missing API key: send it as "Authorization: Bearer <key>" or "X-Api-Key"');
  }
  const presentedHash = sha256Hex(presented);
  const record = await registry.getApiKeyByHash(presentedHash);
  if (record === undefined || record.disabled || !matchesHashedSecret(presented, [record.keyHash])) {
    throw new UnauthorizedError('invalid API key');
  }
  return record;
}

/** Checked before the flow is looked up, so a key that may not use a flow can't learn whether it exists. */
export function assertKeyMayTrigger(apiKey: ApiKeyRecord, flowId: string): void {
  if (!apiKey.flows.includes('*') && !apiKey.flows.includes(flowId)) {
    throw new ForbiddenError(`this API key may not trigger flow "${flowId}"`);
  }
}
