import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { UnsupportedJsonError, isRawJsonNumber, jsonSyntaxErrorMessage, parseJsonExact } from '../core/json';
import { InvalidInputError, TooLargeError } from '../core/outcomes';
import type { SignedRequest } from '../core/verify/verify-signature';

/** Bodies already decoded, by event: the delivery record (./http-handler.ts) and the style read the same bytes. */
const decodedBodies = new WeakMap<APIGatewayProxyEventV2, Buffer>();

/**
 * The request body as bytes, decoded once per event (API Gateway base64-encodes bodies it does not consider
 * text). The bytes are shared by whoever asks: read them, never write to them.
 */
export function eventBodyBytes(event: APIGatewayProxyEventV2): Buffer {
  let bytes = decodedBodies.get(event);
  if (bytes === undefined) {
    const body = event.body ?? '';
    bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
    decodedBodies.set(event, bytes);
  }
  return bytes;
}

/** The raw request body as bytes, refused with 413 past `maxBytes`. */
export function rawBody(event: APIGatewayProxyEventV2, maxBytes: number): Buffer {
  const bytes = eventBodyBytes(event);
  if (bytes.length > maxBytes) {
    throw new TooLargeError(`request body is ${bytes.length} bytes; the limit is ${maxBytes} bytes`);
  }
  return bytes;
}

/** Deepest JSON nesting accepted: far beyond real payloads, far below what could exhaust a stack later. */
export const MAX_JSON_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text: it must be valid UTF-8 (bytes a decoder would silently replace are refused). */
export function bodyText(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InvalidInputError('request body is not valid UTF-8');
  }
}

/** The deepest nesting of arrays and objects in `value` (iterative: a hostile depth can't overflow the stack). */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object' || isRawJsonNumber(node)) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Parses JSON text by hookflow's JSON rule (functions/core/json.ts: numbers kept as written, `__proto__` and
 * out-of-range numbers refused), refusing invalid JSON and nesting deeper than MAX_JSON_DEPTH with 400. No
 * part of the body is ever quoted in the error.
 */
export function parseJsonText(text: string): unknown {
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch (error) {
    if (error instanceof UnsupportedJsonError) throw new InvalidInputError(error.message);
    throw new InvalidInputError(jsonSyntaxErrorMessage(error));
  }
  if (jsonDepth(value) > MAX_JSON_DEPTH) {
    throw new InvalidInputError(`request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return value;
}

/**
 * Parses a body that must be a JSON object. The Content-Type is not enforced: senders (and `curl -d`)
 * often label JSON as form data, and the body itself is what must be valid.
 */
export function parseJsonObject(bytes: Buffer): Record<string, unknown> {
  const text = bodyText(bytes);
  if (text.trim() === '') {
    throw new InvalidInputError('request body must be a JSON object; it was empty');
  }
  const value = parseJsonText(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || isRawJsonNumber(value)) {
    const kind =
      value === null
        ? 'null'
        : Array.isArray(value)
          ? 'an array'
          : isRawJsonNumber(value)
            ? 'a number'
            : `a ${typeof value}`;
    throw new InvalidInputError(`request body must be a JSON object, not ${kind}`);
  }
  return value as Record<string, unknown>;
}

/** The optional `Idempotency-Key` header: printable ASCII, 1-255 characters (Stripe's and the IETF draft's rule). */
export function idempotencyKeyOf(event: APIGatewayProxyEventV2): string | undefined {
  const key = event.headers?.['idempotency-key'];
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new InvalidInputError('Idempotency-Key must be 1-255 printable ASCII characters');
  }
  return key;
}

/**
 * Request headers that carry credentials, lower-cased. No style passes their values to a workflow (its input
 * is readable in the execution history) or to a log. One list for every style.
 */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'inbound-webhook-secret',
]);

/** API Gateway (payload 2.0) lower-cases header names; the local stack does the same. */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()];
}

/** What a verifier checks of a request: its headers, its exact body bytes and its query. */
export function signedRequestOf(event: APIGatewayProxyEventV2, rawBody: Buffer): SignedRequest {
  return { headers: event.headers ?? {}, rawBody, query: event.queryStringParameters ?? {} };
}

/** The API's own base URL, from what API Gateway tells the integration. */
export function baseUrl(event: APIGatewayProxyEventV2): string {
  const proto = header(event, 'x-forwarded-proto') ?? 'https';
  const stage = event.requestContext.stage === '$default' ? '' : `/${event.requestContext.stage}`;
  return `${proto}://${event.requestContext.domainName}${stage}`;
}
