import { type ApiKeyRecord, assertKeyScope } from '../auth/api-keys';
import { NotFoundError } from '../outcomes';
import { type Reach, reaches } from './listing';
import type { DeliveryRecord } from './record';

/**
 * Who sees which deliveries (docs/deliveries.md, "Access"): a key with the `deliveries` scope, limited as its
 * flows and orgs are. The reach is one rule (listing.ts `reaches`) that the list applies as a filter and a
 * single read applies to the record, so a delivery out of reach is 404 in the same words as an unknown one.
 */

/** The key's reach: every delivery when it names every flow and every org (`*` in both), else those it names. */
export function deliveryReachOf(apiKey: ApiKeyRecord): Reach {
  if (apiKey.flows.includes('*') && apiKey.orgs.includes('*')) return {};
  return { flows: apiKey.flows, orgs: apiKey.orgs };
}

/** 403 without the `deliveries` scope; otherwise the key's reach. */
export function deliveriesAccessOf(apiKey: ApiKeyRecord): Reach {
  assertKeyScope(apiKey, 'deliveries');
  return deliveryReachOf(apiKey);
}

/** The one answer for an unknown, expired or out-of-reach delivery: word for word the same. */
export function deliveryNotFound(id: string): NotFoundError {
  return new NotFoundError(`delivery "${id}" not found`);
}

/** The record when the reach covers it; otherwise the same 404 an unknown id gets. */
export function withinReach(id: string, record: DeliveryRecord | undefined, reach: Reach): DeliveryRecord {
  if (record === undefined || !reaches(record, reach)) throw deliveryNotFound(id);
  return record;
}
