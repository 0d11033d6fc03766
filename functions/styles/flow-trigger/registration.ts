import * as z from 'zod';
import type { FlowRecord } from '../../core/ports';
import { type RegistrationKind, type RegistryItem, field, named } from '../../core/registration';
import { replaySchema, verifierSchema } from '../../core/verify/verifier-config';

/** Seed 1's registry slice: one item per flow (read with GetItem by the trigger). */
export const flowKey = (flowId: string) => ({ pk: `FLOW#${flowId}`, sk: 'FLOW' });
export const flowItem = (flow: FlowRecord) => ({ ...flowKey(flow.flowId), type: 'flow', ...flow });

/** A flow: `POST /flows/{flowId}/trigger` starts `workflow`; an unpublished flow answers 404. */
const flowSchema = z.strictObject({
  // The id is a path segment of the trigger URL.
  flowId: z
    .string()
    .min(1)
    .regex(/^[^/]+$/, 'a flow id is one path segment: no "/"'),
  workflow: z.string().min(1),
  published: z.boolean().default(true),
});

/**
 * Local only: a flow may carry its verifier and secret in the config file. A deployed flow gets its verifier
 * from scripts/set-verifier.ts, never through a template.
 */
const localFlowSchema = flowSchema.extend({
  verifier: z
    .strictObject({ verifier: verifierSchema, replay: replaySchema.optional(), secret: z.string().min(16) })
    .optional(),
});

export const flowRegistrations: RegistrationKind<typeof flowSchema, typeof localFlowSchema> = {
  kind: 'flow',
  configPath: ['flows'],
  schema: flowSchema,
  localSchema: localFlowSchema,
  label: (input) => `flow ${named(field(input, 'flowId'))}`,
  prefixes: ['FLOW#'],
  secretFields: ['verifier'],
  binding: 'flows',
  recordId: (item) => `Flow-${String(item.flowId)}`,
  items: (flow, resolve): RegistryItem[] => [
    flowItem({
      flowId: flow.flowId,
      ...resolve(flow.workflow, 'workflow'),
      published: flow.published,
      ...(flow.verifier === undefined
        ? {}
        : {
            verifier: {
              verifier: flow.verifier.verifier,
              ...(flow.verifier.replay === undefined ? {} : { replay: flow.verifier.replay }),
              secrets: { current: flow.verifier.secret },
            },
          }),
    }),
  ],
};

export type FlowRegistration = z.input<typeof flowSchema>;
