import { type StyleReplayer, claimCheckable, originalRanPart, registrationGone } from '../../core/deliveries/replay';
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
  const { headers, body, graph } = triggerInput(found.webhook, request, undefined);
  // One claim-checkable input for every bound workflow (they share one stored object, as the trigger's runs do);
  // stored as the trigger stores it: a Graph notification as the workflow sees it, without its clientState.
  const input = claimCheckable({
    payload: body,
    build: (passedOn) => ({ body: passedOn, headers }),
    raw: graph ? Buffer.from(JSON.stringify(body), 'utf8') : request.rawBody,
    ...(request.headers['content-type'] === undefined ? {} : { contentType: request.headers['content-type'] }),
  });
  const templates = found.bindings.length === 0 ? [] : await readWebhookTemplates(deps.registry, found.webhook.orgId);
  return found.bindings.flatMap((binding) => {
    const template = templates.find((t) => t.id === binding.eventWorkflowTemplateId);
    if (template === undefined) return [];
    const target = { stateMachineArn: template.stateMachineArn, workflowType: 'STANDARD' as const };
    return [
      {
        part: template.id,
        target,
        ...input,
        alreadyRan: originalRanPart(record, { stateMachineArn: template.stateMachineArn }),
      },
    ];
  });
};
