import { ConflictError } from '../../core/outcomes';
import { type StyleReplayer, claimCheckable, registrationGone } from '../../core/deliveries/replay';
import { eventOfRecord } from '../../http/recorded-request';
import { webhookDedupe, webhookRunInput } from './accept-events';
import { readEventWorkflow } from './registration';
import { parseWebhookRequest } from './request';

/**
 * An events delivery again: `POST /api/v2/webhook?ref=` (a workflow started by ref) only. A CloudEvent's runs are
 * deduped on its source and id and it may resume a waiting task, and a callback resumes a task: replaying either
 * would not start a run the way the original did, so they are refused (409), not half-replayed.
 */
export const replayEvents: StyleReplayer = async (deps, record, raw) => {
  if (!record.path.startsWith('/api/v2/webhook')) {
    throw new ConflictError(
      `delivery "${record.id}" cannot be replayed: only POST /api/v2/webhook deliveries of the events style are (CloudEvents and callbacks resume tasks and are deduped on their own ids)`,
    );
  }
  const request = parseWebhookRequest(eventOfRecord(record, raw, {}, { ref: record.registration }), raw.length);
  const workflow = await readEventWorkflow(deps.registry, request.ref);
  if (workflow === undefined) throw registrationGone(record, `(event workflow "${request.ref}")`);
  return [
    {
      target: workflow,
      // Claim-checked as the route does it: the raw request bytes stored, the reference where `payload` goes.
      ...claimCheckable({
        payload: request.payload,
        build: (payload) => webhookRunInput(request.ref, payload, record.receivedAt),
        raw: request.raw,
        ...(request.contentType === undefined ? {} : { contentType: request.contentType }),
      }),
      ...(request.idempotencyKey === undefined
        ? {}
        : {
            dedupe: webhookDedupe(request.ref, {
              idempotencyKey: request.idempotencyKey,
              fingerprint: request.fingerprint!,
            }),
          }),
    },
  ];
};
