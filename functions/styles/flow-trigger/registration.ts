import * as z from '../../core/zod';
import type { Registry, WorkflowType } from '../../core/ports';
import {
  type RegistrationKind,
  type RegistryItem,
  field,
  named,
  recordDeliveriesField,
  recordDeliveriesItem,
  recordsDeliveries,
  type WhenBusy,
  verifierOf,
  whenBusyField,
  whenBusyItem,
  whenBusyOf,
} from '../../core/registration';
import { type StoredVerifier, replaySchema, verifierSchema } from '../../core/verify/verifier-config';

/** A flow: a named, publishable binding of a webhook to a state machine. */
export interface FlowRecord {
  readonly flowId: string;
  readonly stateMachineArn: string;
  readonly workflowType: WorkflowType;
  /** WorkflowTarget.runGuarded: a keyed trigger's claim is its one write (functions/core/runs/run-guard.ts). */
  readonly runGuarded?: true;
  readonly published: boolean;
  /** Optional signature verification on top of the API key (scripts/set-verifier.ts). */
  readonly verifier?: StoredVerifier;
  /** False: this flow's deliveries are not recorded (docs/deliveries.md). */
  readonly recordDeliveries?: false;
  /** Absent: FLOW_WHEN_BUSY_DEFAULT (`reject`). */
  readonly whenBusy?: WhenBusy;
}

/**
 * A flow's caller is an API client holding a key: it expects the executionLink of its 202 and retries a 503 by itself
 * (docs/deliveries.md, "Queue when busy"), so a busy engine answers 503 unless the flow says `whenBusy: 'queue'`: then
 * the trigger is kept and started later, the 202 naming its run (and a Standard run's ARN and link).
 */
export const FLOW_WHEN_BUSY_DEFAULT: WhenBusy = 'reject';

/** Seed 1's registry slice: one item per flow (read with GetItem by the trigger). */
export const flowKey = (flowId: string) => ({ pk: `FLOW#${flowId}`, sk: 'FLOW' });
export const flowItem = (flow: FlowRecord) => ({ ...flowKey(flow.flowId), type: 'flow', ...flow });

/** The flow `flowId`, if registered (published or not: the trigger answers 404 for both). */
export async function readFlow(registry: Registry, flowId: string): Promise<FlowRecord | undefined> {
  const item = await registry.getItem(flowKey(flowId));
  if (item === undefined) return undefined;
  return {
    flowId: String(item.flowId),
    stateMachineArn: String(item.stateMachineArn),
    workflowType: item.workflowType === 'STANDARD' ? 'STANDARD' : 'EXPRESS',
    ...(item.runGuarded === true ? { runGuarded: true as const } : {}),
    published: item.published === true,
    ...(recordsDeliveries(item) ? {} : { recordDeliveries: false as const }),
    ...(whenBusyOf(item, FLOW_WHEN_BUSY_DEFAULT) === 'queue' ? { whenBusy: 'queue' as const } : {}),
    ...verifierOf(item),
  };
}

/** A flow: `POST /flows/{flowId}/trigger` starts `workflow`; an unpublished flow answers 404. */
const flowSchema = z.strictObject({
  // The id is a path segment of the trigger URL.
  flowId: z.string().check(z.minLength(1), z.regex(/^[^/]+$/, 'a flow id is one path segment: no "/"')),
  workflow: z.string().check(z.minLength(1)),
  published: z._default(z.boolean(), true),
  ...recordDeliveriesField,
  ...whenBusyField,
});

/**
 * Local only: a flow may carry its verifier and secret in the config file. A deployed flow gets its verifier
 * from scripts/set-verifier.ts, never through a template.
 */
const localFlowSchema = z.extend(flowSchema, {
  verifier: z.optional(
    z.strictObject({
      verifier: verifierSchema,
      replay: z.optional(replaySchema),
      secret: z.string().check(z.minLength(16)),
    }),
  ),
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
      ...recordDeliveriesItem(flow),
      ...whenBusyItem(flow, FLOW_WHEN_BUSY_DEFAULT),
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
