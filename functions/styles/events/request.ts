import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as CloudEventsSdk from 'cloudevents';
import type { CloudEvent } from 'cloudevents';
import * as z from '../../core/zod';
import { InvalidInputError } from '../../core/outcomes';
import { describeInvalid } from '../../core/invalid-input';
import { sha256Hex } from '../../core/auth/secrets';
import {
  bodyText,
  header,
  idempotencyKeyOf,
  parseJsonObject,
  parseJsonText,
  rawBody,
  signedRequestOf,
} from '../../http/request';
import { canonicalRef } from '../../core/uuid';
import type { SignedRequest } from '../../core/verify/verify-signature';

/**
 * The cloudevents SDK, loaded at the first event request rather than at cold start: of the events handlers only
 * POST /api/v2/event parses CloudEvents, and loading the SDK (with its ajv) took about 14 ms of CPU here, more
 * than zod (docs/performance.md). A `require` inside a function is what esbuild bundles as a lazily run module.
 */
let cloudEventsSdk: typeof CloudEventsSdk | undefined;
function cloudevents(): typeof CloudEventsSdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, not an import (see above)
  return (cloudEventsSdk ??= require('cloudevents') as typeof CloudEventsSdk);
}

/** Seed 3's query parameters: refs and topics are names, not paths. */
const NAME = /^[^\s#]+$/;
const MAX_NAME_LENGTH = 256;
const name = (what: string) =>
  z
    .string(`${what} is required`)
    .check(
      z.minLength(1, `${what} is required`),
      z.maxLength(MAX_NAME_LENGTH),
      z.regex(NAME, `${what} must not contain spaces or "#"`),
    );
/** The `name` schema's own rule (a string of 1 to 256 characters matching NAME), for the check before zod's. */
const isName = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= MAX_NAME_LENGTH && NAME.test(value);

/** A ref that is a UUID (a run's execution name, or a workflow ref so written) matches in any case: core/uuid.ts. */
const ref = () =>
  z.pipe(
    name('ref'),
    z.transform((value: string) => canonicalRef(value)),
  );

const webhookQuery = z.object({ ref: ref() });
export const WEBHOOK_REF_REQUIRED =
  'ref is required: it names the workflow to start (POST /api/v2/event starts workflows by event type instead)';
const eventQuery = z.object({ ref: z.optional(ref()) });
const callbackQuery = z.object({
  ref: ref(),
  topic: name('topic'),
  status: z._default(
    z.pipe(
      z.pipe(
        z.string(),
        z.transform((s: string) => s.toLowerCase()),
      ),
      z.enum(['succeeded', 'failed'], 'status must be "succeeded" or "failed"'),
    ),
    'succeeded',
  ),
});

function query<T>(schema: z.ZodMiniType<T>, event: APIGatewayProxyEventV2): T {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) throw new InvalidInputError(describeInvalid(parsed.error, event.queryStringParameters ?? {}));
  return parsed.data;
}

/**
 * The query of the two routes that read only `ref` (webhookQuery, eventQuery): a ref that passes the schema's own
 * rule (isName) is taken as the schema would take it (canonicalRef), and so is an absent optional one, without a
 * zod parse per request; any other
 * query (no ref where one is required, or a ref that fails) goes to the schema, for the same outcome and its
 * message (docs/performance.md, "CPU per request").
 */
function refQuery<T extends { ref?: string }>(schema: z.ZodMiniType<T>, event: APIGatewayProxyEventV2): T {
  const ref = event.queryStringParameters?.ref;
  if (isName(ref)) return { ref: canonicalRef(ref) } as T;
  // No ref at all, where it is optional (eventQuery): what the schema gives, `{ ref: undefined }`.
  if (ref === undefined && schema === (eventQuery as z.ZodMiniType)) return { ref: undefined } as T;
  return query(schema, event);
}

/**
 * POST /api/v2/webhook?ref=: the workflow `ref` with the JSON object body. Seed 3 lists `ref` as optional
 * (default null) but names nothing to start without it; hookflow does not guess: a missing or empty `ref` is
 * 400, checked before the body is read, and nothing starts (docs/styles/events.md).
 */
export function parseWebhookRequest(event: APIGatewayProxyEventV2, maxBodyBytes: number) {
  if ((event.queryStringParameters?.ref ?? '') === '') throw new InvalidInputError(WEBHOOK_REF_REQUIRED);
  const { ref } = refQuery(webhookQuery, event);
  const bytes = rawBody(event, maxBodyBytes);
  const idempotencyKey = idempotencyKeyOf(event);
  return {
    ref,
    payload: parseJsonObject(bytes),
    raw: bytes,
    contentType: header(event, 'content-type'),
    signed: signedRequestOf(event, bytes),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey, fingerprint: sha256Hex(bytes) }),
  };
}

const CALLBACK_PARAMS = new Set(['ref', 'topic', 'status', 'eventId']);
const EVENT_ID = /^[\x21-\x7e]{1,255}$/;

export interface CallbackRequest {
  readonly ref: string;
  readonly topic: string;
  readonly status: 'succeeded' | 'failed';
  /** POST: the JSON body. GET: the query's other parameters. Either becomes the task's output. */
  readonly output: Record<string, unknown>;
  /** The callback's own id (`Idempotency-Key` header or `eventId` parameter): the same id twice resumes once. */
  readonly eventId?: string;
}

/** GET|POST /api/v2/callback?ref=&topic=&status=. */
export function parseCallbackRequest(event: APIGatewayProxyEventV2, maxBodyBytes: number): CallbackRequest {
  const { ref, topic, status } = query(callbackQuery, event);
  const eventId = (header(event, 'idempotency-key') ?? event.queryStringParameters?.eventId)?.trim();
  if (eventId !== undefined && !EVENT_ID.test(eventId)) {
    throw new InvalidInputError(
      'the callback id (Idempotency-Key or eventId) must be 1 to 255 printable ASCII characters',
    );
  }
  const id = eventId === undefined ? {} : { eventId };
  if (event.requestContext.http.method === 'GET') {
    const rest = Object.entries(event.queryStringParameters ?? {}).filter(([key]) => !CALLBACK_PARAMS.has(key));
    return { ref, topic, status, output: Object.fromEntries(rest), ...id };
  }
  return { ref, topic, status, output: parseJsonObject(rawBody(event, maxBodyBytes)), ...id };
}

export interface EventRequest {
  readonly ref: string | undefined;
  readonly events: readonly CloudEvent[];
  /** What subscribed workflows' verifiers check: headers, raw body and query. */
  readonly signed: SignedRequest;
}

/**
 * POST /api/v2/event: CloudEvents 1.0 in structured mode (`application/cloudevents+json`, any charset
 * spelling), binary mode (`ce-*` headers) or batch mode (`application/cloudevents-batch+json`), parsed and
 * validated by the cloudevents SDK. Seed 3 also lists plain `application/json`: a JSON body then holds a
 * structured event (or an array of them).
 */
export function parseEventRequest(event: APIGatewayProxyEventV2, maxBodyBytes: number): EventRequest {
  const { ref } = refQuery(eventQuery, event);
  const bytes = rawBody(event, maxBodyBytes);
  const body = bodyText(bytes);
  const contentType = (header(event, 'content-type') ?? '').toLowerCase();
  try {
    const { exactData, parsed: structured } = assertRequiredAttributes(event, body, contentType);
    const isPlainJson = /^application\/json\b/.test(contentType) && header(event, 'ce-specversion') === undefined;
    // The SDK knows "application/cloudevents+json; charset=utf-8" but not seed 3's other spelling, without the space.
    const headers = { ...event.headers, 'content-type': contentType.replace(/\s*;\s*/g, '; ') };
    const object = isPlainJson ? undefined : sdkBody(structured, contentType);
    const parsed = isPlainJson
      ? fromPlainJson(structured)
      : ((object === undefined ? undefined : structuredEvent(object, headers['content-type'])) ??
        withoutStackTraces(() => cloudevents().HTTP.toEvent<undefined>({ headers, body: object ?? body })));
    // The SDK parses JSON data with JSON.parse, rounding big numbers: give each event its data as hookflow
    // read it (functions/core/json.ts: numbers as the sender wrote them). An event built from hookflow's own parse
    // (sdkBody) has that data already: cloning it with the same data would build the same event again.
    const events = ([parsed].flat() as CloudEvent[]).map((e, index) => {
      const exact = exactData[index];
      if (exact === undefined || Object.is(e.data, exact.data)) return e;
      return e.cloneWith({ data: exact.data }, false) as CloudEvent;
    });
    if (events.length === 0) throw new InvalidInputError('the batch holds no events');
    for (const e of events) {
      e.validate();
      if (e.specversion !== '1.0')
        throw new InvalidInputError(`not a valid CloudEvent: specversion must be "1.0", not "${e.specversion}"`);
    }
    return { ref, events, signed: signedRequestOf(event, bytes) };
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(`not a valid CloudEvent: ${describe(error)}`);
  }
}

/**
 * A structured-mode body (one event, `application/cloudevents+json`) as the SDK's HTTP.toEvent may take it: the object
 * assertRequiredAttributes parsed, not the text, which the SDK would parse twice more (once for the specversion, once
 * for the event: its `deserialize` and `parseStructured` accept a string or an object). Only where the object is what
 * the SDK's own JSON.parse would build, data aside (the events take hookflow's exact data either way): no attribute
 * but `data` holds an object, so no number kept as written (functions/core/json.ts) is among the attributes the SDK
 * reads and validates. Otherwise undefined, and the SDK gets the text, as before. A batch
 * (`application/cloudevents-batch+json`) is always text: the SDK's batch parser calls JSON.parse on the body.
 */
function sdkBody(structured: unknown, contentType: string): Record<string, unknown> | undefined {
  if (!contentType.startsWith('application/cloudevents+json')) return undefined;
  if (structured === null || typeof structured !== 'object' || Array.isArray(structured)) return undefined;
  for (const [key, value] of Object.entries(structured)) {
    if (key !== 'data' && value !== null && typeof value === 'object') return undefined;
  }
  return structured as Record<string, unknown>;
}

/** The content types for which the SDK's structured parser takes a body as JSON (cloudevents' parserByContentType). */
const STRUCTURED_JSON = new Set(['application/cloudevents+json', 'application/cloudevents+json; charset=utf-8']);

/**
 * The attributes the SDK's structured parser reads by name for specversion 1.0, in its order (cloudevents'
 * `v1structuredParsers`, message/http/headers.js): each is kept only when truthy, `time` as its parser writes it.
 */
const V1_STRUCTURED_ATTRIBUTES = [
  'type',
  'specversion',
  'source',
  'id',
  'time',
  'dataschema',
  'datacontenttype',
  'subject',
  'data',
  'data_base64',
] as const;

/**
 * The event the SDK's HTTP.toEvent builds from a structured-mode object body (sdkBody), built as its
 * `parseStructured` builds it (cloudevents 10, message/http/index.js) for the case hookflow receives: specversion
 * "1.0", a JSON content type, no base64 data. Each attribute of V1_STRUCTURED_ATTRIBUTES is copied when truthy
 * (`time` through the SDK's DateParser: hookflow has already refused a time that is not RFC 3339), then every other
 * member, then `new CloudEvent(…, false)`, the SDK's own class, validated by its `validate()` in parseEventRequest.
 * What it skips is the SDK's wrapping per request: its header sanitising (twice), its mode and version probes, and
 * three ValidationErrors built before it knows it needs them. Any other body (another specversion or content type,
 * `data_base64` or `datacontentencoding`) returns undefined and goes to the SDK as before.
 * test/unit/styles/events.test.ts compares the two, attribute by attribute and in order.
 */
function structuredEvent(object: Record<string, unknown>, contentType: string): CloudEvent | undefined {
  if (object.specversion !== '1.0' || !STRUCTURED_JSON.has(contentType)) return undefined;
  if ('data_base64' in object || 'datacontentencoding' in object) return undefined;
  const incoming: Record<string, unknown> = { ...object };
  const attributes: Record<string, unknown> = {};
  for (const key of V1_STRUCTURED_ATTRIBUTES) {
    const value = incoming[key];
    if (value) attributes[key] = key === 'time' ? sdkTime(value as string) : value;
    delete incoming[key];
  }
  for (const key in incoming) attributes[key] = incoming[key];
  const { CloudEvent } = cloudevents();
  return new CloudEvent(attributes as never, false);
}

/** cloudevents' DateParser: the time as an ISO string (a time it cannot read becomes now; never here, see above). */
function sdkTime(value: string): string {
  const date = new Date(Date.parse(value));
  return (Number.isNaN(date.getTime()) ? new Date() : date).toISOString();
}

/**
 * Runs `parse` with no stack traces captured for the errors it creates. The SDK's JSON parser builds its two
 * ValidationErrors before it knows whether it needs them (`isDefinedOrThrow(payload, new ValidationError(…))` in
 * cloudevents' parsers.js), and each `new` captures a stack: about a tenth of the event intake's own CPU per
 * request, measured (docs/performance.md, "CPU per request"). Nothing reads those stacks: every error out of
 * the SDK becomes a 400 that carries its message only (`describe`). Synchronous, and the limit is restored after.
 */
function withoutStackTraces<T>(parse: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parse();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A plain JSON body, as assertRequiredAttributes parsed it (once: a body may be megabytes), as CloudEvents. */
function fromPlainJson(value: unknown): CloudEvent | CloudEvent[] {
  const { CloudEvent } = cloudevents();
  if (Array.isArray(value)) return value.map((item) => new CloudEvent(item as never));
  if (value === null || typeof value !== 'object') throw new InvalidInputError('request body must be a JSON object');
  return new CloudEvent(value as never);
}

const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;

/**
 * RFC 3339's date-time (https://www.rfc-editor.org/rfc/rfc3339#section-5.6), which CloudEvents requires of
 * `time`; Date.parse then refuses impossible dates such as month 13.
 */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const isRfc3339 = (value: string) => RFC3339.test(value) && !Number.isNaN(Date.parse(value.toUpperCase()));

/**
 * CloudEvents 1.0 requires specversion, id, source and type, each a non-empty string, and `time`, when
 * present, to be an RFC 3339 timestamp (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#required-attributes,
 * #time). The SDK makes up an id (and a time) when one is missing or empty, and replaces a binary-mode
 * `ce-time` it cannot read with the current time: that suits a sender, not a receiver. hookflow dedupes on
 * source + id, so an event without them is refused with 400, as is a time it would otherwise change.
 */
function assertRequiredAttributes(
  event: APIGatewayProxyEventV2,
  body: string,
  contentType: string,
): {
  /** Each event's data as hookflow's JSON rule reads it (functions/core/json.ts), where it has data. */
  readonly exactData: readonly ({ data: unknown } | undefined)[];
  /** A structured-mode body, parsed (undefined in binary mode). */
  readonly parsed?: unknown;
} {
  if (!/json/.test(contentType) || header(event, 'ce-specversion') !== undefined) {
    const missing = REQUIRED.filter((attribute) => header(event, `ce-${attribute}`) === undefined);
    if (missing.length > 0)
      throw new InvalidInputError(`not a valid CloudEvent: missing header ${missing.map((a) => `ce-${a}`).join(', ')}`);
    const empty = REQUIRED.filter((attribute) => header(event, `ce-${attribute}`)!.trim() === '');
    if (empty.length > 0) {
      throw new InvalidInputError(
        `not a valid CloudEvent: ${empty.map((a) => `ce-${a}`).join(', ')} must be a non-empty string`,
      );
    }
    const time = header(event, 'ce-time');
    if (time !== undefined && !isRfc3339(time.trim())) {
      throw new InvalidInputError(
        'not a valid CloudEvent: ce-time must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z',
      );
    }
    // Binary mode with JSON data: the SDK parses it; check it first (valid, not absurdly deep), and keep it.
    if (/json/.test(contentType) && body.trim() !== '') return { exactData: [{ data: parseJsonText(body) }] };
    return { exactData: [] };
  }
  const value = parseJsonText(body);
  const events = Array.isArray(value) ? value : [value];
  events.forEach((item, index) => {
    const where = Array.isArray(value) ? `event [${index}]` : 'the event';
    if (item === null || typeof item !== 'object')
      throw new InvalidInputError(`not a valid CloudEvent: ${where} is not an object`);
    const attributes = item as Record<string, unknown>;
    const missing = REQUIRED.filter((attribute) => typeof attributes[attribute] !== 'string');
    if (missing.length > 0) {
      throw new InvalidInputError(`not a valid CloudEvent: ${where} lacks ${missing.join(', ')}`);
    }
    const empty = REQUIRED.filter((attribute) => (attributes[attribute] as string) === '');
    if (empty.length > 0) {
      throw new InvalidInputError(
        `not a valid CloudEvent: in ${where}, ${empty.join(', ')} must be a non-empty string`,
      );
    }
    const time = attributes.time;
    if (time !== undefined && (typeof time !== 'string' || !isRfc3339(time))) {
      throw new InvalidInputError(
        `not a valid CloudEvent: in ${where}, time must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z`,
      );
    }
  });
  return {
    exactData: events.map((item) =>
      'data' in (item as object) ? { data: (item as { data: unknown }).data } : undefined,
    ),
    parsed: value,
  };
}

/** The SDK's ValidationError lists what failed; say it plainly. */
function describe(error: unknown): string {
  if (error instanceof cloudevents().ValidationError) {
    const details = (error.errors ?? [])
      .map((e) =>
        typeof e === 'string'
          ? e
          : `${(e as { instancePath?: string }).instancePath ?? ''} ${(e as { message?: string }).message ?? ''}`.trim(),
      )
      .filter((e) => e !== '');
    return details.length > 0 ? details.join('; ') : error.message.split('\n')[0]!;
  }
  return (error as Error).message;
}
