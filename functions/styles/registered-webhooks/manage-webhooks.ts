import type { OrgCaller } from '../../core/auth/org-member';
import { ConflictError, NotFoundError } from '../../core/http/errors';
import type { RegisteredWebhook, Registry, WebhookBinding, WebhookStore } from '../../core/ports';
import { randomId, randomSecret } from './ids';

export interface ManageDeps {
  readonly registry: Registry;
  readonly webhooks: WebhookStore;
  readonly now?: () => Date;
}

/** Most workflows one webhook may start: a trigger starts them all within one request. */
export const MAX_BINDINGS_PER_WEBHOOK = 25;

/** A webhook as the admin API shows it (seed 5's fields): never with its secret. */
export function publicWebhook(webhook: RegisteredWebhook) {
  return {
    createdOn: webhook.createdOn,
    updatedOn: webhook.updatedOn,
    createdById: webhook.createdById,
    updatedById: webhook.updatedById,
    orgId: webhook.orgId,
    id: webhook.id,
  };
}

export function publicBinding(binding: WebhookBinding) {
  return { ...binding, trigger: `webhookId:${binding.webhookId}` };
}

/** Creates a webhook; the answer is the only time its secret (`verifySecret`) is ever shown. */
export async function createWebhook(deps: ManageDeps, caller: OrgCaller, options: { verifySecret?: string }) {
  const now = (deps.now?.() ?? new Date()).toISOString();
  const webhook: RegisteredWebhook = {
    id: randomId(),
    orgId: caller.orgId,
    createdOn: now,
    updatedOn: now,
    createdById: caller.keyId,
    updatedById: caller.keyId,
    secret: options.verifySecret ?? randomSecret(),
  };
  await deps.webhooks.create(webhook);
  return { ...publicWebhook(webhook), verifySecret: webhook.secret };
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
  const templates = await deps.registry.getWebhookTemplates(caller.orgId);
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
    createdOn: (deps.now?.() ?? new Date()).toISOString(),
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
  return (await deps.registry.getWebhookTemplates(caller.orgId)).map((t) => ({
    id: t.id,
    name: t.name,
    orgId: t.orgId,
  }));
}
