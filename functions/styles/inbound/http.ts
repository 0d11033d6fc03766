import type { Logger } from '@aws-lambda-powertools/logger';
import { httpHandler, type HttpHandler, type Recording } from '../../http/http-handler';
import { baseUrl, header } from '../../http/request';
import { jsonResponse } from '../../http/responses';
import { PartialFailureError } from '../../core/outcomes';
import { executionNameOf } from '../../core/runs/execution-name';
import { type InboundDeps, acceptInbound } from './accept-inbound';
import { type InboundLimits, parseInboundRequest } from './request';
import { type RunStatusDeps, runStatus } from './run-status';

export interface InboundHttpDeps extends InboundDeps {
  readonly logger: Logger;
  readonly limits: InboundLimits;
  /** Delivery records (docs/deliveries.md); absent: none written. */
  readonly recording?: Recording;
}

/**
 * A single request: 202 `{uid, runRef, executionId, executionLink}` (`Idempotent-Replayed: true` for a uid
 * seen before); when the engine was busy and the workflow queues (`whenBusy`), 202 `{deliveryId, status: "queued",
 * deliveryLink, uid, runRef[, runUrl]}`: the run starts once the engine has capacity (docs/deliveries.md). A batch: 202 `{batch: [{index, uid, runRef, runUrl, status: "QUEUED"}]}`, or 503 with the
 * same list when SQS refused some items (those say "NOT_QUEUED"; the rest will run). An item that will never
 * run says "DUPLICATE" (with `executionId` and `executionLink` when its uid's run has already started).
 */
export function makeInboundHandler(deps: InboundHttpDeps): HttpHandler {
  return httpHandler(
    deps,
    async (event, delivery) => {
      const request = parseInboundRequest(event, deps.limits);
      const accepted = await acceptInbound(deps, request, delivery);
      if (accepted.kind === 'started') {
        deps.logger.info('inbound run started', {
          uid: accepted.uid,
          execution: executionNameOf(accepted.executionArn),
          ...(accepted.replayed ? { replayed: true } : {}),
        });
        return jsonResponse(
          202,
          {
            uid: accepted.uid,
            runRef: accepted.runRef,
            executionId: accepted.executionArn,
            executionLink: accepted.executionLink,
          },
          accepted.replayed ? { 'idempotent-replayed': 'true' } : {},
        );
      }
      if (accepted.kind === 'kept') {
        deps.logger.warn('inbound delivery queued: the engine is busy', { deliveryId: accepted.deliveryId });
        return jsonResponse(202, {
          deliveryId: accepted.deliveryId,
          status: 'queued',
          deliveryLink: `${baseUrl(event)}/api/deliveries/${accepted.deliveryId}`,
          uid: accepted.uid,
          runRef: accepted.runRef,
          ...(accepted.runRef === null ? {} : { runUrl: `${baseUrl(event)}/inbound/runs/${accepted.runRef}` }),
        });
      }
      const refused = accepted.entries.filter((e) => e.status === 'NOT_QUEUED').length;
      const duplicates = accepted.entries.filter((e) => e.status === 'DUPLICATE').length;
      deps.logger.info('inbound batch queued', { items: accepted.entries.length, refused, duplicates });
      const batch = accepted.entries.map((entry) => ({
        index: entry.index,
        uid: entry.uid,
        runRef: entry.runRef,
        runUrl: `${baseUrl(event)}/inbound/runs/${entry.runRef}`,
        status: entry.status,
        ...(entry.executionArn === undefined
          ? {}
          : { executionId: entry.executionArn, executionLink: deps.executionLink(entry.executionArn) }),
      }));
      if (refused > 0) {
        throw new PartialFailureError(
          refused === batch.length
            ? 'the queue refused every item: nothing was accepted; retry the request'
            : `the queue refused ${refused} of ${batch.length} items; the others are queued and will run. Resend the NOT_QUEUED ones (items with a uid are safe to resend)`,
          { batch },
        );
      }
      return jsonResponse(202, { batch });
    },
    deps.recording,
  );
}

export function makeRunStatusHandler(deps: RunStatusDeps & { readonly logger: Logger }): HttpHandler {
  return httpHandler(deps, async (event) => {
    const status = await runStatus(deps, header(event, 'inbound-webhook-secret'), event.pathParameters?.runRef ?? '');
    return jsonResponse(200, { runRef: event.pathParameters?.runRef, ...status });
  });
}
