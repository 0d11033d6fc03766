import { ulid } from 'ulid';
import { MAX_DELIVERIES_PAGE } from '../../../functions/core/deliveries/listing';
import {
  DELIVERIES_DEFAULT_PAGE,
  DELIVERIES_DEFAULT_RANGE_HOURS,
  parseDeliveryFilter,
  parseDeliveryQuery,
} from '../../../functions/core/deliveries/query';
import { InvalidInputError } from '../../../functions/core/outcomes';

/** A delivery id received at `ms` (the non-monotonic ulid: tests make ids out of time order). */
const idAt = (ms: number) => `dlv_${ulid(ms)}`;
const NOW = Date.parse('2026-12-05T11:00:00.000Z');
const settings = { now: NOW, retentionDays: 7 };
const parse = (query: string) =>
  parseDeliveryQuery(
    [...new URLSearchParams(query)].map(([n, v]) => [n, v] as const),
    settings,
  );
const refusal = (query: string) => {
  try {
    parse(query);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error(`"${query}" was accepted`);
};

describe('GET /api/deliveries query parsing', () => {
  it('defaults: the last 24 hours up to now, 25 per page', () => {
    // Act
    const query = parse('');
    // Assert
    expect(query).toEqual({ from: NOW - DELIVERIES_DEFAULT_RANGE_HOURS * 3_600_000, to: NOW, limit: 25 });
    expect(DELIVERIES_DEFAULT_PAGE).toBe(25);
  });

  it('takes every filter, times with any zone', () => {
    const query = parse(
      'style=flow-trigger&registration=orders&outcome=failed&correlationId=evt_1&from=2026-12-05T11:02:00%2B01:00&to=2026-12-05T10:05:00Z&limit=100',
    );
    expect(query).toEqual({
      style: 'flow-trigger',
      registration: 'orders',
      outcome: 'failed',
      correlationId: 'evt_1',
      from: Date.parse('2026-12-05T10:02:00Z'),
      to: Date.parse('2026-12-05T10:05:00Z'),
      limit: 100,
    });
  });

  it("reads an unencoded '+' of a zone (form-decoded to a space) as the plus it was", () => {
    expect(parse('from=2026-12-05T11:02:00+01:00').from).toBe(Date.parse('2026-12-05T10:02:00Z'));
  });

  it('takes a cursor inside the range', () => {
    const cursor = idAt(NOW - 60_000);
    expect(parse(`cursor=${cursor}`).cursor).toBe(cursor);
  });

  it.each([
    ['sort=asc', 'unknown parameter "sort"'],
    ['style=a&style=b', 'parameter "style" is given more than once'],
    ['style=', 'parameter "style" is empty'],
    ['style=webhooks', 'style "webhooks" is none of'],
    ['outcome=ok', 'outcome "ok" is none of'],
    ['from=yesterday', 'from "yesterday" is not an ISO 8601 time with a zone'],
    ['to=2026-12-05T10:00:00', 'to "2026-12-05T10:00:00" is not an ISO 8601 time with a zone'],
    ['from=2026-13-45T10:00:00Z', 'from "2026-13-45T10:00:00Z" is not an ISO 8601'],
    ['from=2026-12-05T10:00:00Z&to=2026-12-05T09:00:00Z', 'from is after to'],
    ['from=2026-11-20T10:00:00Z', 'from is before the retention window'],
    ['to=2026-11-20T10:00:00Z', 'to is before the retention window'],
    [`limit=${MAX_DELIVERIES_PAGE + 1}`, `limit "${MAX_DELIVERIES_PAGE + 1}" must be a whole number from 1 to 100`],
    ['limit=0', 'limit "0" must be a whole number'],
    ['limit=2.5', 'limit "2.5" must be a whole number'],
    ['limit=ten', 'limit "ten" must be a whole number'],
    ['cursor=abc', 'cursor "abc" is malformed'],
    [`cursor=${'dlv_'.padEnd(30, 'U')}`, 'is malformed'],
    [`correlationId=${'x'.repeat(257)}`, 'correlationId is longer than 256 characters'],
    [`registration=${'x'.repeat(513)}`, 'registration is longer than 512 characters'],
  ])('refuses %s with a 400 naming it', (query, message) => {
    expect(refusal(query)).toContain(message);
  });

  it("refuses a cursor from outside the range (another query's page)", () => {
    const old = idAt(NOW - 3 * 24 * 3_600_000);
    expect(refusal(`cursor=${old}`)).toContain('is outside from..to');
  });
});

describe('a bulk replay filter', () => {
  it('takes the filter fields as strings and resolves the range', () => {
    expect(parseDeliveryFilter({ outcome: 'failed', from: '2026-12-05T10:00:00Z' }, settings)).toEqual({
      outcome: 'failed',
      from: Date.parse('2026-12-05T10:00:00Z'),
      to: NOW,
    });
  });

  it.each([
    [{ limit: '5' }, 'unknown filter field "limit"'],
    [{ outcome: 3 }, 'filter.outcome must be a string'],
    [[], 'filter must be an object'],
    [{ from: 'now' }, 'from "now" is not an ISO 8601'],
  ])('refuses %j', (filter, message) => {
    expect(() => parseDeliveryFilter(filter, settings)).toThrow(message);
  });
});
