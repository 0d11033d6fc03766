import * as z from '../../core/zod';
import type { Registry, StoredItem, WorkflowTarget } from '../../core/ports';
import { canonicalRef } from '../../core/uuid';
import {
  type RegistrationKind,
  type RegistryItem,
  type WhenBusy,
  decodeItem,
  field,
  named,
  recordDeliveriesField,
  recordDeliveriesItem,
  whenBusyField,
  whenBusyItem,
  workflowTargetSchema,
} from '../../core/registration';
import { type StoredVerifier, storedVerifierSchema } from '../../core/verify/verifier-config';

/** A workflow of the events style (seed 3): started by `ref`, and by CloudEvents of the types it subscribes to. */
export interface EventWorkflowRecord extends WorkflowTarget {
  readonly ref: string;
  readonly eventTypes: readonly string[];
  /** Optional signature verification of `POST /api/v2/webhook?ref=` and of the CloudEvents it subscribes to (scripts/set-verifier.ts). */
  readonly verifier?: StoredVerifier;
  /** False: this workflow's deliveries are not recorded (docs/deliveries.md). */
  readonly recordDeliveries?: false;
  /** Absent: EVENT_WHEN_BUSY_DEFAULT (`queue`). */
  readonly whenBusy?: WhenBusy;
}

/**
 * Event workflows are started by third parties (`POST /api/v2/webhook?ref=` from a sender's webhook settings), which
 * may never retry (docs/deliveries.md, "Queue when busy"): a busy engine keeps the delivery and starts it later,
 * unless the registration says `whenBusy: 'reject'`.
 */
export const EVENT_WHEN_BUSY_DEFAULT: WhenBusy = 'queue';

/** Seed 3's registry slice: a workflow by its ref, plus one subscription item per event type (queried by type). */
export const eventWorkflowKey = (ref: string) => ({ pk: `EVENTWORKFLOW#${canonicalRef(ref)}`, sk: 'EVENTWORKFLOW' });
export const eventSubscriptionKey = (type: string, ref: string) => ({ pk: `EVENTSUB#${type}`, sk: ref });
export const eventSubscriptionPartition = (type: string) => `EVENTSUB#${type}`;
export const eventWorkflowItems = (workflow: EventWorkflowRecord) => [
  { ...eventWorkflowKey(workflow.ref), type: 'eventWorkflow', ...workflow, eventTypes: [...workflow.eventTypes] },
  ...workflow.eventTypes.map((type) => ({
    ...eventSubscriptionKey(type, workflow.ref),
    type: 'eventSubscription',
    ...workflow,
    eventTypes: [...workflow.eventTypes],
  })),
];

const eventWorkflowRecordSchema = z.extend(workflowTargetSchema, {
  ref: z.string(),
  eventTypes: z._default(z.array(z.string()), []),
  verifier: z.optional(storedVerifierSchema),
  recordDeliveries: z.optional(z.literal(false)),
  whenBusy: z.optional(z.enum(['queue', 'reject'])),
});
const decodeEventWorkflow = (item: StoredItem): EventWorkflowRecord => decodeItem(eventWorkflowRecordSchema, item);

/** The workflow `ref`, if registered. */
export async function readEventWorkflow(registry: Registry, ref: string): Promise<EventWorkflowRecord | undefined> {
  const item = await registry.getItem(eventWorkflowKey(ref));
  return item === undefined ? undefined : decodeEventWorkflow(item);
}

/** The workflows subscribed to CloudEvents of `type` (their subscription items: copies of the workflow's). */
export async function readEventSubscribers(registry: Registry, type: string): Promise<readonly EventWorkflowRecord[]> {
  return (await registry.queryPartition(eventSubscriptionPartition(type))).map(decodeEventWorkflow);
}

/**
 * A workflow of the events style: `POST /api/v2/webhook?ref=<ref>` starts it, and so does every CloudEvent of one
 * of `eventTypes` posted to `/api/v2/event`. To wait for callbacks it must be STANDARD (the workflow's own
 * business: an Express one that tries fails at its wait task).
 */
const eventWorkflowSchema = z.strictObject({
  ref: z.string().check(z.minLength(1)),
  workflow: z.string().check(z.minLength(1)),
  eventTypes: z._default(z.array(z.string().check(z.minLength(1))), []),
  ...recordDeliveriesField,
  ...whenBusyField,
});

export const eventWorkflowRegistrations: RegistrationKind<typeof eventWorkflowSchema> = {
  kind: 'event workflow',
  configPath: ['eventWorkflows'],
  schema: eventWorkflowSchema,
  localSchema: eventWorkflowSchema,
  label: (input) => `event workflow ${named(field(input, 'ref'))}`,
  prefixes: ['EVENTWORKFLOW#', 'EVENTSUB#'],
  secretFields: [],
  binding: 'event-workflows',
  recordId: (item) => `EventWorkflow-${item.pk}-${item.sk}`,
  items: (workflow, resolve): RegistryItem[] =>
    eventWorkflowItems({
      ref: workflow.ref,
      eventTypes: [...new Set(workflow.eventTypes)],
      ...resolve(workflow.workflow, 'workflow'),
      ...recordDeliveriesItem(workflow),
      ...whenBusyItem(workflow, EVENT_WHEN_BUSY_DEFAULT),
    }),
};

export type EventWorkflowRegistration = z.input<typeof eventWorkflowSchema>;
