import * as z from '../../core/zod';
import type { Registry } from '../../core/ports';
import { ID } from './request';
import {
  RegistrationError,
  type RegistrationKind,
  type RegistryItem,
  type WhenBusy,
  decodeItem,
  field,
  named,
} from '../../core/registration';

/**
 * Registered webhooks are posted to by third parties (GitHub, Stripe, Graph…), some of which never redeliver a
 * failed delivery (docs/deliveries.md, "Queue when busy"): a busy engine keeps the trigger's starts and makes them
 * later, unless the webhook was created with `whenBusy: "reject"`.
 */
export const REGISTERED_WEBHOOK_WHEN_BUSY_DEFAULT: WhenBusy = 'queue';

/**
 * A workflow an organisation may bind to its registered webhooks (seed 5's event workflow template). Always
 * STANDARD: process records report each step's output, which only Standard executions keep a history of.
 */
export interface WebhookWorkflowTemplate {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly stateMachineArn: string;
}

/**
 * Seed 5's registry slice for templates: an organisation's workflow templates, one partition per organisation
 * (listed with one Query). Registered webhooks themselves are written at run time by the admin API
 * (functions/adapters/aws/registry-items.ts).
 */
export const webhookTemplatePartition = (orgId: string) => `WEBHOOKTEMPLATE#${orgId}`;
export const webhookTemplateItem = (template: WebhookWorkflowTemplate) => ({
  pk: webhookTemplatePartition(template.orgId),
  sk: template.id,
  type: 'webhookTemplate',
  ...template,
});

const webhookTemplateRecordSchema = z.object({
  id: z.string().check(z.minLength(1)),
  orgId: z.string().check(z.minLength(1)),
  name: z.string(),
  stateMachineArn: z.string().check(z.startsWith('arn:')),
});

/** The workflow templates of organisation `orgId`. */
export async function readWebhookTemplates(
  registry: Registry,
  orgId: string,
): Promise<readonly WebhookWorkflowTemplate[]> {
  return (await registry.queryPartition(webhookTemplatePartition(orgId))).map((item) =>
    decodeItem(webhookTemplateRecordSchema, item),
  );
}

/**
 * A workflow template organisation `orgId` may bind to its registered webhooks (as `id`, shown as `name`);
 * `POST /api/trigger-webhooks/{webhookId}` then starts it. Webhooks are created at run time through the admin API.
 */
const webhookTemplateSchema = z.strictObject({
  orgId: z.string().check(z.minLength(1)),
  // The id a webhook's binding names (`eventWorkflowTemplateId`): an id the admin API's requests accept.
  id: z.string().check(z.regex(ID, 'a template id is 1-64 letters, digits, "_" or "-"')),
  name: z.optional(z.string().check(z.minLength(1))),
  workflow: z.string().check(z.minLength(1)),
});

export const webhookTemplateRegistrations: RegistrationKind<typeof webhookTemplateSchema> = {
  kind: 'webhook workflow',
  configPath: ['webhookWorkflows'],
  schema: webhookTemplateSchema,
  localSchema: webhookTemplateSchema,
  label: (input) => `webhook workflow ${named(field(input, 'orgId'), field(input, 'id'))}`,
  prefixes: ['WEBHOOKTEMPLATE#'],
  // The status handler reads the history of the template's executions (engine:history).
  secretFields: [],
  binding: 'webhook-templates',
  recordId: (item) => `WebhookWorkflow-${String(item.orgId)}-${String(item.id)}`,
  items: (template, resolve): RegistryItem[] => {
    const target = resolve(template.workflow, 'workflow');
    // A process reports each step's output from the execution history, which Express workflows don't keep
    // (GetExecutionHistory "is not supported by EXPRESS state machines":
    // https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html).
    if (target.workflowType !== 'STANDARD') {
      throw new RegistrationError(
        `webhook workflow ${named(template.orgId, template.id)}: workflow: ${template.workflow} must be a STANDARD state machine (process records read its execution history)`,
      );
    }
    return [
      webhookTemplateItem({
        id: template.id,
        orgId: template.orgId,
        name: template.name ?? template.id,
        stateMachineArn: target.stateMachineArn,
      }),
    ];
  },
};

export type WebhookTemplateRegistration = z.input<typeof webhookTemplateSchema>;
