import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { convertToAttr, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';

const OPTIONS = { removeUndefinedValues: true } as const;

/**
 * `marshall(item, { removeUndefinedValues: true })` of @aws-sdk/util-dynamodb, for the items a request writes (a
 * delivery record, a dedupe claim carrying one): the same attribute values, built with fewer steps. The package's
 * `convertToAttr` tries a dozen type checks per value (constructor names, a list of binary types, its own number
 * class) and copies each list through `filter` and `map`; a record is strings, safe integers and plain objects and
 * arrays of them, and those are written here directly. Any other value (a Set, a Map, bytes, a bigint, a number
 * outside the safe integers, a class instance) goes to the package's `convertToAttr` with the same options, so it
 * is written, or refused, exactly as `marshall` would; test/unit/adapters/attribute-values.test.ts holds the two
 * side by side. Measured: the package's marshall was the largest single piece of a recorded request's own CPU
 * (docs/performance.md, "CPU per request").
 */
export function marshallItem(item: Record<string, unknown>): Record<string, AttributeValue> {
  return mapOf(item);
}

function mapOf(object: object): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  // for…in, as the package's convertToMapAttrFromEnumerableProps (a plain object has no inherited enumerable keys).
  for (const key in object) {
    const value = (object as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== 'function') map[key] = attributeOf(value);
  }
  return map;
}

function attributeOf(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number' && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) {
    const list: AttributeValue[] = [];
    for (const element of value) {
      if (element !== undefined && typeof element !== 'function') list.push(attributeOf(element));
    }
    return { L: list };
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return { M: mapOf(value) };
  return convertToAttr(value as NativeAttributeValue, OPTIONS);
}
