import type { DeliveryQuery, DeliverySummary } from './log';
import type { DeliveryRecord } from './record';

/**
 * The listing rules, stated once: the DynamoDB adapter applies them to what it reads off the `deliveries` index
 * (a key range per shard, newest first), the in-memory fake to its records. A FilterExpression would cost the
 * same read units (DynamoDB bills a Query by what it reads before filtering), so filtering here loses nothing
 * and keeps one definition.
 */

/** Largest page of GET /api/deliveries. */
export const MAX_DELIVERIES_PAGE = 100;

export function summaryOf(record: DeliveryRecord): DeliverySummary {
  const { headers: _headers, body, ...summary } = record;
  return { ...summary, bodyBytes: body.bytes };
}

/** Whether a delivery passes every filter of the query except the time range and cursor (those are key ranges). */
export function matches(delivery: DeliverySummary, query: DeliveryQuery): boolean {
  if (query.style !== undefined && delivery.style !== query.style) return false;
  if (query.registration !== undefined && delivery.registration !== query.registration) return false;
  if (query.outcome !== undefined && delivery.outcome !== query.outcome) return false;
  if (query.correlationId !== undefined && delivery.correlationId !== query.correlationId) return false;
  return reaches(delivery, query);
}

/**
 * Whether a key limited to flows and/or orgs (`query.flows`, `query.orgs`; both undefined: any delivery) reaches
 * the delivery: a flow-trigger delivery of one of its flows, or a registered-webhooks delivery of one of its
 * organisations (`*` in either: every one of that kind). A limit is a union, never an intersection: a key of
 * flow `a` and org `o` sees both. Other styles' deliveries belong to no flow or org: only an unlimited key sees them.
 */
export function reaches(delivery: Pick<DeliverySummary, 'style' | 'registration' | 'org'>, query: Reach): boolean {
  if (query.flows === undefined && query.orgs === undefined) return true;
  const flows = query.flows ?? [];
  const orgs = query.orgs ?? [];
  if (delivery.style === 'flow-trigger') return flows.includes('*') || flows.includes(delivery.registration);
  if (delivery.style === 'registered-webhooks' && delivery.org !== undefined) {
    return orgs.includes('*') || orgs.includes(delivery.org);
  }
  return false;
}

/** A key's reach as a query carries it (./access.ts derives it from the key). */
export type Reach = Pick<DeliveryQuery, 'flows' | 'orgs'>;

/**
 * Newest first across shards: each shard's matches (each newest first, ids beyond the cursor already left out)
 * merged, cut to `limit`. `next` is the last id returned when more may match: ids order deliveries globally, so
 * the next page is every shard's ids below it.
 */
export function mergeNewestFirst(
  shards: readonly { readonly items: readonly DeliverySummary[]; readonly more: boolean }[],
  limit: number,
): { readonly items: DeliverySummary[]; readonly next?: string } {
  const all = shards.flatMap((shard) => shard.items).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const items = all.slice(0, limit);
  const more = all.length > limit || shards.some((shard) => shard.more);
  return more && items.length > 0 ? { items, next: items[items.length - 1]!.id } : { items };
}
