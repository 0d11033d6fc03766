import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../../core/zod';
import { describeInvalid } from '../../core/invalid-input';
import { InvalidInputError } from '../../core/outcomes';
import { isDeliveryId } from '../../core/deliveries/ids';
import { REPLAY_MODES } from '../../core/deliveries/replay';
import { type QuerySettings, checkCursor, parseDeliveryFilter, parseDeliveryQuery } from '../../core/deliveries/query';
import { deliveryNotFound } from '../../core/deliveries/access';
import { bodyText, parseJsonText, rawBody } from '../../http/request';
import type { BulkReplayRequest, ReplayOptions } from './replay-deliveries';

/** Largest body the deliveries API reads (a replay's options, a bulk replay's filter): far above what they need. */
export const MAX_DELIVERIES_API_BODY_BYTES = 16 * 1024;

/** GET /api/deliveries: the raw query string, so that a repeated parameter is refused rather than comma-joined. */
export function parseListRequest(event: APIGatewayProxyEventV2, settings: QuerySettings) {
  const pairs = [...new URLSearchParams(event.rawQueryString ?? '')].map(([name, value]) => [name, value] as const);
  return parseDeliveryQuery(pairs, settings);
}

/** `{id}`: anything that is not a delivery id is unknown (404, the same words as an unknown id), never a 400. */
export function deliveryIdOf(event: APIGatewayProxyEventV2): string {
  const id = event.pathParameters?.id ?? '';
  // A delivery id is 30 characters: a longer path segment is not echoed back whole.
  if (!isDeliveryId(id)) throw deliveryNotFound(id.length > 64 ? `${id.slice(0, 64)}…` : id);
  return id;
}

const replaySchema = z.strictObject({
  mode: z._default(z.enum(REPLAY_MODES), 'if-no-run'),
  dryRun: z._default(z.boolean(), false),
});

const bulkSchema = z.strictObject({
  filter: z.optional(z.unknown()),
  mode: z._default(z.enum(REPLAY_MODES), 'if-no-run'),
  dryRun: z._default(z.boolean(), false),
  expect: z.optional(z.number().check(z.int(), z.minimum(0))),
  cursor: z.optional(z.string()),
});

function jsonBody(event: APIGatewayProxyEventV2): unknown {
  const text = bodyText(rawBody(event, MAX_DELIVERIES_API_BODY_BYTES));
  return text.trim() === '' ? {} : parseJsonText(text);
}

/** POST /api/deliveries/{id}/replay: `{ mode, dryRun }`, both optional. */
export function parseReplayRequest(event: APIGatewayProxyEventV2): ReplayOptions {
  const body = jsonBody(event);
  const parsed = replaySchema.safeParse(body);
  if (!parsed.success) throw new InvalidInputError(describeInvalid(parsed.error, body));
  return parsed.data;
}

/** POST /api/deliveries/replay: `{ filter, mode, dryRun, expect, cursor }`; `expect` is required to start. */
export function parseBulkReplayRequest(event: APIGatewayProxyEventV2, settings: QuerySettings): BulkReplayRequest {
  const body = jsonBody(event);
  const parsed = bulkSchema.safeParse(body);
  if (!parsed.success) throw new InvalidInputError(describeInvalid(parsed.error, body));
  const { filter: rawFilter, expect, cursor, ...options } = parsed.data;
  const filter = parseDeliveryFilter(rawFilter, settings);
  if (cursor !== undefined) checkCursor(cursor, filter);
  if (!options.dryRun && expect === undefined) {
    throw new InvalidInputError(
      'expect is required to start replays: dry-run first ("dryRun": true) and pass its wouldStart as expect',
    );
  }
  return {
    ...options,
    filter,
    ...(expect === undefined ? {} : { expect }),
    ...(cursor === undefined ? {} : { cursor }),
  };
}
