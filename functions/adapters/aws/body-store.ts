import type { Logger } from '@aws-lambda-powertools/logger';
import type { Config } from '../../core/config';
import type { BodyRef, BodyStore } from '../../core/deliveries/log';
import { type ClaimCheck, makeClaimCheck } from '../../core/runs/claim-check';
import type { Recording } from '../../http/http-handler';
import { recordCalls, requestHandlerOptions } from './clients';

/**
 * The body store and the claim-check, for the handlers that store large bodies (`bodies:write`). Apart from
 * wireAws (./wiring.ts), as the fan-out queue is, so that no other handler's bundle holds the S3 client; and
 * loaded at the first large body, not at cold start, in the handlers that do: the S3 client is about 150 KB of
 * a 700 KB bundle, and most requests never need it (docs/performance.md, "Cold start"). Without BODIES_BUCKET
 * there is no store, and an input over Step Functions' limit is refused with 413.
 */
export function claimCheckOf(config: Pick<Config, 'BODIES_BUCKET'>, logger: Logger): ClaimCheck {
  if (config.BODIES_BUCKET === undefined) return makeClaimCheck({ logger });
  return makeClaimCheck({ logger, bodies: lazyS3BodyStore(config.BODIES_BUCKET) });
}

/** The S3 body store, its module (and the S3 client) loaded at the first call. */
export function lazyS3BodyStore(bucket: string): BodyStore {
  let loaded: Promise<BodyStore> | undefined;
  const store = () =>
    (loaded ??= import('./s3-body-store').then(
      ({ S3BodyStore, s3Client }) => new S3BodyStore(s3Client({ requestHandlerOptions, recordCalls }), bucket),
    ));
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
