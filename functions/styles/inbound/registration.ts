import * as z from '../../core/zod';
import type { Registry, WorkflowTarget } from '../../core/ports';
import { canonicalRef } from '../../core/uuid';
import {
  type RegistrationKind,
  type RegistryItem,
  decodeItem,
  field,
  named,
  recordDeliveriesField,
  recordDeliveriesItem,
  type WhenBusy,
  verifierOf,
  whenBusyField,
  whenBusyItem,
  workflowTargetSchema,
} from '../../core/registration';
import type { StoredVerifier } from '../../core/verify/verifier-config';

/** A workflow the inbound style (seed 4) may start, found by its name or its id (a UUID). */
export interface InboundWorkflowRecord extends WorkflowTarget {
  readonly workflowId: string;
  readonly name: string;
  /** False: this workflow's deliveries are not recorded (docs/deliveries.md). */
  readonly recordDeliveries?: false;
  /** Absent: INBOUND_WHEN_BUSY_DEFAULT (`queue`). */
  readonly whenBusy?: WhenBusy;
}

/**
 * Inbound senders are third-party systems that may never retry (docs/deliveries.md, "Queue when busy"): a busy
 * engine keeps their delivery and starts it later, unless the registration says `whenBusy: 'reject'`.
 */
export const INBOUND_WHEN_BUSY_DEFAULT: WhenBusy = 'queue';

/**
 * Seed 4's registry slice: one item per way to name the workflow, so its name and its id both resolve it (an id
 * in any case: core/uuid.ts).
 */
export const inboundWorkflowKey = (nameOrId: string) => ({
  pk: `INBOUNDWORKFLOW#${canonicalRef(nameOrId)}`,
  sk: 'INBOUNDWORKFLOW',
});
export const inboundWorkflowItems = (workflow: InboundWorkflowRecord) =>
  [workflow.name, workflow.workflowId].map((ref) => ({
    ...inboundWorkflowKey(ref),
    type: 'inboundWorkflow',
    ...workflow,
  }));

/**
 * The accepted Inbound-Webhook-Secret hashes (a list, so a secret can be rotated without downtime). Only hashes:
 * GET /inbound/runs/{runRef} reads this item to check the secret and must learn nothing it could sign with.
 */
export const inboundSecretKey = () => ({ pk: 'INBOUNDSECRET', sk: 'INBOUNDSECRET' });
export const inboundSecretItem = (secretHashes: readonly string[]) => ({
  ...inboundSecretKey(),
  type: 'inboundSecret',
  secretHashes: [...secretHashes],
});

/**
 * The inbound style's optional signature verifier (scripts/set-verifier.ts --registration inbound), with its
 * signing secrets in clear: an item of its own, readable only by the handler that verifies (POST /inbound).
 * It sat on the INBOUNDSECRET item before; readInboundSecretHashes refuses that layout (fail closed) and
 * set-verifier moves it here.
 */
export const inboundVerifierKey = () => ({ pk: 'INBOUNDVERIFIER', sk: 'INBOUNDVERIFIER' });

const inboundWorkflowRecordSchema = z.extend(workflowTargetSchema, {
  workflowId: z.string(),
  name: z.string(),
  recordDeliveries: z.optional(z.literal(false)),
  whenBusy: z.optional(z.enum(['queue', 'reject'])),
});

/** The workflow a request names by its name or its id, if registered. */
export async function readInboundWorkflow(
  registry: Registry,
  nameOrId: string,
): Promise<InboundWorkflowRecord | undefined> {
  const item = await registry.getItem(inboundWorkflowKey(nameOrId));
  return item === undefined ? undefined : decodeItem(inboundWorkflowRecordSchema, item);
}

/**
 * SHA-256 hashes of the accepted `Inbound-Webhook-Secret` values: more than one while a secret is being
 * rotated. Empty when none is configured (every request is then refused).
 */
export async function readInboundSecretHashes(registry: Registry): Promise<readonly string[]> {
  const item = await registry.getItem(inboundSecretKey());
  // The layout before the verifier had an item of its own kept it here, where GET /inbound/runs could read
  // it; the verifying handler now reads only INBOUNDVERIFIER, so such an item would silently stop checking
  // signatures. Refuse it instead (fail closed) until scripts/set-verifier.ts moves it.
  if (item?.verifier !== undefined) {
    throw new Error(
      'registry item INBOUNDSECRET still holds the inbound verifier: run scripts/set-verifier.ts --registration inbound --rotate (or --remove) to move it to INBOUNDVERIFIER',
    );
  }
  return Array.isArray(item?.secretHashes) ? item.secretHashes.map(String) : [];
}

/** Optional signature verification of inbound requests, on top of the secret (scripts/set-verifier.ts). */
export async function readInboundVerifier(registry: Registry): Promise<StoredVerifier | undefined> {
  const item = await registry.getItem(inboundVerifierKey());
  return item === undefined ? undefined : verifierOf(item).verifier;
}

/** A workflow `POST /inbound` may start, named in a request by `name` or by `workflowId` (a UUID). */
const inboundWorkflowSchema = z.strictObject({
  name: z.string().check(z.minLength(1)),
  workflowId: z.uuid(),
  workflow: z.string().check(z.minLength(1)),
  ...recordDeliveriesField,
  ...whenBusyField,
});

export const inboundWorkflowRegistrations: RegistrationKind<typeof inboundWorkflowSchema> = {
  kind: 'inbound workflow',
  configPath: ['inbound', 'workflows'],
  schema: inboundWorkflowSchema,
  localSchema: inboundWorkflowSchema,
  label: (input) => `inbound workflow ${named(field(input, 'name'))}`,
  prefixes: ['INBOUNDWORKFLOW#'],
  // The fan-out worker starts the items of a batch.
  secretFields: [],
  binding: 'inbound-workflows',
  recordId: (item) => `InboundWorkflow-${item.pk}`,
  items: (workflow, resolve): RegistryItem[] =>
    inboundWorkflowItems({
      name: workflow.name,
      workflowId: workflow.workflowId,
      ...resolve(workflow.workflow, 'workflow'),
      ...recordDeliveriesItem(workflow),
      ...whenBusyItem(workflow, INBOUND_WHEN_BUSY_DEFAULT),
    }),
};

export type InboundWorkflowRegistration = z.input<typeof inboundWorkflowSchema>;
