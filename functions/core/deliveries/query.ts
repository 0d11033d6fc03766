import { InvalidInputError } from '../outcomes';
import { isDeliveryId, receivedAtOf } from './ids';
import { MAX_DELIVERIES_PAGE } from './listing';
import type { DeliveryQuery } from './log';
import { type DeliveryOutcome, type DeliveryStyle, MAX_CORRELATION_ID_LENGTH } from './record';

/**
 * GET /api/deliveries's query string (and a bulk replay's `filter`), parsed into a DeliveryQuery. Every bad input
 * is a 400 naming the parameter: an unknown or repeated one, a bad style or outcome, a time that is not ISO 8601
 * with a zone, `from` after `to`, a range reaching before the retention (nothing older is kept: such a range is a
 * mistake, not an empty page), a limit out of 1..MAX_DELIVERIES_PAGE, a malformed cursor.
 */

/** `limit` when none is given. */
export const DELIVERIES_DEFAULT_PAGE = 25;
/** The range when `from` is not given: the last 24 hours before `to`. */
export const DELIVERIES_DEFAULT_RANGE_HOURS = 24;
/** Longest `registration` filter: no registration name is longer (flow ids 128, client/name 2 x 128, ...). */
export const MAX_REGISTRATION_FILTER_LENGTH = 512;

export const DELIVERY_STYLES: readonly DeliveryStyle[] = [
  'flow-trigger',
  'client-webhook',
  'inbound',
  'events',
  'registered-webhooks',
];
export const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = ['started', 'deduplicated', 'refused', 'failed', 'queued'];

/** The filter parameters (a bulk replay's `filter` takes these), then the page parameters of a list. */
export const FILTER_PARAMETERS = ['style', 'registration', 'outcome', 'correlationId', 'from', 'to'] as const;
export const LIST_PARAMETERS = [...FILTER_PARAMETERS, 'limit', 'cursor'] as const;

export interface QuerySettings {
  /** Epoch ms. */
  readonly now: number;
  /** DELIVERY_RETENTION_DAYS: the oldest `from` accepted. */
  readonly retentionDays: number;
}

/** A parsed filter with its time range resolved (what a bulk replay echoes back). */
export type DeliveryFilter = Omit<DeliveryQuery, 'limit' | 'cursor' | 'flows' | 'orgs'>;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** The list's query string, as name/value pairs in the order sent (repeats kept, so they can be refused). */
export function parseDeliveryQuery(
  params: readonly (readonly [string, string])[],
  settings: QuerySettings,
): Omit<DeliveryQuery, 'flows' | 'orgs'> {
  const values = single(params, LIST_PARAMETERS, 'parameter');
  const filter = parseFilterValues(values, settings);
  const limit = parseLimit(values.get('limit'));
  const cursor = values.get('cursor');
  if (cursor !== undefined) checkCursor(cursor, filter);
  return { ...filter, limit, ...(cursor === undefined ? {} : { cursor }) };
}

/** A bulk replay's `filter` object: the filter parameters as JSON strings. */
export function parseDeliveryFilter(filter: unknown, settings: QuerySettings): DeliveryFilter {
  if (filter === undefined) return parseFilterValues(new Map(), settings);
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
    throw new InvalidInputError('filter must be an object of style, registration, outcome, correlationId, from, to');
  }
  const pairs = Object.entries(filter).map(([name, value]): [string, string] => {
    if (typeof value !== 'string') throw new InvalidInputError(`filter.${name} must be a string`);
    return [name, value];
  });
  return parseFilterValues(single(pairs, FILTER_PARAMETERS, 'filter field'), settings);
}

/** A cursor is the last id of the previous page: a delivery id inside the range (else it cannot be this list's). */
export function checkCursor(cursor: string, range: { readonly from: number; readonly to: number }): void {
  if (!isDeliveryId(cursor)) throw new InvalidInputError(`cursor "${cursor}" is malformed: pass the "next" of a page`);
  const at = receivedAtOf(cursor);
  if (at < range.from || at > range.to) {
    throw new InvalidInputError(`cursor "${cursor}" is outside from..to: pass it with the filters of its page`);
  }
}

function single(
  pairs: readonly (readonly [string, string])[],
  known: readonly string[],
  what: string,
): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of pairs) {
    if (!known.includes(name)) {
      throw new InvalidInputError(`unknown ${what} "${name}": the known ones are ${known.join(', ')}`);
    }
    if (values.has(name)) throw new InvalidInputError(`${what} "${name}" is given more than once`);
    if (value === '') throw new InvalidInputError(`${what} "${name}" is empty`);
    values.set(name, value);
  }
  return values;
}

function parseFilterValues(values: ReadonlyMap<string, string>, settings: QuerySettings): DeliveryFilter {
  const style = values.get('style');
  if (style !== undefined && !DELIVERY_STYLES.includes(style as DeliveryStyle)) {
    throw new InvalidInputError(`style "${style}" is none of ${DELIVERY_STYLES.join(', ')}`);
  }
  const outcome = values.get('outcome');
  if (outcome !== undefined && !DELIVERY_OUTCOMES.includes(outcome as DeliveryOutcome)) {
    throw new InvalidInputError(`outcome "${outcome}" is none of ${DELIVERY_OUTCOMES.join(', ')}`);
  }
  const registration = values.get('registration');
  if (registration !== undefined && registration.length > MAX_REGISTRATION_FILTER_LENGTH) {
    throw new InvalidInputError(`registration is longer than ${MAX_REGISTRATION_FILTER_LENGTH} characters`);
  }
  const correlationId = values.get('correlationId');
  if (correlationId !== undefined && correlationId.length > MAX_CORRELATION_ID_LENGTH) {
    throw new InvalidInputError(`correlationId is longer than ${MAX_CORRELATION_ID_LENGTH} characters`);
  }

  const oldest = settings.now - settings.retentionDays * DAY_MS;
  const to = timeOf('to', values.get('to')) ?? settings.now;
  const given = timeOf('from', values.get('from'));
  const retention = `deliveries are kept ${settings.retentionDays} days (DELIVERY_RETENTION_DAYS), so nothing before ${new Date(oldest).toISOString()} exists`;
  if (to < oldest) throw new InvalidInputError(`to is before the retention window: ${retention}`);
  if (given !== undefined && given < oldest) {
    throw new InvalidInputError(`from is before the retention window: ${retention}`);
  }
  const from = given ?? Math.max(oldest, to - DELIVERIES_DEFAULT_RANGE_HOURS * HOUR_MS);
  if (from > to) throw new InvalidInputError('from is after to');
  return {
    from,
    to,
    ...(style === undefined ? {} : { style: style as DeliveryStyle }),
    ...(registration === undefined ? {} : { registration }),
    ...(outcome === undefined ? {} : { outcome: outcome as DeliveryOutcome }),
    ...(correlationId === undefined ? {} : { correlationId }),
  };
}

function timeOf(name: string, given: string | undefined): number | undefined {
  if (given === undefined) return undefined;
  // An unencoded `+01:00` in a query string arrives as ` 01:00` (form decoding turns `+` into a space): a space is
  // never valid there, so it can only be that plus.
  const value = given.replace(/^(\d{4}-\d{2}-\d{2}T[\d:.]+) (\d{2}:\d{2})$/, '$1+$2');
  const ms = ISO_8601.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidInputError(
      `${name} "${given}" is not an ISO 8601 time with a zone, like 2026-12-05T10:02:00Z or 2026-12-05T11:02:00+01:00`,
    );
  }
  return ms;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return DELIVERIES_DEFAULT_PAGE;
  const limit = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_DELIVERIES_PAGE)) {
    throw new InvalidInputError(`limit "${value}" must be a whole number from 1 to ${MAX_DELIVERIES_PAGE}`);
  }
  return limit;
}

/** A filter as a bulk replay echoes it: times back as ISO 8601, so a caller can continue with the same range. */
export function filterView(filter: DeliveryFilter): Record<string, string> {
  return {
    ...(filter.style === undefined ? {} : { style: filter.style }),
    ...(filter.registration === undefined ? {} : { registration: filter.registration }),
    ...(filter.outcome === undefined ? {} : { outcome: filter.outcome }),
    ...(filter.correlationId === undefined ? {} : { correlationId: filter.correlationId }),
    from: new Date(filter.from).toISOString(),
    to: new Date(filter.to).toISOString(),
  };
}
