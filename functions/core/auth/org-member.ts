import type { Registry } from '../ports';
import { InvalidInputError, ForbiddenError } from '../outcomes';
import { type Headers, authenticateApiKey, presentedApiKey } from './api-keys';

/** Who is calling the admin API (seed 5): an API key, acting for one organisation it belongs to. */
export interface OrgCaller {
  readonly keyId: string;
  readonly orgId: string;
}

/**
 * `X-Api-Key` (or a bearer token) plus `X-Api-Org`: the key must be valid and a member of that organisation.
 * Everything the caller does afterwards is scoped to that organisation; resources of any other one answer 404.
 */
export async function authenticateOrgMember(registry: Registry, headers: Headers | undefined): Promise<OrgCaller> {
  const apiKey = await authenticateApiKey(registry, presentedApiKey(headers));
  const orgId = headers?.['x-api-org']?.trim();
  if (orgId === undefined || orgId === '') {
    throw new InvalidInputError('missing X-Api-Org header: name the organisation the request acts for');
  }
  if (!apiKey.orgs.includes(orgId)) {
    throw new ForbiddenError(`this API key is not a member of organisation "${orgId}"`);
  }
  return { keyId: apiKey.keyId, orgId };
}
