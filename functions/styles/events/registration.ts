import * as z from 'zod';
import type { EventWorkflowRecord } from '../../core/ports';
import { canonicalRef } from '../../core/uuid';
import { type RegistrationKind, type RegistryItem, field, named } from '../../core/registration';

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

/**
 * A workflow of the events style: `POST /api/v2/webhook?ref=<ref>` starts it, and so does every CloudEvent of one
 * of `eventTypes` posted to `/api/v2/event`. To wait for callbacks it must be STANDARD (the workflow's own
 * business: an Express one that tries fails at its wait task).
 */
const eventWorkflowSchema = z.strictObject({
  ref: z.string().min(1),
  workflow: z.string().min(1),
  eventTypes: z.array(z.string().min(1)).default([]),
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
    }),
};

export type EventWorkflowRegistration = z.input<typeof eventWorkflowSchema>;
