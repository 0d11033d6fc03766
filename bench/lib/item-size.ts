/**
 * DynamoDB's size of an item, as it bills writes and storage, from the item's attributes (the wire shape,
 * AttributeValue maps). The rules, from "DynamoDB item sizes and formats"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html): each attribute
 * costs its name's UTF-8 bytes plus its value: a string its UTF-8 bytes, a number 1 byte per two significant digits
 * plus 1, a binary its raw bytes, a null or Boolean 1 byte, a list or map 3 bytes plus 1 byte per element plus the
 * elements; sets the sum of their members. Every item also takes 100 bytes of storage overhead (storage, not writes).
 * A write costs one write request unit per KB of the item, rounded up
 * (https://aws.amazon.com/dynamodb/pricing/on-demand/).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

/** Storage overhead per item (and per index entry). */
export const ITEM_STORAGE_OVERHEAD_BYTES = 100;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number's bytes: 1 per two significant digits (leading and trailing zeroes trimmed), plus 1. */
export function numberBytes(text: string): number {
  const digits = text
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** The bytes of one value (without its name). */
export function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((total, s) => total + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((total, n) => total + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((total, b) => total + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((total, v) => total + 1 + valueBytes(v), 0);
  if (value.M !== undefined) {
    return 3 + Object.entries(value.M).reduce((total, [name, v]) => total + 1 + utf8(name) + valueBytes(v), 0);
  }
  throw new Error(`item-size: unknown attribute value ${JSON.stringify(value)}`);
}

/** The item's size as DynamoDB bills a write of it (no storage overhead). */
export function itemBytes(item: Item): number {
  return Object.entries(item).reduce((total, [name, value]) => total + utf8(name) + valueBytes(value), 0);
}

/** Write request units of one write of an item of this size: one per KB, rounded up (at least one). */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/**
 * The entry a global secondary index keeps for an item: the table's key, the index's keys and the projected
 * attributes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.StorageConsiderations);
 * undefined when the item lacks an index key (then the index holds nothing for it, and no index write is made).
 */
export function indexEntry(
  item: Item,
  tableKeys: readonly string[],
  indexKeys: readonly string[],
  projected: readonly string[],
): Item | undefined {
  if (indexKeys.some((key) => item[key] === undefined)) return undefined;
  const names = new Set([...tableKeys, ...indexKeys, ...projected]);
  return Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
}
