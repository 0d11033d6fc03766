import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../../core/zod';
import { InvalidInputError } from '../../core/outcomes';
import { describeInvalid } from '../../core/invalid-input';
import {
  CREDENTIAL_HEADERS,
  bodyText,
  idempotencyKeyOf,
  parseJsonText,
  rawBody,
  signedRequestOf,
} from '../../http/request';
import type { SignedRequest } from '../../core/verify/verify-signature';

const SEGMENT = /^[A-Za-z0-9._-]{1,128}$/;
const segment = (what: string) =>
  z.string().check(z.regex(SEGMENT, `${what} must be 1-128 letters, digits, ".", "_" or "-"`));
const pathSchema = z.object({ client: segment('client name'), name: segment('webhook name') });

/**
 * The path's client and webhook names: checked by SEGMENT, the schema's own rule, and handed to the schema only when
 * one fails, for its message (describeInvalid). The same check either way; zod's parse of two path segments no
 * longer runs on every request (docs/performance.md, "CPU per request").
 */
function pathOf(parameters: APIGatewayProxyEventV2['pathParameters']): { client: string; name: string } {
  const client = parameters?.client;
  const name = parameters?.name;
  if (typeof client === 'string' && typeof name === 'string' && SEGMENT.test(client) && SEGMENT.test(name)) {
    return { client, name };
  }
  const path = pathSchema.safeParse(parameters ?? {});
  if (!path.success) throw new InvalidInputError(describeInvalid(path.error, parameters ?? {}));
  return path.data;
}

export interface ClientWebhookRequest {
  readonly client: string;
  readonly name: string;
  readonly method: string;
  /** `?async`, with or without a value (except `false` / `0`): answer at once instead of waiting. */
  readonly async: boolean;
  /** The key from `?key=` or the JSON payload's `"key"`; removed from both before they reach the workflow. */
  readonly key: string | undefined;
  /** The key came in the JSON body: the raw body holds a credential (a delivery record keeps no copy of it). */
  readonly keyInBody: boolean;
  readonly headers: Record<string, string>;
  readonly query: Record<string, string>;
  /** What a webhook's optional verifier checks. */
  readonly signed: SignedRequest;
  /** The JSON body, or null for a GET or an empty POST. */
  readonly payload: unknown;
  /**
   * The body as a claim-checked run gets it (functions/core/runs/claim-check.ts): the raw bytes, or, when the body
   * carried the webhook's `"key"`, the payload without it as JSON: a credential never reaches a workflow.
   */
  readonly bodyForRun: Buffer;
  readonly contentType: string | undefined;
  /** With one, a repeated call answers with the first call's run instead of starting another. */
  readonly idempotencyKey?: string;
}

/** GET|POST /webhook/{client}/{name}[?async][&key=...] with an optional JSON body. */
export function parseClientWebhookRequest(event: APIGatewayProxyEventV2, maxBodyBytes: number): ClientWebhookRequest {
  const path = pathOf(event.pathParameters);

  const { key: queryKey, async: asyncFlag, ...query } = { ...(event.queryStringParameters ?? {}) };
  const bytes = rawBody(event, maxBodyBytes);
  const text = bodyText(bytes);
  let payload: unknown = null;
  if (text.trim() !== '') {
    payload = parseJsonText(text);
  }
  let bodyKey: unknown;
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload) && 'key' in payload) {
    const { key, ...rest } = payload as Record<string, unknown>;
    bodyKey = key;
    payload = rest;
  }
  if (bodyKey !== undefined && typeof bodyKey !== 'string') throw new InvalidInputError('"key" must be a string');
  const bodyForRun = bodyKey === undefined ? bytes : Buffer.from(JSON.stringify(payload), 'utf8');

  return {
    ...path,
    method: event.requestContext.http.method,
    signed: signedRequestOf(event, bytes),
    ...(idempotencyKeyOf(event) === undefined ? {} : { idempotencyKey: idempotencyKeyOf(event) }),
    async: asyncFlag !== undefined && !['false', '0'].includes(asyncFlag.toLowerCase()),
    key: queryKey ?? bodyKey,
    keyInBody: bodyKey !== undefined,
    headers: Object.fromEntries(
      Object.entries(event.headers ?? {}).filter(
        (entry): entry is [string, string] => entry[1] !== undefined && !CREDENTIAL_HEADERS.has(entry[0]),
      ),
    ),
    query: Object.fromEntries(
      Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    payload,
    bodyForRun,
    contentType: event.headers?.['content-type'],
  };
}
