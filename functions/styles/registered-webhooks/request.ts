import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../../core/zod';
import { InvalidInputError, NotFoundError, UnsupportedContentError } from '../../core/outcomes';
import { describeInvalid } from '../../core/invalid-input';
import { UnsupportedJsonError, jsonSyntaxErrorMessage, parseJsonExact } from '../../core/json';
import { MAX_JSON_DEPTH, header, jsonDepth, parseJsonObject, rawBody } from '../../http/request';
import { replaySchema, verifierSchema } from '../../core/verify/verifier-config';
import { whenBusyField } from '../../core/registration';
import type { WebhookSettingName } from '../../core/ports';

/** Ids hookflow hands out are 16 base64url characters; anything else in an id position names nothing. */
export const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A path id, or 404: an id that can't exist is reported exactly like one that doesn't. */
export function pathId(event: APIGatewayProxyEventV2, name: string, what: string): string {
  const id = event.pathParameters?.[name] ?? '';
  if (!ID.test(id)) throw new NotFoundError(`no ${what} "${id.slice(0, 64)}"`);
  return id;
}

/** Bring your own secret (e.g. one a sender already has configured); hookflow generates one otherwise. */
const verifySecret = z
  .string('verifySecret must be a string')
  .check(
    z.minLength(16, 'verifySecret must be at least 16 characters'),
    z.maxLength(256, 'verifySecret must be at most 256 characters'),
    z.regex(/^[\x21-\x7e]+$/, 'verifySecret must be printable ASCII without spaces (it travels in a header)'),
  );

const recordDeliveries = z.boolean('recordDeliveries must be true or false');

const createBody = z.strictObject({
  verifySecret: z.optional(verifySecret),
  /** How triggers are verified (default `{"kind": "contrail"}`: seed 5's X-Verify-Signature). */
  verifier: z.optional(verifierSchema),
  /** Opt-in replay protection: timestamp tolerance and a ledger of delivery ids. */
  replay: z.optional(replaySchema),
  /** `false`: its triggers write no delivery record (docs/deliveries.md); default true. */
  recordDeliveries: z.optional(recordDeliveries),
  /** A busy engine: `queue` (default) keeps the starts for later and answers 202, `reject` answers 503. */
  ...whenBusyField,
});

/** The fields `PATCH /api/webhooks/{id}` takes, as its 400 names them. */
export const UPDATABLE_SETTINGS: readonly WebhookSettingName[] = ['recordDeliveries', 'whenBusy'];

/**
 * PATCH /api/webhooks/{id}: the settings that may change after creation (not the secret: rotate-secret), at least
 * one of them; a field not given keeps its value.
 */
const updateBody = z
  .strictObject({ recordDeliveries: z.optional(recordDeliveries), ...whenBusyField })
  .check(
    z.refine(
      (body) => UPDATABLE_SETTINGS.some((name) => body[name] !== undefined),
      `give at least one setting to change: ${UPDATABLE_SETTINGS.join(', ')}`,
    ),
  );

const rotateBody = z.strictObject({
  verifySecret: z.optional(verifySecret),
  /** How long the replaced secret keeps verifying, so senders can switch over. Default one day; 0 ends it now. */
  overlapSeconds: z._default(
    z
      .number('overlapSeconds must be a number')
      .check(z.int(), z.minimum(0), z.maximum(30 * 86_400, 'overlapSeconds is at most 30 days')),
    86_400,
  ),
});

function optionalJsonBody<T>(schema: z.ZodMiniType<T>, event: APIGatewayProxyEventV2, maxBodyBytes: number): T {
  const bytes = rawBody(event, maxBodyBytes);
  const body = bytes.toString('utf8').trim() === '' ? {} : parseJsonObject(bytes);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new InvalidInputError(describeInvalid(parsed.error, body));
  return parsed.data;
}

/** POST /api/webhooks: no body (as in seed 5), or `{ "verifySecret", "verifier", "replay", "recordDeliveries", "whenBusy" }`. */
export const parseCreateWebhook = (event: APIGatewayProxyEventV2, maxBodyBytes: number) =>
  optionalJsonBody(createBody, event, maxBodyBytes);

/** PATCH /api/webhooks/{webhookId}: `{ "recordDeliveries"?: true | false, "whenBusy"?: "queue" | "reject" }`, one at least. */
export const parseUpdateWebhook = (event: APIGatewayProxyEventV2, maxBodyBytes: number) =>
  optionalJsonBody(updateBody, event, maxBodyBytes);

/** POST /api/webhooks/{webhookId}/rotate-secret: `{ "overlapSeconds", "verifySecret" }`, both optional. */
export const parseRotateSecret = (event: APIGatewayProxyEventV2, maxBodyBytes: number) =>
  optionalJsonBody(rotateBody, event, maxBodyBytes);

export interface TriggerRequest {
  readonly webhookId: string;
  readonly idempotencyKey: string | undefined;
  readonly rawBody: Buffer;
  /** The body the workflow sees: parsed JSON, the text itself when it is not JSON, null when empty. */
  readonly body: unknown;
  /** Every request header, names lower-cased (seed 5 passes them to the workflow). */
  readonly headers: Record<string, string>;
  readonly query: Record<string, string | undefined>;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** POST /api/trigger-webhooks/{webhookId}. */
export function parseTriggerRequest(event: APIGatewayProxyEventV2, maxBodyBytes: number): TriggerRequest {
  const webhookId = pathId(event, 'webhookId', 'webhook');
  const bytes = rawBody(event, maxBodyBytes);
  const idempotencyKey = header(event, 'idempotency-key')?.trim();
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new InvalidInputError('Idempotency-Key must be 1 to 255 printable ASCII characters');
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return {
    webhookId,
    idempotencyKey: idempotencyKey === '' ? undefined : idempotencyKey,
    rawBody: bytes,
    body: parseTriggerBody(bytes, header(event, 'content-type')),
    headers,
    query: event.queryStringParameters ?? {},
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON bodies (by Content-Type) must parse; other text bodies are tried as JSON and otherwise passed as text,
 * so a form-encoded or plain-text sender still reaches its workflow. Binary bodies are refused.
 */
export function parseTriggerBody(bytes: Buffer, contentType: string | undefined): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new UnsupportedContentError('request body must be UTF-8 text (JSON, form data or plain text)');
  }
  if (text.trim() === '') return null;
  const declaredJson = /^application\/([\w.+-]+\+)?json\b/i.test(contentType?.trim() ?? '');
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch (error) {
    // The same JSON rule as every other route (functions/core/json.ts), and never a quote of the body.
    if (error instanceof UnsupportedJsonError) throw new InvalidInputError(error.message);
    if (declaredJson) throw new InvalidInputError(jsonSyntaxErrorMessage(error));
    return text;
  }
  if (jsonDepth(value) > MAX_JSON_DEPTH)
    throw new InvalidInputError(`request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}
