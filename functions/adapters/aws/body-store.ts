import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../core/config';
import type { BodyRef, BodyStore } from '../../core/deliveries/log';
import { EngineBusyError } from '../../core/outcomes';
import { type ClaimCheck, makeClaimCheck } from '../../core/runs/claim-check';
import type { Recording } from '../../http/http-handler';
import { recordCalls, requestHandlerOptions } from './clients';
import { cutShortAtDeadline } from './invocation-deadline';
import type { S3BodyStoreDeps } from './s3-body-store';
import { mayHaveTakenEffect } from './unanswered';

/**
 * The body store and the claim-check, for the handlers that store large bodies (`bodies:write`). Apart from
 * wireAws (./wiring.ts), as the fan-out queue is, so that no other handler's bundle holds the S3 client; and
 * loaded at the first large body, not at cold start, in the handlers that do: most requests never need it.
 * Deployed, ./s3-body-store.ts is not even in the handler's bundle: it is a second file beside it
 * (`s3-body-store.js`, lib/handler-bundling.ts `BODY_STORE`), so that V8 does not read and pre-parse the S3
 * client at every cold start (docs/performance.md, "Cold start"). Without BODIES_BUCKET there is no store, and an
 * input over Step Functions' limit is refused with 413.
 */
export function claimCheckOf(config: Pick<Config, 'BODIES_BUCKET'>, logger: Logger): ClaimCheck {
  if (config.BODIES_BUCKET === undefined) return makeClaimCheck({ logger });
  return makeClaimCheck({ logger, bodies: lazyS3BodyStore(config.BODIES_BUCKET) });
}

/**
 * What the S3 store takes from this bundle rather than from its own copy (./s3-body-store.ts,
 * {@link S3BodyStoreDeps}): above all this bundle's `EngineBusyError`, the class `instanceof` checks here, so that
 * S3 busy or down is still answered 503 with Retry-After.
 */
export const s3BodyStoreDeps: S3BodyStoreDeps = {
  requestHandlerOptions,
  recordCalls,
  cutShortAtDeadline,
  busy: (message) => new EngineBusyError(message),
  mayHaveTakenEffect,
};

let s3: Promise<{ readonly module: typeof import('./s3-body-store'); readonly client: S3Client }> | undefined;

/**
 * The S3 store's module and one S3 client for this bundle, loaded at the first call. The import path is the one
 * the bundling leaves external (lib/handler-bundling.ts `BODY_STORE.importPath`): deployed, it is compiled to
 * `require("./s3-body-store")`, which finds the second file beside index.js.
 */
function s3Loaded() {
  return (s3 ??= import('./s3-body-store').then((module) => ({ module, client: module.s3Client(s3BodyStoreDeps) })));
}

/** The S3 body store, its module (and the S3 client) loaded at the first call. */
export function lazyS3BodyStore(bucket: string): BodyStore {
  let loaded: Promise<BodyStore> | undefined;
  const store = () =>
    (loaded ??= s3Loaded().then(({ module, client }) => new module.S3BodyStore(client, bucket, s3BodyStoreDeps)));
  return {
    put: async (deliveryId: string, raw: Buffer) => (await store()).put(deliveryId, raw),
    get: async (ref: BodyRef) => (await store()).get(ref),
  };
}

/**
 * `recording` with the S3 body store, for the handlers that record deliveries (`bodies:write`): a body above
 * DELIVERY_INLINE_BODY_BYTES goes to S3, the store (and the S3 client) loaded at the first such body. Without
 * BODIES_BUCKET (a stack without the bucket) such a body keeps its size and SHA-256 only.
 */
export function withBodyStore(recording: Recording, config: Pick<Config, 'BODIES_BUCKET'>): Recording {
  if (config.BODIES_BUCKET === undefined) return recording;
  return { ...recording, deps: { ...recording.deps, bodies: lazyS3BodyStore(config.BODIES_BUCKET) } };
}
