import { marshall } from '@aws-sdk/util-dynamodb';
import { toAttributeMap } from '../../lib/dynamodb-json';

/**
 * The registry items the stack writes at deploy time are marshalled by hookflow's own code (lib/dynamodb-json.ts),
 * so a consumer need not install the DynamoDB client: it must write exactly what `marshall` wrote before.
 */
describe('toAttributeMap', () => {
  const options = { removeUndefinedValues: true, convertClassInstanceToMap: true };

  it('writes a registry item as marshall does', () => {
    // Arrange: every kind of value registry items hold, undefined ones included.
    const item = {
      pk: 'FLOW#orders',
      sk: 'FLOW',
      published: true,
      count: 3,
      ratio: 0.5,
      nothing: null,
      skipped: undefined,
      eventTypes: ['order.created', 'order.paid'],
      target: { stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:orders', workflowType: 'EXPRESS' },
      nested: { list: [{ a: 1 }, 'b', undefined, false], empty: {} },
      tags: new Set(['a', 'b']),
      sizes: new Set([1, 2]),
    };

    // Act
    const ours = toAttributeMap(item);

    // Assert
    expect(ours).toEqual(marshall(item, options));
  });

  it.each([
    ['an empty set', { s: new Set() }, /s: a set/],
    ['a mixed set', { s: new Set(['a', 1]) }, /s: a set/],
    ['NaN', { n: Number.NaN }, /n: NaN/],
    ['an unsafe integer', { n: 2 ** 60 }, /n: .* precision/],
    ['a function', { f: () => 1 }, /f: function/],
  ])('refuses %s, naming the attribute', (_, item, message) => {
    // Arrange / Act / Assert
    expect(() => toAttributeMap(item as Record<string, unknown>)).toThrow(message);
  });
});
