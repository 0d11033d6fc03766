import { marshall } from '@aws-sdk/util-dynamodb';
import { marshallItem } from '../../../functions/adapters/aws/attribute-values';

const marshalled = (item: Record<string, unknown>) => marshall(item, { removeUndefinedValues: true });

describe("marshallItem: util-dynamodb's marshall with removeUndefinedValues, for the items a request writes", () => {
  it('writes a delivery record carried by a claim as marshall does', () => {
    const item = {
      pk: 'flow-trigger#hello#key-1',
      fingerprint: 'ab'.repeat(32),
      owner: 'owner-1',
      createdAt: 1_796_548_324_000,
      leaseUntil: 1_796_548_354_000,
      dedupeUntil: 1_796_634_724,
      expiresAt: 1_799_140_324,
      id: 'dlv_01M92QHH98JBW7BS2X2CCS29YM',
      style: 'flow-trigger',
      registration: 'hello',
      apiKeyId: undefined,
      receivedAt: '2026-12-05T09:10:00.000Z',
      method: 'POST',
      path: '/flows/hello/trigger',
      outcome: 'started',
      status: 202,
      reason: undefined,
      runs: [{ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:hello:x', runRef: undefined }, undefined],
      headers: { 'content-type': 'application/json', authorization: '[redacted]', empty: '' },
      body: { bytes: 0, sha256: 'e3b0', inline: '' },
      bodyBytes: 0,
      negative: -5,
      fraction: 0.25,
      yes: true,
      nothing: null,
      nested: [[1, 'a', { deep: [false] }], []],
      empty: {},
      dPk: 'd#3',
      dSk: 'dlv_01M92QHH98JBW7BS2X2CCS29YM',
    };

    expect(marshallItem(item)).toEqual(marshalled(item));
  });

  it.each([
    ['a string set', { keys: new Set(['a', 'b']) }],
    ['a number set', { keys: new Set([1, 2]) }],
    ['a Map', { map: new Map([['a', 1]]) }],
    ['bytes', { bytes: Buffer.from('hi') }],
    ['a bigint', { big: 12345678901234567890n }],
    ['an object without a prototype', { bare: Object.assign(Object.create(null) as object, { a: 'x' }) }],
    ['a function, skipped', { fn: () => 1, kept: 'k' }],
  ])('hands %s to the package, with the same result', (_name, item) => {
    expect(marshallItem(item)).toEqual(marshalled(item));
  });

  it.each([
    ['a number beyond the safe integers', { n: Number.MAX_SAFE_INTEGER + 2 }],
    ['NaN', { n: Number.NaN }],
    ['Infinity', { n: Number.POSITIVE_INFINITY }],
    ['an empty set', { keys: new Set() }],
    ['a class instance', { at: new Date(0) }],
  ])('refuses %s as the package does', (_name, item) => {
    expect(() => marshalled(item)).toThrow();
    expect(() => marshallItem(item)).toThrow(
      (() => {
        try {
          marshalled(item);
        } catch (error) {
          return (error as Error).message;
        }
        return 'unreachable';
      })(),
    );
  });
});
