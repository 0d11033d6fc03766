import { hash, randomFillSync } from 'node:crypto';
import { decodeTime, encodeTime, isValid, monotonicFactory } from 'ulid';

/**
 * Delivery ids: `dlv_` + a ULID (https://github.com/ulid/spec, the `ulid` package): 48 bits of milliseconds then
 * 80 random bits, in Crockford base32, so ids sort by the time they were received. The id is the `deliveries`
 * index's sort key (`dSk`), and its hash picks the index partition (`dPk`), so a record is found by its id alone
 * and a time range is a key range.
 */
export const DELIVERY_ID_PREFIX = 'dlv_';

/**
 * The ULID's random characters from a pool filled by the OS's CSPRNG 256 bytes at a time, one byte per character:
 * the package's own source calls `crypto.getRandomValues` once per character (16 calls per id). A byte / 256 is
 * uniform over the 32 base32 characters (256 is a multiple of 32), so the ids are as random as before.
 */
const pool = Buffer.alloc(256);
let poolAt = pool.length;
export function pooledRandomFraction(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]! / 256;
}

const nextUlid = monotonicFactory(pooledRandomFraction);

export function newDeliveryId(nowMs: number): string {
  return `${DELIVERY_ID_PREFIX}${nextUlid(nowMs)}`;
}

/** The id's ULID, or undefined when `id` is not a delivery id (a 404, never a 500). */
export function ulidOf(id: string): string | undefined {
  if (!id.startsWith(DELIVERY_ID_PREFIX)) return undefined;
  const ulid = id.slice(DELIVERY_ID_PREFIX.length);
  return ulid.length === 26 && isValid(ulid) ? ulid.toUpperCase() : undefined;
}

export function isDeliveryId(id: string): boolean {
  return ulidOf(id) !== undefined;
}

/** When the delivery was received (epoch ms), read off its id. */
export function receivedAtOf(id: string): number {
  const ulid = ulidOf(id);
  if (ulid === undefined) throw new Error(`not a delivery id: ${id}`);
  return decodeTime(ulid);
}

/** The smallest and largest ids of a millisecond range, inclusive: a time filter as a sort-key range. */
export function idRangeOf(fromMs: number, toMs: number): { readonly first: string; readonly last: string } {
  return {
    first: `${DELIVERY_ID_PREFIX}${encodeTime(Math.max(0, fromMs), 10)}${'0'.repeat(16)}`,
    last: `${DELIVERY_ID_PREFIX}${encodeTime(toMs, 10)}${'Z'.repeat(16)}`,
  };
}

/**
 * The `deliveries` index partition of a record (`d#0` .. `d#<shards-1>`): records are spread over `shards`
 * partitions so that no single index partition takes every write (a GSI partition, like a table's, takes at
 * most 1,000 write units per second: docs/deliveries.md cites it), and listing reads every shard.
 */
export function indexPartitionOf(id: string, shards: number): string {
  const digest = hash('sha256', id, 'buffer'); // one call per digest: see functions/core/auth/secrets.ts
  return `d#${digest.readUInt32BE(0) % shards}`;
}

export function indexPartitions(shards: number): readonly string[] {
  return Array.from({ length: shards }, (_, shard) => `d#${shard}`);
}
