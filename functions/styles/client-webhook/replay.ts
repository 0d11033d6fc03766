import { type StyleReplayer, claimCheckable, registrationGone } from '../../core/deliveries/replay';
import { eventOfRecord } from '../../http/recorded-request';
import { readClientWebhook } from './registration';
import { parseClientWebhookRequest } from './request';
import { clientWebhookDedupe, clientWebhookInput } from './run-webhook';

/**
 * A client-webhook delivery again, always started at once (as `?async`: nobody waits for a replay's result), on
 * the workflow the webhook's mode picks today (productive, or dev in mode dev).
 */
export const replayClientWebhook: StyleReplayer = async (deps, record, raw) => {
  const [client = '', name = ''] = record.registration.split('/', 2);
  const request = parseClientWebhookRequest(eventOfRecord(record, raw, { client, name }), raw.length);
  const webhook = await readClientWebhook(deps.registry, request.client, request.name);
  if (webhook === undefined) throw registrationGone(record, `(client webhook "${client}/${name}")`);
  const target = webhook.mode === 'dev' ? webhook.dev! : webhook.productive;
  return [
    {
      target,
      // Claim-checked as the route does it: the body as the run gets it stored (bodyForRun).
      ...claimCheckable({
        payload: request.payload,
        build: (payload) => clientWebhookInput(webhook, { ...request, payload }, undefined, record.receivedAt),
        raw: request.bodyForRun,
        ...(request.contentType === undefined ? {} : { contentType: request.contentType }),
      }),
      ...(request.idempotencyKey === undefined
        ? {}
        : { dedupe: clientWebhookDedupe(webhook, request, request.idempotencyKey) }),
    },
  ];
};
