import * as z from 'zod';
import type { InboundWorkflowRecord } from '../../core/ports';
import { canonicalRef } from '../../core/uuid';
import { type RegistrationKind, type RegistryItem, field, named } from '../../core/registration';

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
 * It sat on the INBOUNDSECRET item before; dynamodb-registry.ts refuses that layout (fail closed) and
 * set-verifier moves it here.
 */
export const inboundVerifierKey = () => ({ pk: 'INBOUNDVERIFIER', sk: 'INBOUNDVERIFIER' });

/** A workflow `POST /inbound` may start, named in a request by `name` or by `workflowId` (a UUID). */
const inboundWorkflowSchema = z.strictObject({
  name: z.string().min(1),
  workflowId: z.uuid(),
  workflow: z.string().min(1),
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
    }),
};

export type InboundWorkflowRegistration = z.input<typeof inboundWorkflowSchema>;
