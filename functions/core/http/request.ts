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

/**
 * Parses a body that must be a JSON object. The Content-Type is not enforced: senders (and `curl -d`)
 * often label JSON as form data, and the body itself is what must be valid.
 */
export function parseJsonObject(bytes: Buffer): Record<string, unknown> {
  const text = bytes.toString('utf8');
  if (text.trim() === '') {
    throw new BadRequestError('request body must be a JSON object; it was empty');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`request body is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new BadRequestError(`request body must be a JSON object, not ${kind}`);
  }
  return value as Record<string, unknown>;
}

/** API Gateway (payload 2.0) lower-cases header names; the local stack does the same. */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()];
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
