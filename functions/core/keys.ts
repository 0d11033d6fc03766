import { createHash } from 'node:crypto';

/**
 * The one place composite keys are built (dedupe claims, the replay ledger, run refs of events, callback ids).
 * Adapters and test fakes receive the finished string, so both see the same key for the same parts.
 *
 * Layout: `<kind>#<part>#<part>…`, readable as before, but unambiguous: inside a part `%` is written `%25` and
 * `#` is written `%23`, so `#` only ever separates parts (`/shop#X` + `order-1` and `/shop` + `X#order-1` give
 * different keys). A part whose escaped form is longer than KEY_PART_MAX_BYTES is replaced by `%h` + the
 * base64url SHA-256 of the part; no escaped part can start with `%h`, so a hashed part never equals a literal one.
 * Parts made only of letters, digits and `._-/:` (flow ids, refs, key ids) come out exactly as they went in, so
 * the existing items of those kinds keep their keys.
 */

/**
 * The most UTF-8 bytes one key part keeps as written; a longer part is hashed (45 bytes). DynamoDB keys hold at
 * most 2,048 bytes (partition key) and 1,024 (sort key):
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-partition-sort-keys
 * With parts this short, a key of up to four caller-supplied parts plus its kind and prefix stays far below that.
 */
export const KEY_PART_MAX_BYTES = 256;

/**
 * The kinds of composite key hookflow writes; a kind is a fixed word, never caller input. Each is also the
 * `pk` prefix of its items in the dedupe table, which IAM grants by (functions/adapters/aws/registry-items.ts,
 * `dedupePartitionPrefixes`).
 */
export const KEY_KINDS = [
  'flow-trigger',
  'client-webhook',
  'event-webhook',
  'event',
  'inbound',
  'delivery',
  'callback-id',
  // Replays of recorded deliveries (functions/core/deliveries/replay.ts): replay#<original id>[#…].
  'replay',
] as const;
export type KeyKind = (typeof KEY_KINDS)[number];

/** One part of a key, escaped (or hashed when long) so that it can never contain the separator. */
export function keyPart(part: string): string {
  const escaped = part.replace(/%/g, '%25').replace(/#/g, '%23');
  if (Buffer.byteLength(escaped, 'utf8') <= KEY_PART_MAX_BYTES) return escaped;
  return `%h${createHash('sha256').update(part, 'utf8').digest('base64url')}`;
}

/** `<kind>#<part>#…`: distinct part lists always give distinct keys (up to SHA-256 collisions of long parts). */
export function compositeKey(kind: KeyKind, ...parts: readonly string[]): string {
  return [kind, ...parts.map(keyPart)].join('#');
}
