/**
 * Key schemas of hookflow's DynamoDB tables, shared by the CDK construct (lib/tables.ts) and the local
 * stack's table creation (local/), so both build exactly the same tables.
 */
export const registryTableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
} as const;

export const dedupeTableSchema = {
  partitionKey: 'pk',
  /** Epoch seconds. DynamoDB TTL deletes late (up to days), so every read also checks it in a condition. */
  timeToLiveAttribute: 'expiresAt',
} as const;

/**
 * The dedupe table's global secondary index of delivery records (docs/deliveries.md): partition `dPk` (`d#0` ..
 * `d#<DELIVERY_INDEX_SHARDS-1>`), sort `dSk` (the delivery id, a ULID: time-ordered). Projection INCLUDE the
 * summary attributes (`projected`), never headers or body.
 */
export const DELIVERIES_INDEX = 'deliveries';

export const deliveriesIndexSchema = {
  partitionKey: 'dPk',
  sortKey: 'dSk',
  /** The non-key attributes it projects: a DeliverySummary's (the id is `dSk`). */
  projected: [
    'style',
    'registration',
    'org',
    'receivedAt',
    'method',
    'path',
    'outcome',
    'status',
    'reason',
    'correlationId',
    'runs',
    'replayOf',
    'expiresAt',
    'bodyBytes',
  ],
} as const;
