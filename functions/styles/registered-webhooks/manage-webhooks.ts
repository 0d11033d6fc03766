import type { OrgCaller } from '../../core/auth/org-member';
import { crashPoint } from '../../core/faults/crash-point';
import { ConflictError, NotFoundError } from '../../core/outcomes';
import type {
  RegisteredWebhook,
  Registry,
  WebhookBinding,
  WebhookSettingsChange,
  WebhookStore,
} from '../../core/ports';
import { type RegistrationVerifier, rotateSecrets } from '../../core/verify/verifier-config';
import { randomId, randomSecret } from './ids';
import { UPDATABLE_SETTINGS } from './request';
import { REGISTERED_WEBHOOK_WHEN_BUSY_DEFAULT, readWebhookTemplates } from './registration';
import { type WhenBusy, recordDeliveriesItem, whenBusyItem } from '../../core/registration';
import { type Clock, dateOf } from '../../core/clock';

export interface ManageDeps {
  readonly registry: Registry;
  readonly webhooks: WebhookStore;
  readonly now?: Clock;
}

/** Most workflows one webhook may start: a trigger starts them all within one request. */
export const MAX_BINDINGS_PER_WEBHOOK = 25;

/** A webhook as the admin API shows it (seed 5's fields, then hookflow's): never with a secret. */
export function publicWebhook(webhook: RegisteredWebhook) {
  return {
    createdOn: webhook.createdOn,
    updatedOn: webhook.updatedOn,
    createdById: webhook.createdById,
    updatedById: webhook.updatedById,
    orgId: webhook.orgId,
    id: webhook.id,
    verifier: webhook.verifier.verifier,
    ...(webhook.verifier.replay === undefined ? {} : { replay: webhook.verifier.replay }),
    recordDeliveries: webhook.recordDeliveries !== false,
    whenBusy: webhook.whenBusy ?? REGISTERED_WEBHOOK_WHEN_BUSY_DEFAULT,
    ...(webhook.secrets.previous === undefined ? {} : { previousSecretExpiresAt: webhook.secrets.previous.expiresAt }),
  };
}

export function publicBinding(binding: WebhookBinding) {
  return { ...binding, trigger: `webhookId:${binding.webhookId}` };
}

/** Creates a webhook; the answer is the only time its secret (`verifySecret`) is ever shown. */
export async function createWebhook(
  deps: ManageDeps,
  caller: OrgCaller,
  options: {
    verifySecret?: string;
    verifier?: RegistrationVerifier['verifier'];
    replay?: RegistrationVerifier['replay'];
    recordDeliveries?: boolean;
    whenBusy?: WhenBusy;
  },
) {
  const now = dateOf(deps.now).toISOString();
  const webhook: RegisteredWebhook = {
    id: randomId(),
    orgId: caller.orgId,
    createdOn: now,
    updatedOn: now,
    createdById: caller.keyId,
    updatedById: caller.keyId,
    secrets: { current: options.verifySecret ?? randomSecret() },
    verifier: {
      verifier: options.verifier ?? { kind: 'contrail' },
      ...(options.replay === undefined ? {} : { replay: options.replay }),
    },
    ...recordDeliveriesItem(options),
    // Stored only when it differs from the default, like every registration's.
    ...whenBusyItem(options, REGISTERED_WEBHOOK_WHEN_BUSY_DEFAULT),
  };
  await deps.webhooks.create(webhook);
  return { ...publicWebhook(webhook), verifySecret: webhook.secrets.current };
}

/**
 * Replaces the webhook's secret with a new one (shown once, in the answer); the old one keeps verifying for
 * `overlapSeconds`, so senders switch over without a failed delivery. No redeploy: the secret is data.
 */
export async function rotateSecret(
  deps: ManageDeps,
  caller: OrgCaller,
  webhookId: string,
  options: { overlapSeconds: number; verifySecret?: string },
) {
  const { webhook } = await ownWebhook(deps, caller, webhookId);
  const now = dateOf(deps.now);
  const next = options.verifySecret ?? randomSecret();
  const secrets = rotateSecrets(webhook.secrets, next, options.overlapSeconds, now.getTime());
  const updated = { updatedOn: now.toISOString(), updatedById: caller.keyId };
  const outcome = await deps.webhooks.updateSecrets(webhookId, caller.orgId, secrets, updated, webhook.secrets.current);
  if (outcome === 'missing') throw new NotFoundError(`no webhook "${webhookId}"`);
  // Another rotation replaced the secret this one read: its secret would never verify, so it is not shown.
  if (outcome === 'conflict') {
    throw new ConflictError('the secret was rotated by another call meanwhile; nothing was changed by this one');
  }
  // A crash here loses the new secret's only showing: the previous one keeps verifying for overlapSeconds, and
  // the caller's retry rotates again (test/faults/rotation-crash.test.ts).
  crashPoint('secret-rotated');
  return {
    ...publicWebhook({ ...webhook, ...updated, secrets }),
    verifySecret: next,
  };
}

/** What `PATCH /api/webhooks/{id}` may change; a setting not given keeps its value. */
export interface WebhookSettings {
  readonly recordDeliveries?: boolean | undefined;
  readonly whenBusy?: WhenBusy | undefined;
}

/**
 * The stored change for the settings given: each kept on the item only when it differs from its default, as at
 * creation (recordDeliveriesItem, whenBusyItem), so a setting given its default is removed, not written.
 */
export function settingsChange(settings: WebhookSettings): WebhookSettingsChange {
  const set = {
    ...recordDeliveriesItem(settings),
    ...whenBusyItem(settings, REGISTERED_WEBHOOK_WHEN_BUSY_DEFAULT),
  };
  const given = UPDATABLE_SETTINGS.filter((name) => settings[name] !== undefined);
  return { set, remove: given.filter((name) => !(name in set)) };
}

/**
 * PATCH /api/webhooks/{id}: changes its settings (`recordDeliveries`, `whenBusy`) in one conditional write; another
 * organisation's webhook is 404. A trigger sees the change once its cached read of the webhook expires
 * (REGISTRY_CACHE_SECONDS).
 */
export async function updateWebhook(deps: ManageDeps, caller: OrgCaller, webhookId: string, settings: WebhookSettings) {
  const updated = { updatedOn: dateOf(deps.now).toISOString(), updatedById: caller.keyId };
  const webhook = await deps.webhooks.updateSettings(webhookId, caller.orgId, settingsChange(settings), updated);
  if (webhook === undefined) throw new NotFoundError(`no webhook "${webhookId}"`);
  return publicWebhook(webhook);
}

export async function listWebhooks(deps: ManageDeps, caller: OrgCaller) {
  return (await deps.webhooks.listByOrg(caller.orgId)).map(publicWebhook);
}

/** The caller's webhook, or 404: another organisation's webhook is reported exactly like a missing one. */
export async function ownWebhook(deps: ManageDeps, caller: OrgCaller, webhookId: string) {
  const found = await deps.webhooks.get(webhookId);
  if (found === undefined || found.webhook.orgId !== caller.orgId) {
    throw new NotFoundError(`no webhook "${webhookId}"`);
  }
  return found;
}

export async function getWebhook(deps: ManageDeps, caller: OrgCaller, webhookId: string) {
  const { webhook, bindings } = await ownWebhook(deps, caller, webhookId);
  return { ...publicWebhook(webhook), workflows: bindings.map(publicBinding) };
}

export async function deleteWebhook(deps: ManageDeps, caller: OrgCaller, webhookId: string): Promise<void> {
  if (!(await deps.webhooks.delete(webhookId, caller.orgId))) throw new NotFoundError(`no webhook "${webhookId}"`);
}

export async function listBindings(deps: ManageDeps, caller: OrgCaller, webhookId: string) {
  return (await ownWebhook(deps, caller, webhookId)).bindings.map(publicBinding);
}

/** Seed 5's "set the trigger on a workflow to webhookId:<id>". Binding twice is harmless (same binding). */
export async function bindWorkflow(deps: ManageDeps, caller: OrgCaller, webhookId: string, templateId: string) {
  const { bindings } = await ownWebhook(deps, caller, webhookId);
  const existing = bindings.find((b) => b.eventWorkflowTemplateId === templateId);
  if (existing !== undefined) return { created: false, binding: publicBinding(existing) };
  const templates = await readWebhookTemplates(deps.registry, caller.orgId);
  if (!templates.some((t) => t.id === templateId)) {
    throw new NotFoundError(`no workflow template "${templateId}" in organisation "${caller.orgId}"`);
  }
  if (bindings.length >= MAX_BINDINGS_PER_WEBHOOK) {
    throw new ConflictError(
      `webhook "${webhookId}" already starts ${bindings.length} workflows, the most one webhook may start`,
    );
  }
  const binding: WebhookBinding = {
    webhookId,
    eventWorkflowTemplateId: templateId,
    orgId: caller.orgId,
    createdOn: dateOf(deps.now).toISOString(),
    createdById: caller.keyId,
  };
  await deps.webhooks.bind(binding);
  return { created: true, binding: publicBinding(binding) };
}

export async function unbindWorkflow(deps: ManageDeps, caller: OrgCaller, webhookId: string, templateId: string) {
  await ownWebhook(deps, caller, webhookId);
  if (!(await deps.webhooks.unbind(webhookId, templateId))) {
    throw new NotFoundError(`workflow template "${templateId}" is not bound to webhook "${webhookId}"`);
  }
}

export async function listTemplates(deps: ManageDeps, caller: OrgCaller) {
  return (await readWebhookTemplates(deps.registry, caller.orgId)).map((t) => ({
    id: t.id,
    name: t.name,
    orgId: t.orgId,
  }));
}
