import * as z from 'zod';
import type { InboundWorkflowRecord } from '../../core/ports';
import { type RegistrationKind, type RegistryItem, field, named } from '../../core/registration';

/** Seed 4's registry slice: one item per way to name the workflow, so its name and its id both resolve it. */
export const inboundWorkflowKey = (nameOrId: string) => ({ pk: `INBOUNDWORKFLOW#${nameOrId}`, sk: 'INBOUNDWORKFLOW' });
export const inboundWorkflowItems = (workflow: InboundWorkflowRecord) =>
  [workflow.name, workflow.workflowId].map((ref) => ({
    ...inboundWorkflowKey(ref),
    type: 'inboundWorkflow',
    ...workflow,
  }));

/** The accepted Inbound-Webhook-Secret hashes (a list, so a secret can be rotated without downtime). */
export const inboundSecretKey = () => ({ pk: 'INBOUNDSECRET', sk: 'INBOUNDSECRET' });
export const inboundSecretItem = (secretHashes: readonly string[]) => ({
  ...inboundSecretKey(),
  type: 'inboundSecret',
  secretHashes: [...secretHashes],
});

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
  starters: ['inbound', 'inbound-fanout'],
  recordId: (item) => `InboundWorkflow-${item.pk}`,
  items: (workflow, resolve): RegistryItem[] =>
    inboundWorkflowItems({
      name: workflow.name,
      workflowId: workflow.workflowId,
      ...resolve(workflow.workflow, 'workflow'),
    }),
};

export type InboundWorkflowRegistration = z.input<typeof inboundWorkflowSchema>;
