import type { Logger } from '@aws-lambda-powertools/logger';
import { httpHandler, type HttpHandler, type Recording } from '../../http/http-handler';
import { jsonResponse } from '../../http/responses';
import { baseUrl } from '../../http/request';
import { executionNameOf } from '../../core/runs/execution-name';
import { parseFlowTriggerRequest } from './request';
import { type FlowTriggerDeps, triggerFlow } from './trigger-flow';

export interface FlowTriggerHttpDeps extends FlowTriggerDeps {
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** Delivery records (docs/deliveries.md); absent: none written. */
  readonly recording?: Recording;
}

/**
 * 202 `{ executionLink }`; a replayed Idempotency-Key says so in `Idempotent-Replayed: true`. When the engine was busy
 * and the flow queues (`whenBusy`), 202 `{deliveryId, status: "queued", deliveryLink, executionName}` (and a Standard
 * run's `executionArn` and `executionLink`, which follow from its name).
 */
export function makeFlowTriggerHandler(deps: FlowTriggerHttpDeps): HttpHandler {
  return httpHandler(
    deps,
    async (event, delivery) => {
      const request = parseFlowTriggerRequest(event, deps.maxBodyBytes);
      const triggered = await triggerFlow(deps, request, delivery);
      if ('queued' in triggered) {
        deps.logger.warn('flow trigger queued: the engine is busy', {
          flowId: request.flowId,
          deliveryId: triggered.deliveryId,
          execution: triggered.executionName,
        });
        const { executionArn } = triggered;
        return jsonResponse(202, {
          deliveryId: triggered.deliveryId,
          status: 'queued',
          deliveryLink: `${baseUrl(event)}/api/deliveries/${triggered.deliveryId}`,
          executionName: triggered.executionName,
          ...(executionArn === undefined ? {} : { executionArn, executionLink: deps.executionLink(executionArn) }),
        });
      }
      // The one line of a successful request: compact, as CloudWatch Logs bills it per request (core/logger.ts).
      deps.logger.info('flow triggered', {
        flowId: request.flowId,
        execution: executionNameOf(triggered.executionArn),
        ...(triggered.replayed ? { replayed: true } : {}),
      });
      return jsonResponse(
        202,
        { executionLink: triggered.executionLink },
        triggered.replayed ? { 'idempotent-replayed': 'true' } : {},
      );
    },
    deps.recording,
  );
}
