import { type StyleReplayer, claimCheckable, registrationGone } from '../../core/deliveries/replay';
import { eventOfRecord } from '../../http/recorded-request';
import { readFlow } from './registration';
import { parseFlowTriggerRequest } from './request';
import { flowRunInput, flowTriggerDedupe } from './trigger-flow';

/**
 * A flow-trigger delivery again: the flow re-read (gone or unpublished: 409), the payload parsed as the route does.
 * A delivery that carried an Idempotency-Key and names its API key (`apiKeyId`) is claimed under the sender's own
 * key, as the route claims it: an if-no-run replay and the sender's retry of the same request start one run.
 */
export const replayFlowTrigger: StyleReplayer = async (deps, record, raw) => {
  const request = parseFlowTriggerRequest(eventOfRecord(record, raw, { flowId: record.registration }), raw.length);
  const flow = await readFlow(deps.registry, request.flowId);
  if (flow === undefined || !flow.published) throw registrationGone(record, `(flow "${request.flowId}", published)`);
  return [
    {
      target: flow,
      // Claim-checked as the route does it: the raw request bytes stored, the reference where `payload` goes.
      ...claimCheckable({
        payload: request.payload,
        build: (payload) => flowRunInput(flow.flowId, payload, record.receivedAt),
        raw: request.body,
        ...(request.contentType === undefined ? {} : { contentType: request.contentType }),
      }),
      ...(request.idempotencyKey === undefined || record.apiKeyId === undefined
        ? {}
        : { dedupe: flowTriggerDedupe(flow.flowId, record.apiKeyId, request.idempotencyKey, request.body) }),
    },
  ];
};
