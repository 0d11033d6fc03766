/**
 * Delivery records (issue 19): what hookflow keeps of every request that reached a handler and named a known
 * registration, accepted or refused. Pure types and rules only: the DynamoDB adapter
 * (functions/adapters/aws/dynamodb-delivery-log.ts), the in-memory fake and the deliveries API all call these,
 * never a copy. docs/deliveries.md is the user's account of the same.
 *
 * Where records live: on the dedupe table, because for a keyed request the dedupe claim *is* the record (the
 * claim's one PutItem carries the record's attributes: no extra call). An unkeyed request's record is its own
 * item, `dlv#<id>`, written once the outcome is known. Every record carries the `deliveries` index keys
 * (`dPk` = one of DELIVERY_INDEX_SHARDS shards, `dSk` = the id, a ULID, so time-ordered): listing queries the
 * shards, and a record is found by id alone (the id names its shard and its time).
 */

/** The styles as records name them (functions/styles/<style>). */
export type DeliveryStyle = 'flow-trigger' | 'client-webhook' | 'inbound' | 'events' | 'registered-webhooks';

/**
 * What became of the delivery:
 * - `started`: at least one run started (for a batch, every item was accepted);
 * - `deduplicated`: it repeated an earlier request (same Idempotency-Key, uid or event id) and got that run;
 * - `refused`: answered 4xx (bad credential, bad signature, bad body, a replayed delivery, ...), `reason` says why;
 * - `failed`: the start failed (the engine was busy or down) and nothing was started: the sender was told to retry;
 * - `queued`: kept to be started when the engine has capacity again (issue 19 item 6), answered 202.
 */
export type DeliveryOutcome = 'started' | 'deduplicated' | 'refused' | 'failed' | 'queued';

/** A run a delivery started (or was answered with, when deduplicated). */
export interface DeliveryRun {
  /** Unknown only for an Express run whose sync wait ran out, or a batch item not started yet. */
  readonly executionArn?: string;
  /** Inbound batch items: the run reference the sender got (GET /inbound/runs/{runRef}). */
  readonly runRef?: string;
  /**
   * Read only, never stored: the execution name of a guarded run whose guard item is gone (DynamoDB's TTL removes it
   * when the claim's dedupe window ends, while the record is kept DELIVERY_RETENTION_DAYS): the run by the name the
   * construct's log lines carry, as its ARN holds an id AWS picks (./guarded-runs.ts).
   */
  readonly executionName?: string;
  /**
   * Stored only, never read out of the log: the Express run guard's item (`run#…`, functions/core/runs/run-guard.ts)
   * that names this run, on the record a guarded claim carries. The claim is written before the run starts, and an
   * Express run's ARN holds an id AWS picks, so the claim names where the run will be found instead of writing it
   * after the start (./guarded-runs.ts: the log reads it into `executionArn`, or `executionName` once the item
   * expired with the claim's dedupe window).
   */
  readonly runGuard?: string;
}

/** The request body as kept: inline (small) or in S3 (large; see docs/deliveries.md "Where bodies live"). */
export interface StoredBody {
  readonly bytes: number;
  /** SHA-256 of the raw bytes, hex: a replay can be checked against the original signature's body. */
  readonly sha256: string;
  /** The raw bytes, base64, when kept on the record. */
  readonly inline?: string;
  /** Where the raw bytes are when they are not inline. */
  readonly s3?: { readonly bucket: string; readonly key: string };
}

export interface DeliveryRecord {
  /** `dlv_` + a ULID: sortable by time, and names its index shard. */
  readonly id: string;
  readonly style: DeliveryStyle;
  /** The registration the request named, as its style names it (flow id, `client/name`, workflow id, ref, webhook id). */
  readonly registration: string;
  /** The organisation that owns the registration (registered webhooks); absent for the other styles. */
  readonly org?: string;
  /**
   * The id of the API key that sent it, once authenticated (flow triggers): the name the key was created under
   * (`keyId`, docs/security.md), never the key or its hash. A flow trigger's Idempotency-Key is scoped to it, so an
   * `if-no-run` replay takes the same claim as the sender's retry (docs/deliveries.md, "Replay").
   */
  readonly apiKeyId?: string;
  /** ISO 8601, when the handler received the request. */
  readonly receivedAt: string;
  readonly method: string;
  readonly path: string;
  readonly outcome: DeliveryOutcome;
  /** The HTTP status answered. */
  readonly status: number;
  /** Why it was refused or failed: the `error` the sender was answered. */
  readonly reason?: string;
  /** The sender's own id for the delivery, from the first header of CORRELATION_HEADERS it sent. */
  readonly correlationId?: string;
  readonly runs: readonly DeliveryRun[];
  /** Request headers, names lower-cased, with every credential's value redacted (REDACTED). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: StoredBody;
  /** Set on a replay's record: the delivery it replays. */
  readonly replayOf?: string;
  /** Epoch seconds: DynamoDB's TTL removes the record after this (DELIVERY_RETENTION_DAYS). */
  readonly expiresAt: number;
}

/** The value a redacted header keeps. */
export const REDACTED = '[redacted]';

/**
 * Where a sender's own delivery id comes from, first present wins: what a user searching "the webhook Stripe
 * sent at 10:02" has in hand. GitHub: X-GitHub-Delivery; Standard Webhooks/Svix: webhook-id/svix-id;
 * CloudEvents: ce-id; anyone: Idempotency-Key, X-Correlation-Id, X-Request-Id.
 */
export const CORRELATION_HEADERS: readonly string[] = [
  'x-correlation-id',
  'idempotency-key',
  'x-github-delivery',
  'webhook-id',
  'svix-id',
  'ce-id',
  'x-request-id',
];

/** Longest correlation id kept (longer ones are cut, so one header cannot blow up the record or the index). */
export const MAX_CORRELATION_ID_LENGTH = 256;
