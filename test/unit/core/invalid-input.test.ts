import * as z from 'zod';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describeInvalid } from '../../../functions/core/invalid-input';
import { parseInboundRequest } from '../../../functions/styles/inbound/request';

const schema = z.strictObject({
  workflow: z.string('workflow must be a string'),
  stateValues: z.record(z.string(), z.unknown(), 'stateValues must be an object').nullish(),
  count: z.number().int().min(1).max(5).optional(),
  name: z.string().min(2).max(3).optional(),
  tags: z.array(z.string()).max(1).optional(),
  mode: z.enum(['dev', 'prod']).optional(),
  kind: z.literal('x').optional(),
  id: z.string().regex(/^a+$/).optional(),
  email: z.email().optional(),
  either: z.union([z.string(), z.number()]).optional(),
  nested: z.object({ deep: z.boolean() }).optional(),
  items: z.array(z.object({ uid: z.string() })).optional(),
});

function messageFor(input: unknown): string {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('expected the input to be refused');
  return describeInvalid(parsed.error, input);
}

describe('describeInvalid: one message per zod issue kind, naming the field and what is wrong', () => {
  it.each([
    [
      'a field of the wrong type, with the schema message',
      { workflow: 'w', stateValues: 'x' },
      'stateValues must be an object',
    ],
    ['an absent required field', {}, 'workflow is required'],
    [
      'a field of the wrong type, in zod words',
      { workflow: 'w', nested: { deep: 'yes' } },
      'nested.deep must be a boolean',
    ],
    ['a nested absent field', { workflow: 'w', nested: {} }, 'nested.deep is required'],
    [
      'an array item field, by index',
      { workflow: 'w', items: [{ uid: 'a' }, { uid: 7 }] },
      'items[1].uid must be a string',
    ],
    ['an unknown field', { workflow: 'w', extra: 1 }, 'unknown field "extra"'],
    ['a number too big', { workflow: 'w', count: 9 }, 'count must be at most 5'],
    ['a number too small', { workflow: 'w', count: 0 }, 'count must be at least 1'],
    ['a non-integer', { workflow: 'w', count: 1.5 }, 'count must be an integer'],
    ['a string too long', { workflow: 'w', name: 'abcd' }, 'name must be at most 3 characters'],
    ['a string too short', { workflow: 'w', name: 'a' }, 'name must be at least 2 characters'],
    ['an array too long', { workflow: 'w', tags: ['a', 'b'] }, 'tags must be at most 1 items'],
    ['a value outside an enum', { workflow: 'w', mode: 'test' }, 'mode must be one of "dev", "prod"'],
    ['a wrong literal', { workflow: 'w', kind: 'y' }, 'kind must be "x"'],
    ['a string not matching its pattern', { workflow: 'w', id: 'b' }, 'id must match /^a+$/'],
    ['a malformed format', { workflow: 'w', email: 'nope' }, 'email must be a valid email'],
    ['a value of no accepted form', { workflow: 'w', either: true }, 'either is none of the accepted forms'],
  ])('%s', (_, input, expected) => {
    expect(messageFor(input)).toBe(expected);
  });

  it('names the value itself when the schema is not an object', () => {
    const parsed = z.string().max(2).safeParse('abc');

    expect(describeInvalid(parsed.error!, 'abc')).toBe('the value must be at most 2 characters');
  });

  it('prefixes a custom message that does not name its field with the path', () => {
    const parsed = z.object({ a: z.string().min(3, 'too short') }).safeParse({ a: 'x' });

    expect(describeInvalid(parsed.error!, { a: 'x' })).toBe('a: too short');
  });
});

describe('the styles answer with it', () => {
  it('POST /inbound {"stateValues":"x"} says stateValues must be an object, not that it is required', () => {
    const event = {
      body: JSON.stringify({ workflow: 'w', stateValues: 'x' }),
      headers: {},
      isBase64Encoded: false,
      requestContext: { stage: '$default', domainName: 'localhost' },
    };

    expect(() =>
      parseInboundRequest(event as unknown as APIGatewayProxyEventV2, { maxBodyBytes: 1_000_000, maxBatchItems: 10 }),
    ).toThrow('stateValues must be an object');
  });
});
