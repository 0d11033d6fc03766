/**
 * Plain values as DynamoDB attribute values (the JSON the DynamoDB API takes), for the registry items the stack
 * writes at deploy time (lib/registry-record.ts). Why not `marshall` from @aws-sdk/util-dynamodb: that package
 * declares @aws-sdk/client-dynamodb as a peer dependency, so a CDK app installing hookflow would install the
 * whole DynamoDB client (30 more packages in all) to build a few strings at synth. The same mapping as
 * `marshall` with `removeUndefinedValues` and `convertClassInstanceToMap` for the values registry items hold; a
 * value it has no mapping for is an error, not a guess. test/infra/dynamodb-json.test.ts holds it to `marshall`.
 * Data types: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html
 */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> }
  | { SS: string[] }
  | { NS: string[] };

/** An object's defined properties as attribute values: the shape of an item, a key, or ExpressionAttributeValues. */
export function toAttributeMap(item: Readonly<Record<string, unknown>>): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) map[name] = toAttributeValue(value, name);
  }
  return map;
}

function toAttributeValue(value: unknown, path: string): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'boolean') return { BOOL: value };
  if (typeof value === 'number') return { N: number(value, path) };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) {
    return { L: value.filter((v) => v !== undefined).map((v, i) => toAttributeValue(v, `${path}[${i}]`)) };
  }
  if (value instanceof Set) {
    const members = [...value];
    // DynamoDB refuses an empty set.
    if (members.length > 0 && members.every((m) => typeof m === 'string')) return { SS: members as string[] };
    if (members.length > 0 && members.every((m) => typeof m === 'number')) {
      return { NS: (members as number[]).map((m) => number(m, path)) };
    }
    throw new Error(`${path}: a set must hold strings or numbers only, and at least one`);
  }
  if (typeof value === 'object') return { M: toAttributeMap(value as Record<string, unknown>) };
  throw new Error(`${path}: ${typeof value} has no DynamoDB attribute type`);
}

/** DynamoDB numbers carry 38 digits, JavaScript's only 15 to 17 safely: refuse what would lose precision. */
function number(value: number, path: string): string {
  if (!Number.isFinite(value)) throw new Error(`${path}: ${value} is not a number DynamoDB can store`);
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new Error(`${path}: ${value} is beyond JavaScript's safe integers and would lose precision`);
  }
  return String(value);
}
