import type { Registry } from '../ports';
import { ForbiddenError, UnauthorizedError } from '../outcomes';
import { matchesHashedSecret, sha256Hex } from './secrets';

/**
 * What a key may do, on top of its flows and orgs: `trigger` (POST /flows/{flowId}/trigger) and `deliveries`
 * (the deliveries API: list, read and replay the deliveries its flows and orgs reach; docs/deliveries.md).
 */
export const API_KEY_SCOPES = ['trigger', 'deliveries'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * The scopes of a key stored before keys had scopes: trigger only, so that no existing key silently gains the
 * deliveries API (which reads every header and body its flows received, and replays them).
 */
export const LEGACY_KEY_SCOPES: readonly ApiKeyScope[] = ['trigger'];

/** An API key as stored: only the SHA-256 of the key, never the key itself. */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly keyHash: string;
  /** Flow ids this key may trigger; `*` allows every flow. */
  readonly flows: readonly string[];
  /** Organisations whose registered webhooks (seed 5) this key manages, named by X-Api-Org. */
  readonly orgs: readonly string[];
  /** What the key may do (API_KEY_SCOPES); LEGACY_KEY_SCOPES for a key stored without any. */
  readonly scopes: readonly ApiKeyScope[];
  readonly disabled: boolean;
}

/** A key to store: `scopes` may be left out (LEGACY_KEY_SCOPES). */
export type NewApiKey = Omit<ApiKeyRecord, 'scopes'> & { readonly scopes?: readonly ApiKeyScope[] };

/**
 * API keys' registry slice (shared by seed 1's trigger and seed 5's admin API and status route): one item per
 * key, found by the key's hash (read with GetItem).
 */
export const apiKeyKey = (keyHash: string) => ({ pk: `APIKEY#${keyHash}`, sk: 'APIKEY' });

export const apiKeyItem = (apiKey: NewApiKey) => ({
  ...apiKeyKey(apiKey.keyHash),
  type: 'apiKey',
  ...apiKey,
  flows: [...apiKey.flows],
  orgs: [...apiKey.orgs],
  scopes: [...(apiKey.scopes ?? LEGACY_KEY_SCOPES)],
});

/** The stored scopes, unknown words dropped (never widened); none stored: LEGACY_KEY_SCOPES. */
function scopesOf(stored: unknown): readonly ApiKeyScope[] {
  if (!Array.isArray(stored)) return LEGACY_KEY_SCOPES;
  return stored.filter((scope): scope is ApiKeyScope => (API_KEY_SCOPES as readonly unknown[]).includes(scope));
}

/** The key whose SHA-256 is `keyHash`, if there is one. */
export async function readApiKey(registry: Registry, keyHash: string): Promise<ApiKeyRecord | undefined> {
  const item = await registry.getItem(apiKeyKey(keyHash));
  if (item === undefined) return undefined;
  return {
    keyId: String(item.keyId),
    keyHash: String(item.keyHash),
    flows: Array.isArray(item.flows) ? item.flows.map(String) : [],
    orgs: Array.isArray(item.orgs) ? item.orgs.map(String) : [],
    scopes: scopesOf(item.scopes),
    disabled: item.disabled === true,
  };
}

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
  const record = await readApiKey(registry, presentedHash);
  if (record === undefined || record.disabled || !matchesHashedSecret(presented, [record.keyHash])) {
    throw new UnauthorizedError('invalid API key');
  }
  return record;
}

/** Checked before the flow is looked up, so a key that may not use a flow can't learn whether it exists. */
export function assertKeyMayTrigger(apiKey: ApiKeyRecord, flowId: string): void {
  assertKeyScope(apiKey, 'trigger');
  if (!apiKey.flows.includes('*') && !apiKey.flows.includes(flowId)) {
    throw new ForbiddenError(`this API key may not trigger flow "${flowId}"`);
  }
}

/** 403 when the key lacks `scope`: a valid key that may not do this (checked before anything is looked up). */
export function assertKeyScope(apiKey: ApiKeyRecord, scope: ApiKeyScope): void {
  if (!apiKey.scopes.includes(scope)) throw new ForbiddenError(`this API key lacks the "${scope}" scope`);
}
