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
