/**
 * Items whose partition key starts with one of `prefixes`, and only calls that name their partition keys.
 * `dynamodb:LeadingKeys` is the partition key values a call addresses:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
 * ForAllValues is also true when the key is absent from the request (a Scan names no partition), so the Null
 * test requires it to be there:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
export function leadingKeysLike(prefixes: readonly string[]): Record<string, Record<string, unknown>> {
  return {
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((prefix) => `${prefix}*`) },
    Null: { 'dynamodb:LeadingKeys': 'false' },
  };
}
