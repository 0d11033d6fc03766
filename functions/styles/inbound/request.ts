import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../../core/zod';
import { InvalidInputError, TooLargeError } from '../../core/outcomes';
import { describeInvalid } from '../../core/invalid-input';
import { parseJsonObject, rawBody, signedRequestOf } from '../../http/request';
import { canonicalRef } from '../../core/uuid';
import type { SignedRequest } from '../../core/verify/verify-signature';

/**
 * POST /inbound bodies (seed 4). A single request: `workflow` (required), `stateValues`, `uid`, and every
 * other field as runtime data. A batch: the parent's `workflow` (still required) and `stateValues`, and
 * `batch: [{uid, workflow, stateValues, runtimeData}]`. Both come out as a list of resolved items.
 */
const uid = z.union([
  z.string().check(z.minLength(1), z.maxLength(255)),
  z.pipe(
    z.number(),
    z.transform((n: number) => String(n)),
  ),
]);
// A workflow's id is a UUID: any case finds it (functions/core/uuid.ts). Names are compared as written.
const workflowRef = z.pipe(
  z.string().check(z.minLength(1, 'workflow must not be empty'), z.maxLength(256)),
  z.transform((ref: string) => canonicalRef(ref)),
);
const stateValues = z.record(z.string(), z.unknown(), 'stateValues must be an object');

const parentSchema = z.object({
  workflow: workflowRef,
  stateValues: z.nullish(stateValues),
  uid: z.nullish(uid),
  batch: z.optional(z.array(z.unknown(), 'batch must be an array')),
});

const batchItemSchema = z.strictObject({
  uid: z.nullish(uid),
  workflow: z.nullish(workflowRef),
  stateValues: z.nullish(stateValues),
  runtimeData: z.nullish(z.record(z.string(), z.unknown(), 'runtimeData must be an object')),
});

/** The fields a single request reserves; everything else is runtime data. */
const SINGLE_FIELDS = new Set(['workflow', 'stateValues', 'uid']);

export interface InboundItem {
  /** Position in the batch; undefined for a single request. */
  readonly index?: number;
  readonly uid?: string;
  readonly workflow: string;
  readonly stateValues: Record<string, unknown>;
  readonly runtime: Record<string, unknown>;
}

export interface InboundRequest {
  readonly secret: string | undefined;
  /** What the optional inbound verifier checks. */
  readonly signed?: SignedRequest;
  /** The parent's workflow: required, and must exist, even when every batch item names its own. */
  readonly workflow: string;
  readonly batch: boolean;
  readonly items: readonly InboundItem[];
}

export interface InboundLimits {
  readonly maxBodyBytes: number;
  readonly maxBatchItems: number;
}

export function parseInboundRequest(event: APIGatewayProxyEventV2, limits: InboundLimits): InboundRequest {
  const bytes = rawBody(event, limits.maxBodyBytes);
  const body = parseJsonObject(bytes);
  const signed = signedRequestOf(event, bytes);
  const parent = parentSchema.safeParse(body);
  if (!parent.success) throw new InvalidInputError(describeInvalid(parent.error, body));
  const secret = event.headers?.['inbound-webhook-secret'];

  if (parent.data.batch === undefined) {
    const runtime = Object.fromEntries(Object.entries(body).filter(([field]) => !SINGLE_FIELDS.has(field)));
    return {
      secret,
      signed,
      workflow: parent.data.workflow,
      batch: false,
      items: [
        {
          ...(parent.data.uid == null ? {} : { uid: parent.data.uid }),
          workflow: parent.data.workflow,
          stateValues: parent.data.stateValues ?? {},
          runtime,
        },
      ],
    };
  }

  const batch = parent.data.batch;
  if (batch.length === 0) throw new InvalidInputError('batch must have at least one item');
  if (batch.length > limits.maxBatchItems) {
    throw new TooLargeError(`batch has ${batch.length} items; the limit is ${limits.maxBatchItems}`);
  }
  // Inheritance: an item's undefined (absent or null) workflow and stateValues come from the parent; an
  // empty object overrides with nothing; the parent's uid is ignored.
  const items = batch.map((raw, index): InboundItem => {
    const item = batchItemSchema.safeParse(raw);
    if (!item.success) throw new InvalidInputError(`batch[${index}]: ${describeInvalid(item.error, raw)}`);
    return {
      index,
      ...(item.data.uid == null ? {} : { uid: item.data.uid }),
      workflow: item.data.workflow ?? parent.data.workflow,
      stateValues: item.data.stateValues ?? parent.data.stateValues ?? {},
      runtime: item.data.runtimeData ?? {},
    };
  });
  return { secret, signed, workflow: parent.data.workflow, batch: true, items };
}
