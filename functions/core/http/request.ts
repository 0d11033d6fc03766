import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { BadRequestError, PayloadTooLargeError } from './errors';

/** The raw request body as bytes: API Gateway base64-encodes bodies it does not consider text. */
export function rawBody(event: APIGatewayProxyEventV2, maxBytes: number): Buffer {
  const body = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > maxBytes) {
    throw new PayloadTooLargeError(`request body is ${bytes.length} bytes; the limit is ${maxBytes} bytes`);
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
    throw new BadRequestError('request body is not valid UTF-8');
  }
}

/** The deepest nesting of arrays and objects in `value` (iterative: a hostile depth can't overflow the stack). */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Parses JSON text, refusing invalid JSON and nesting deeper than MAX_JSON_DEPTH with 400. */
export function parseJsonText(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`request body is not valid JSON: ${(error as Error).message}`);
  }
  if (jsonDepth(value) > MAX_JSON_DEPTH) {
    throw new BadRequestError(`request body nests deeper than ${MAX_JSON_DEPTH} levels`);
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
    throw new BadRequestError('request body must be a JSON object; it was empty');
  }
  const value = parseJsonText(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new BadRequestError(`request body must be a JSON object, not ${kind}`);
  }
  return value as Record<string, unknown>;
}

/** The optional `Idempotency-Key` header: printable ASCII, 1-255 characters (Stripe's and the IETF draft's rule). */
export function idempotencyKeyOf(event: APIGatewayProxyEventV2): string | undefined {
  const key = event.headers?.['idempotency-key'];
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new BadRequestError('Idempotency-Key must be 1-255 printable ASCII characters');
  }
  return key;
}

/** API Gateway (payload 2.0) lower-cases header names; the local stack does the same. */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()];
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
