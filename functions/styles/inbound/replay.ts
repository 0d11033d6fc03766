import { type StyleReplayer, originalRanPart, registrationGone } from '../../core/deliveries/replay';
import { eventOfRecord } from '../../http/recorded-request';
import { resolveWorkflows, workflowInput } from './accept-inbound';
import { parseInboundRequest } from './request';
import { runRefFor } from './run-refs';

/**
 * An inbound delivery again: every item of a batch (each its own run, `part` = its index), started directly rather
 * than through the fan-out queue. An item whose uid's run has started (the original's, or any since) counts as
 * already run, as a resent batch's DUPLICATE does.
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
      const uidRun = item.uid === undefined ? undefined : (await deps.dedupe.get(ref!.dedupeKey, deps.now()))?.run;
      const original = request.batch ? record.runs.find((run) => run.runRef === ref?.runRef) : undefined;
      return {
        ...(request.batch ? { part: String(item.index) } : {}),
        target: workflow,
        input: workflowInput(item, workflow, ref, record.receivedAt),
        alreadyRan:
          uidRun !== undefined ||
          original?.executionArn !== undefined ||
          (!request.batch && originalRanPart(record, { stateMachineArn: workflow.stateMachineArn })),
      };
    }),
  );
};
