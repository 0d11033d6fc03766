import * as z from '../../core/zod';
import type { Registry, WorkflowTarget } from '../../core/ports';
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
import { sha256Hex } from '../../core/auth/secrets';

/**
 * A client webhook (seed 2): `client` + `name` resolve to a workflow run as `runAs`. `mode: dev` runs the
 * development variant (`dev`), e.g. the unpublished latest revision while `productive` names an alias.
 */
export interface ClientWebhookRecord {
  readonly client: string;
  readonly name: string;
  readonly productive: WorkflowTarget;
  readonly dev?: WorkflowTarget;
  readonly mode: 'productive' | 'dev';
  readonly runAs: string;
  /** SHA-256 of the webhook's key; no key means the webhook is open. */
  readonly keyHash?: string;
  /** Optional signature verification (scripts/set-verifier.ts). */
  readonly verifier?: StoredVerifier;
  /** False: this webhook's deliveries are not recorded (docs/deliveries.md). */
  readonly recordDeliveries?: false;
  /** `?async` calls only; absent: CLIENT_WEBHOOK_WHEN_BUSY_DEFAULT (`queue`). */
  readonly whenBusy?: WhenBusy;
}

/**
 * A `?async` call does not wait for its run's result, and client webhooks are URLs handed to other systems, which
 * may never retry (docs/deliveries.md, "Queue when busy"): a busy engine keeps the call and starts it later, the 202
 * naming its run as a started one does (`executionName`, and its id and link for a Standard workflow), unless the
 * webhook says `whenBusy: 'reject'`. A synchronous call waits for the result, which a queued run cannot give: never
 * queued.
 */
export const CLIENT_WEBHOOK_WHEN_BUSY_DEFAULT: WhenBusy = 'queue';

/** Seed 2's registry slice: one item per webhook (read with GetItem by `client` + `name`). */
export const clientWebhookKey = (client: string, name: string) => ({
  pk: `CLIENTWEBHOOK#${client}#${name}`,
  sk: 'CLIENTWEBHOOK',
});
/** Leaves out absent optional fields: marshall refuses undefined values. */
export const clientWebhookItem = (webhook: ClientWebhookRecord) =>
  JSON.parse(
    JSON.stringify({ ...clientWebhookKey(webhook.client, webhook.name), type: 'clientWebhook', ...webhook }),
  ) as RegistryItem;

const pathSegment = (what: string) =>
  z.string().check(z.minLength(1), z.regex(/^[^/]+$/, `${what} is one path segment: no "/"`));

/**
 * A client webhook: `GET|POST /webhook/{client}/{name}` runs `workflow` as `runAs`, or `devWorkflow` in mode dev
 * (seed 2's `client.webhook.<name>` settings: flow_name, user_name, mode).
 */
const shape = {
  client: pathSegment('a client'),
  name: pathSegment('a webhook name'),
  workflow: z.string().check(z.minLength(1)),
  devWorkflow: z.optional(z.string().check(z.minLength(1))),
  runAs: z.string().check(z.minLength(1)),
  mode: z._default(z.enum(['productive', 'dev']), 'productive'),
  ...recordDeliveriesField,
  ...whenBusyField,
};
/** Mode dev runs the dev workflow: without one it could run nothing. */
const runsSomething = (mode: string, dev: unknown) => mode !== 'dev' || dev !== undefined;
const devHasWorkflow = (webhook: { mode: string; devWorkflow?: string | undefined }) =>
  runsSomething(webhook.mode, webhook.devWorkflow);
const devNeedsWorkflow = () => ({ message: 'mode dev needs a devWorkflow', path: ['devWorkflow'] });

const clientWebhookSchema = z.strictObject(shape).check(z.refine(devHasWorkflow, devNeedsWorkflow()));
/** Local only: the webhook's key (stored hashed). A deployed webhook gets it from scripts/set-client-webhook-key.ts. */
const localClientWebhookSchema = z
  .strictObject({ ...shape, key: z.optional(z.string().check(z.minLength(1))) })
  .check(z.refine(devHasWorkflow, devNeedsWorkflow()));

export const clientWebhookRegistrations: RegistrationKind<typeof clientWebhookSchema, typeof localClientWebhookSchema> =
  {
    kind: 'client webhook',
    configPath: ['clientWebhooks'],
    schema: clientWebhookSchema,
    localSchema: localClientWebhookSchema,
    label: (input) => `client webhook ${named(field(input, 'client'), field(input, 'name'))}`,
    prefixes: ['CLIENTWEBHOOK#'],
    secretFields: ['key'],
    binding: 'client-webhooks',
    recordId: (item) => `ClientWebhook-${String(item.client)}-${String(item.name)}`,
    items: (webhook, resolve): RegistryItem[] => [
      clientWebhookItem({
        client: webhook.client,
        name: webhook.name,
        productive: resolve(webhook.workflow, 'workflow'),
        ...(webhook.devWorkflow === undefined ? {} : { dev: resolve(webhook.devWorkflow, 'devWorkflow') }),
        mode: webhook.mode,
        runAs: webhook.runAs,
        ...recordDeliveriesItem(webhook),
        ...whenBusyItem(webhook, CLIENT_WEBHOOK_WHEN_BUSY_DEFAULT),
        ...(webhook.key === undefined ? {} : { keyHash: sha256Hex(webhook.key) }),
      }),
    ],
  };

/**
 * The item read back as a record. Registrations are data anyone with table access can edit, so the same rule
 * holds on read: a malformed one fails loudly rather than run nothing.
 */
export const clientWebhookRecordSchema = z
  .object({
    client: z.string(),
    name: z.string(),
    productive: workflowTargetSchema,
    dev: z.optional(workflowTargetSchema),
    mode: z._default(z.enum(['productive', 'dev']), 'productive'),
    runAs: z.string().check(z.minLength(1)),
    keyHash: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
    verifier: z.optional(storedVerifierSchema),
    recordDeliveries: z.optional(z.literal(false)),
    whenBusy: z.optional(z.enum(['queue', 'reject'])),
  })
  .check(z.refine((webhook) => runsSomething(webhook.mode, webhook.dev), 'mode dev needs a dev workflow'));

/** The client webhook `client`/`name`, if registered. */
export async function readClientWebhook(
  registry: Registry,
  client: string,
  name: string,
): Promise<ClientWebhookRecord | undefined> {
  const item = await registry.getItem(clientWebhookKey(client, name));
  return item === undefined ? undefined : decodeItem(clientWebhookRecordSchema, item, true);
}

export type ClientWebhookRegistration = z.input<typeof clientWebhookSchema>;
