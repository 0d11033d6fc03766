import { type StyleReplayer, originalRanPart, registrationGone } from '../../core/deliveries/replay';
import { eventOfRecord } from '../../http/recorded-request';
import { readWebhookTemplates } from './registration';
import { parseTriggerRequest } from './request';
import { triggerInput } from './trigger-webhook';

/**
 * A registered-webhook trigger again: every workflow bound to the webhook today (`part` = its template id), with
 * `{ body, headers }` as the trigger builds them. A replay starts runs, not processes: it writes no process
 * record, so GET /api/trigger-webhooks/{id}/processes does not list it; GET /api/deliveries/{id} does.
 */
export const replayRegisteredWebhook: StyleReplayer = async (deps, record, raw) => {
  const request = parseTriggerRequest(eventOfRecord(record, raw, { webhookId: record.registration }), raw.length);
  const found = await deps.webhooks.get(request.webhookId);
  if (found === undefined) throw registrationGone(record, `(webhook "${request.webhookId}")`);
  const { headers, body } = triggerInput(found.webhook, request, undefined);
  const input = { body, headers };
  const templates = found.bindings.length === 0 ? [] : await readWebhookTemplates(deps.registry, found.webhook.orgId);
  return found.bindings.flatMap((binding) => {
    const template = templates.find((t) => t.id === binding.eventWorkflowTemplateId);
    if (template === undefined) return [];
    const target = { stateMachineArn: template.stateMachineArn, workflowType: 'STANDARD' as const };
    return [
      {
        part: template.id,
        target,
        input,
        alreadyRan: originalRanPart(record, { stateMachineArn: template.stateMachineArn }),
      },
    ];
  });
};
