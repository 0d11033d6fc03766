import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { BodyRef, BodyStore } from '../../core/deliveries/log';
import type { recordCalls, requestHandlerOptions } from './clients';
import type { cutShortAtDeadline } from './invocation-deadline';
import type { mayHaveTakenEffect } from './unanswered';

/**
 * What this module takes from the handler's own bundle, handed in by ./body-store.ts rather than imported.
 *
 * In a deployed handler this module is a second file beside index.js (`s3-body-store.js`: `BODY_STORE` in
 * lib/handler-bundling.ts), bundled on its own and required at the first large body, so that the S3 client is
 * not read and pre-parsed at every cold start (docs/performance.md, "Cold start"). A second bundle
 * has its own copy of every module it imports: an `EngineBusyError` made from its own copy of
 * functions/core/outcomes.ts would fail the handler's `instanceof DomainError`, and a busy S3 would be answered
 * 500 instead of 503 with Retry-After. So every hookflow module this one needs comes in here, from the handler's
 * copy, and its only imports are types, `node:crypto` and the S3 client (test/infra/handler-bundling.test.ts
 * checks the second bundle holds no other hookflow module).
 */
export interface S3BodyStoreDeps {
  readonly requestHandlerOptions: typeof requestHandlerOptions;
  readonly recordCalls: typeof recordCalls;
  /** The handler's invocation deadline, which its S3 calls are cut short at too (./invocation-deadline.ts). */
  readonly cutShortAtDeadline: typeof cutShortAtDeadline;
  /** The handler's own busy error (an `EngineBusyError`): answered 503 with Retry-After. */
  readonly busy: (message: string) => Error;
  readonly mayHaveTakenEffect: typeof mayHaveTakenEffect;
}

/**
 * A new S3 client, recording its calls when asked to (tests), as the other clients (./clients.ts). Not kept
 * here: ./body-store.ts keeps one per handler bundle. Locally every handler shares one process, and so one copy
 * of this module; a client kept here would record every handler's S3 calls under the first one's name. Locally
 * AWS_ENDPOINT_URL_S3 names fauxqs by IP address, which the SDK addresses path-style by itself.
 */
export function s3Client({ requestHandlerOptions, recordCalls, cutShortAtDeadline }: S3BodyStoreDeps): S3Client {
  // A body of several MB takes longer to send than a DynamoDB item: an attempt gets at least 10 s, not less
  // than AWS_REQUEST_TIMEOUT_MS, so only a hung connection (never a big body) times out.
  const options = requestHandlerOptions();
  return recordCalls(
    cutShortAtDeadline(
      new S3Client({ requestHandler: { ...options, requestTimeout: Math.max(10_000, options.requestTimeout) } }),
    ),
    's3',
  );
}

/**
 * Where a body's object goes: `bodies/<2 hex digits>/<delivery id>`. S3 serves "at least 3,500
 * PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per partitioned Amazon S3 prefix" and scales by
 * splitting busy prefixes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html).
 * Delivery ids are ULIDs, so they start with the time: keyed by the id alone, every object of a burst would
 * share one growing prefix. Two hex digits of the id's SHA-256 in front spread a burst evenly over 256
 * prefixes, and the key still follows from the id alone (the record and a claim-checked run name the same object).
 */
export function bodyKeyOf(deliveryId: string): string {
  const spread = createHash('sha256').update(deliveryId).digest('hex').slice(0, 2);
  return `bodies/${spread}/${deliveryId}`;
}

/**
 * S3's throttling and brief-outage errors, once the SDK's retries are spent: SlowDown (503, "Reduce your request
 * rate"), ServiceUnavailable (503), InternalError (500)
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList). Like any 5xx or a call that
 * got no answer (./unanswered.ts), they mean "retry shortly": the caller answers 503 with Retry-After.
 */
const S3_BUSY_ERRORS: ReadonlySet<string> = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError']);

function busyOr(error: unknown, deps: Pick<S3BodyStoreDeps, 'busy' | 'mayHaveTakenEffect'>): unknown {
  const name = (error as { name?: unknown } | null)?.name;
  if ((typeof name === 'string' && S3_BUSY_ERRORS.has(name)) || deps.mayHaveTakenEffect(error)) {
    return deps.busy('the body store (S3) is busy or unavailable; retry shortly');
  }
  return error;
}

/** The body store on S3: one object per delivery, the raw bytes exactly as received. */
export class S3BodyStore implements BodyStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    /** The handler's busy error and unanswered-call check (see {@link S3BodyStoreDeps}). */
    private readonly errors: Pick<S3BodyStoreDeps, 'busy' | 'mayHaveTakenEffect'>,
  ) {}

  async put(deliveryId: string, raw: Buffer): Promise<BodyRef> {
    const key = bodyKeyOf(deliveryId);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: raw,
          // Bytes, never text: no charset is implied, and nothing on the way re-encodes them.
          ContentType: 'application/octet-stream',
          // S3 checks the bytes it received against this and refuses the upload if they differ
          // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
          ChecksumSHA256: createHash('sha256').update(raw).digest('base64'),
        }),
      );
    } catch (error) {
      throw busyOr(error, this.errors);
    }
    return { bucket: this.bucket, key };
  }

  async get(ref: BodyRef): Promise<Buffer | undefined> {
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      if (output.Body === undefined) return Buffer.alloc(0);
      return Buffer.from(await output.Body.transformToByteArray());
    } catch (error) {
      // GetObject of a key that does not exist (expired by the lifecycle rule, or never written): NoSuchKey, 404,
      // for a caller that also holds s3:ListBucket on the bucket; without it S3 answers 403 AccessDenied
      // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"). So `bodies:read` and
      // grantReadBodies give ListBucket too (lib/hookflow-bodies.ts): "gone" stays apart from "not allowed".
      if (error instanceof NoSuchKey || (error as { name?: unknown } | null)?.name === 'NoSuchKey') return undefined;
      throw busyOr(error, this.errors);
    }
  }
}
