/**
 * How registry records sit in the registry table (single-table design: `pk` + `sk`). Shared by the
 * DynamoDB adapter, the CDK flow binding (which seeds items through a custom resource) and the local seed.
 * Items are plain objects for @aws-sdk/util-dynamodb's marshall.
 */
import type { ProcessRecord, RegisteredWebhook, WebhookBinding } from '../../core/ports';
import { clientWebhookKey } from '../../styles/client-webhook/registration';
import { eventWorkflowKey } from '../../styles/events/registration';
import { flowKey } from '../../styles/flow-trigger/registration';
import { inboundVerifierKey } from '../../styles/inbound/registration';
import { KEY_KINDS } from '../../core/keys';
import { RUN_GUARD_KEY_PREFIX } from '../../core/runs/run-guard';

/**
 * The registrations' items (flows, client webhooks, inbound and event workflows, webhook templates) are each
 * style's registry slice, written by its registration codec (functions/styles/<style>/registration.ts).
 */
export { clientWebhookItem, clientWebhookKey } from '../../styles/client-webhook/registration';
export {
  eventSubscriptionKey,
  eventSubscriptionPartition,
  eventWorkflowItems,
  eventWorkflowKey,
} from '../../styles/events/registration';
export { flowItem, flowKey } from '../../styles/flow-trigger/registration';
export {
  inboundSecretItem,
  inboundSecretKey,
  inboundVerifierKey,
  inboundWorkflowItems,
  inboundWorkflowKey,
} from '../../styles/inbound/registration';
export { webhookTemplateItem, webhookTemplatePartition } from '../../styles/registered-webhooks/registration';

export { apiKeyItem, apiKeyKey } from '../../core/auth/api-keys';

/** Where a waiting task's token sits (in the dedupe table, which already expires what it holds). */
export const waitKey = (ref: string, topic: string) => ({ pk: `${dedupePartitionPrefixes.waits}${ref}#${topic}` });

/**
 * Every kind of item in the dedupe table by the prefix of its `pk`, for IAM as the registry's kinds are:
 * - `claims`: dedupe claims, the replay ledger (`delivery#`) and process records (`process#`), what a handler
 *   with `dedupe:read` / `dedupe:write` may address;
 * - `waits`: waiting tasks with their task tokens (`wait#`), only for `waits:read` / `waits:write`: a token
 *   resumes a run, so a handler that does not resume runs cannot read one;
 * - `runGuard`: the Express run guard's items (`run#`), written by the Express state machines' roles only
 *   (workflows/express-run-guard.ts);
 * - `records`: delivery records of their own (`dlv#<id>`, a request no claim records), read by `deliveries:read`.
 * No prefix is a prefix of another kind's keys (`event#` never matches `event-webhook#…`);
 * test/infra/iam-grants.test.ts holds every key builder to this table.
 */
export const dedupePartitionPrefixes = {
  claims: [...KEY_KINDS.map((kind) => `${kind}#`), 'process#'],
  waits: 'wait#',
  runGuard: RUN_GUARD_KEY_PREFIX,
  // Delivery records no claim carries (functions/core/deliveries/record.ts): read by `deliveries:read`.
  records: 'dlv#',
} as const;

/** The dedupe table's index of delivery records (docs/deliveries.md): `dPk` (shard) + `dSk` (the id). */
export const DELIVERIES_INDEX = 'deliveries';

/**
 * Seed 5's registered webhooks, written at run time by the admin API. A webhook and its bindings share one
 * partition, so a trigger reads them in one Query; `ORGWEBHOOKS#<org>` lists an organisation's webhook ids
 * (the webhook item stays the truth: a listing entry without one is skipped).
 */
export const webhookPartition = (id: string) => `WEBHOOK#${id}`;
export const webhookKey = (id: string) => ({ pk: webhookPartition(id), sk: 'WEBHOOK' });
export const webhookItem = (webhook: RegisteredWebhook) => ({ ...webhookKey(webhook.id), type: 'webhook', ...webhook });
export const webhookBindingKey = (webhookId: string, templateId: string) => ({
  pk: webhookPartition(webhookId),
  sk: `BINDING#${templateId}`,
});
export const webhookBindingItem = (binding: WebhookBinding) => ({
  ...webhookBindingKey(binding.webhookId, binding.eventWorkflowTemplateId),
  type: 'webhookBinding',
  ...binding,
});
export const orgWebhooksPartition = (orgId: string) => `ORGWEBHOOKS#${orgId}`;
export const orgWebhookListingKey = (orgId: string, webhookId: string) => ({
  pk: orgWebhooksPartition(orgId),
  sk: webhookId,
});
/** The key prefixes the admin API may write (its IAM policy is scoped to them with dynamodb:LeadingKeys). */
export const webhookWritablePrefixes = ['WEBHOOK#', 'ORGWEBHOOKS#'] as const;

/**
 * Every kind of registry partition by the prefix of its `pk`, for IAM: a handler may read only the kinds it
 * declares (`registry:read:<kind>` in functions/routes.ts), scoped with `dynamodb:LeadingKeys`. No prefix is
 * a prefix of another kind's keys (`WEBHOOK#` never matches `WEBHOOKTEMPLATE#...`), so each grant reads
 * exactly its kind. test/infra/iam-grants.test.ts holds every key function to this table.
 */
export const registryPartitionPrefixes = {
  flows: 'FLOW#',
  'api-keys': 'APIKEY#',
  'client-webhooks': 'CLIENTWEBHOOK#',
  'inbound-workflows': 'INBOUNDWORKFLOW#',
  'inbound-secret': 'INBOUNDSECRET',
  'inbound-verifier': 'INBOUNDVERIFIER',
  'event-workflows': 'EVENTWORKFLOW#',
  'event-subscriptions': 'EVENTSUB#',
  'webhook-templates': 'WEBHOOKTEMPLATE#',
  webhooks: 'WEBHOOK#',
  'org-webhooks': 'ORGWEBHOOKS#',
} as const;
export type RegistryPartition = keyof typeof registryPartitionPrefixes;

/**
 * How the styles' registry slices (through dynamodb-registry.ts) and dynamodb-webhook-store.ts read each kind: one item by key (GetItem) or a whole
 * partition (Query). IAM grants a reader exactly that action on the kind's keys.
 */
export const registryPartitionReads: Record<RegistryPartition, 'GetItem' | 'Query'> = {
  flows: 'GetItem',
  'api-keys': 'GetItem',
  'client-webhooks': 'GetItem',
  'inbound-workflows': 'GetItem',
  'inbound-secret': 'GetItem',
  'inbound-verifier': 'GetItem',
  'event-workflows': 'GetItem',
  'event-subscriptions': 'Query',
  'webhook-templates': 'Query',
  webhooks: 'Query',
  'org-webhooks': 'Query',
};

/**
 * A process (seed 5) sits in the dedupe table, which already expires what it holds. Its trigger event is kept
 * as JSON text: DynamoDB numbers can't hold every JSON number (e.g. 20-digit ids), and the event is only read
 * back whole.
 */
export const processKey = (id: string) => ({ pk: `process#${id}` });
export const processItem = (record: ProcessRecord, expiresAt: number) => ({
  ...processKey(record.id),
  ...record,
  triggerEvent: JSON.stringify(record.triggerEvent ?? null),
  expiresAt,
});

/**
 * The registry item of a registration named as scripts/set-verifier.ts takes it: `flow:<flowId>`,
 * `client-webhook:<client>/<name>`, `event-workflow:<ref>` or `inbound`. Its `verifier` attribute is set
 * there; the CDK custom resources update only their own attributes, so it survives redeploys.
 */
export function registrationKey(registration: string): { pk: string; sk: string } {
  const [kind, name = ''] = registration.split(/:(.*)/s);
  if (kind === 'flow' && name !== '') return flowKey(name);
  if (kind === 'event-workflow' && name !== '') return eventWorkflowKey(name);
  if (kind === 'client-webhook' && /^[^/]+\/[^/]+$/.test(name)) {
    const [client, webhook] = name.split('/') as [string, string];
    return clientWebhookKey(client, webhook);
  }
  if (registration === 'inbound') return inboundVerifierKey();
  throw new Error(
    `unknown registration "${registration}": use flow:<id>, client-webhook:<client>/<name>, event-workflow:<ref> or inbound`,
  );
}
