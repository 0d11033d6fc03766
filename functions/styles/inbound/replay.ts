import { type StyleReplayer, originalRanPart, registrationGone } from '../../core/deliveries/replay';
import { eventOfRecord } from '../../http/recorded-request';
import { resolveWorkflows, workflowInput } from './accept-inbound';
import { UID_FINGERPRINT } from '../../core/runs/queued-start-message';
import { parseInboundRequest } from './request';
import { runRefFor } from './run-refs';

/**
 * An inbound delivery again: every item of a batch (each its own run, `part` = its index), started directly rather
 * than through the fan-out queue. An item with a uid is claimed under the uid's own key, as the style claims it:
 * if its run has started since (the sender resent it, or an earlier replay), the replay answers that run.
 */
export const replayInbound: StyleReplayer = async (deps, record, raw) => {
  const request = parseInboundRequest(eventOfRecord(record, raw, {}), {
    maxBodyBytes: raw.length,
    maxBatchItems: Number.MAX_SAFE_INTEGER,
  });
  const workflows = await resolveWorkflows(deps.registry, [request.workflow, ...request.items.map((i) => i.workflow)]);
  return Promise.all(
    request.items.map(async (item) => {
      const workflow = workflows.get(item.workflow);
      if (workflow === undefined) throw registrationGone(record, `(inbound workflow "${item.workflow}")`);
      const ref = item.uid !== undefined || request.batch ? runRefFor(item.uid) : undefined;
      const original = request.batch ? record.runs.find((run) => run.runRef === ref?.runRef) : undefined;
      return {
        ...(request.batch ? { part: String(item.index) } : {}),
        target: workflow,
        input: workflowInput(item, workflow, ref, record.receivedAt, undefined),
        // The uid's own claim, as the style claims it: a replay and a resent batch start the uid once between them.
        ...(item.uid === undefined
          ? {}
          : { dedupe: { key: ref!.dedupeKey, fingerprint: UID_FINGERPRINT, recordRun: true } }),
        alreadyRan:
          original?.executionArn !== undefined ||
          (!request.batch && originalRanPart(record, { stateMachineArn: workflow.stateMachineArn })),
      };
    }),
  );
};
