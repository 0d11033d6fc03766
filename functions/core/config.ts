// On zod's functional API (./zod.ts, which also registers zod's English messages): the same checks and messages as
// zod's full API, built in a fraction of the CPU at every cold start. The namespace form lets esbuild tree-shake it.
import * as z from './zod';

/**
 * Every setting a handler reads, parsed once at cold start. A missing or malformed variable fails the cold
 * start with the variable's name in the message, instead of failing a request later.
 * Each limit here is documented in docs/limits.md (settings and limits).
 */
/** A whole number above 0, from a string; `checks` run after those two (as `.int().positive().max(n)` would). */
const positiveInt = (...checks: z.core.$ZodCheck<number>[]) =>
  z.coerce.number().check(z.int(), z.positive(), ...checks);

const configSchema = z.object({
  /** DynamoDB table holding flows, API keys and (later) webhook registrations. */
  REGISTRY_TABLE: z.string().check(z.minLength(1)),
  /** DynamoDB table holding dedupe claims for idempotency keys and uids. */
  DEDUPE_TABLE: z.string().check(z.minLength(1)),
  /**
   * Template of the execution link returned to callers; `{executionArn}` is replaced by the execution ARN.
   * In AWS: the Step Functions console. In the local stack: the local gateway's /executions/ route.
   */
  EXECUTION_LINK_TEMPLATE: z.string().check(z.includes('{executionArn}')),
  /** How long a dedupe key (Idempotency-Key, uid) is remembered. */
  DEDUPE_TTL_SECONDS: z._default(positiveInt(), 24 * 60 * 60),
  /**
   * How long a duplicate waits for the first request with the same key to finish starting its run before
   * it gets 409 "still in progress".
   */
  DEDUPE_WAIT_MS: z._default(positiveInt(), 3_000),
  /**
   * How long a claim's owner has to record its run before a duplicate may take the claim over (the owner is
   * presumed crashed). Keep it above the handler's timeout so a slow but live owner is never overtaken.
   */
  DEDUPE_LEASE_SECONDS: z._default(positiveInt(), 30),
  /**
   * Largest body of the requests that are not run inputs (admin routes, callbacks, which resume a task whose
   * output Step Functions caps at 256 KiB) and largest workflow input of one inbound item, in bytes.
   */
  MAX_BODY_BYTES: z._default(positiveInt(z.maximum(262_144)), 240 * 1024),
  /**
   * Largest body a request that starts runs may carry (flow trigger, client webhook, events, registered webhooks),
   * in bytes. A body whose run input would pass Step Functions' 256 KiB is kept in BODIES_BUCKET and the run gets a
   * reference (docs/request-bodies.md, "Large bodies"). Capped at Lambda's 6 MB synchronous invocation payload
   * (6,291,456 bytes), which the whole event (headers, and a binary body as base64: 4/3 of its bytes) must fit:
   * the default leaves room for that (docs/limits.md).
   */
  MAX_STORED_BODY_BYTES: z._default(positiveInt(z.maximum(6_291_456)), 4 * 1024 * 1024),
  /**
   * The S3 bucket large bodies are kept in (the construct's, or fauxqs's locally). Unset: no body store, and a run
   * input over Step Functions' limit is refused with 413 as before.
   */
  BODIES_BUCKET: z.optional(z.string().check(z.minLength(3))),
  /**
   * The longest a synchronous call (client webhooks) waits for its run before answering 202 with the
   * execution id. Capped under API Gateway's 30 s integration timeout, so a caller never sees a gateway
   * timeout; the handler's Lambda timeout is set above it.
   */
  SYNC_WAIT_MS: z._default(positiveInt(z.maximum(28_000)), 25_000),
  /**
   * How long a callback that arrives before its run waits is kept for the wait to take (events style). A
   * later callback for the same run and topic gets 409 meanwhile.
   */
  EARLY_CALLBACK_TTL_SECONDS: z._default(positiveInt(z.maximum(7 * 24 * 60 * 60)), 24 * 60 * 60),
  /**
   * How long a wait item outlives its task's timeout (events style): meanwhile a late callback gets 410 (not
   * kept as early); then DynamoDB's TTL removes the item. Also how long a taken early callback is kept, so the
   * same callback again gets its first answer.
   */
  WAIT_ITEM_GRACE_SECONDS: z._default(positiveInt(z.maximum(30 * 24 * 60 * 60)), 24 * 60 * 60),
  /**
   * How long a callback's claim on its waiting task holds before another delivery may take it over: the
   * claiming handler is presumed dead (it crashed between its claim and SendTaskSuccess). Keep it above the
   * callback handler's timeout so a slow but live handler is never overtaken.
   */
  CALLBACK_CLAIM_LEASE_SECONDS: z._default(positiveInt(z.maximum(900)), 30),
  /**
   * How long a handler serves registry reads (flows, API keys, secret hashes, verifiers, registrations) from
   * memory, in seconds; 0 reads the registry on every request. Also how long a revoked key, a rotated-out
   * secret or a changed registration may still act on a warm handler (docs/aws-calls.md#the-registry-cache).
   */
  REGISTRY_CACHE_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(300)), 5),
  /** The SQS queue batch items are fanned out through (inbound style). Only the inbound handler needs it. */
  FANOUT_QUEUE_URL: z.optional(z.string().check(z.url())),
  /**
   * How many times the fan-out worker sends a batch item back to its queue, delayed, because Step Functions
   * or DynamoDB was busy (throttled). Such a requeue is a new message, so a busy engine does not spend the
   * item's receives (the queue's maxReceiveCount, the construct's fanoutMaxReceiveCount); after this many, a busy item fails like any
   * other and reaches the dead-letter queue after its receives. With the default backoff, 20 requeues span
   * 1.5 to 3 hours, depending on the jitter (docs/scale.md, gap 4).
   */
  FANOUT_BUSY_REQUEUES: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(1_000)), 20),
  /**
   * The first requeue's delay, doubled on each further one (with jitter) up to SQS's 900 s maximum, and never
   * shorter than the Retry-After the busy outcome asks for (a start that may have happened keeps its claim for
   * the lease: the requeued item must come back after it).
   */
  FANOUT_BUSY_BACKOFF_SECONDS: z._default(positiveInt(z.maximum(900)), 2),
  /**
   * How long a delivery record is kept (docs/deliveries.md), days: the record's TTL attribute. A record on a
   * dedupe claim is kept for the later of this and the claim's dedupe window. Also how long replay's claims and
   * stored bodies are kept (the body bucket's lifecycle expiration, set from the same setting). The deliveries
   * API refuses a time range reaching further back (400): nothing older exists.
   */
  DELIVERY_RETENTION_DAYS: z._default(positiveInt(z.maximum(365)), 7),
  /**
   * How many partitions of the `deliveries` index records are spread over. One index partition takes at most
   * 1,000 write units per second, like a table's
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html), and every
   * record writes its index entry: 4 shards take 4,000 records/s. Listing reads every shard. Changing it moves new
   * records only, and a record is looked up under the count in force: records written under another count are
   * neither listed nor found until they expire. Change it only while no records are kept.
   */
  DELIVERY_INDEX_SHARDS: z._default(positiveInt(z.maximum(64)), 4),
  /**
   * Largest body kept on its record (base64, in DynamoDB); larger ones go to the body store (S3) when one is
   * wired, else only their size and SHA-256 are kept. DynamoDB bills a write per KB ($0.625 per million write
   * units: https://aws.amazon.com/dynamodb/pricing/on-demand/), S3 a PUT per object ($0.005 per 1,000:
   * https://aws.amazon.com/s3/pricing/), so one PUT costs as much as 8 KB written: 6 KiB of raw body once base64
   * (4/3). The default stays under that with the record's headers (about 1 KB) on top. At most 256 KiB: base64
   * of it and the record stay under DynamoDB's 400 KB item.
   */
  DELIVERY_INLINE_BODY_BYTES: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(262_144)), 4_096),
  /**
   * Most index items one GET /api/deliveries page reads, over every shard: a narrow filter over a wide time
   * range stops there and answers what it found with a `next` cursor (docs/deliveries.md).
   */
  DELIVERY_LIST_MAX_READ: z._default(positiveInt(z.maximum(100_000)), 2_000),
  /** Most items one inbound batch request may carry (413 above). */
  MAX_BATCH_ITEMS: z._default(positiveInt(z.maximum(10_000)), 1_000),
  /**
   * Largest inbound request body (a batch carries many items). Lambda takes at most 6 MB per synchronous
   * invocation; each item's workflow input must still fit MAX_BODY_BYTES.
   */
  INBOUND_MAX_BODY_BYTES: z._default(positiveInt(z.maximum(6_000_000)), 5 * 1024 * 1024),
  /**
   * How long one attempt of an AWS API call (DynamoDB, Step Functions, SQS) may wait for its answer before the
   * SDK abandons it (a TimeoutError) and retries it: 4 attempts at DynamoDB, 3 at Step Functions and SQS, the
   * SDK's 2026 retry defaults (https://github.com/aws/aws-sdk-js-v3/issues/8037; pinned by
   * test/unit/adapters/sdk-retry-defaults.test.ts). Without it a call to a hung connection waits until the Lambda
   * times out, and the caller gets API Gateway's 500 `{"message":"Internal Server Error"}` instead of hookflow's
   * 503 with Retry-After. The default keeps one call's attempts and their backoff within a handler's 10 s timeout
   * (DynamoDB: 4 x 2 s, plus at most 175 ms between attempts that got no answer); two calls in a row that both
   * hang do not fit, and the handler's deadline answers then (ANSWER_RESERVE_MS, below). A synchronous client
   * webhook's StartSyncExecution waits SYNC_WAIT_MS instead.
   */
  AWS_REQUEST_TIMEOUT_MS: z._default(positiveInt(z.maximum(10_000)), 2_000),
  /**
   * How long before its Lambda timeout an HTTP handler stops waiting on AWS and answers 503 with Retry-After, its
   * calls cut short (docs/scale.md, gap 9): without it Lambda stops the function and API Gateway answers a bare
   * 500, and the delivery is not recorded. The reserve is the time left to record the delivery and answer. 0: no
   * deadline (the Lambda timeout answers). The construct refuses a reserve that leaves a handler no time. The
   * wait-for-event function keeps it to give an early callback back: an unanswered resume is sent again only until
   * then, and not at all at 0 (functions/styles/events/wait-for-event.ts).
   */
  ANSWER_RESERVE_MS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(10_000)), 1_000),
});

/** AWS_REQUEST_TIMEOUT_MS alone, for the SDK clients (./adapters/aws/clients.ts), which are built before wiring. */
export function awsRequestTimeoutMs(env: Record<string, string | undefined>): number {
  const parsed = configSchema.shape.AWS_REQUEST_TIMEOUT_MS.safeParse(env.AWS_REQUEST_TIMEOUT_MS);
  if (!parsed.success) {
    throw new Error(`hookflow configuration is invalid: AWS_REQUEST_TIMEOUT_MS: ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}

export type Config = z.infer<typeof configSchema>;

/** Every setting's name: the CDK construct refuses a handlerSettings key that is not one of them. */
export const settingNames = Object.keys(configSchema.shape) as readonly (keyof Config)[];

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`hookflow configuration is invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}
