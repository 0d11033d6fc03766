import type { Logger } from '@aws-lambda-powertools/logger';
import { httpHandler, type HttpHandler, type Recording } from '../../http/http-handler';
import { jsonResponse } from '../../http/responses';
import { executionNameOf } from '../../core/runs/execution-name';
import { parseFlowTriggerRequest } from './request';
import { type FlowTriggerDeps, triggerFlow } from './trigger-flow';

export interface FlowTriggerHttpDeps extends FlowTriggerDeps {
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** Delivery records (docs/deliveries.md); absent: none written. */
  readonly recording?: Recording;
}

/** 202 `{ executionLink }`; a replayed Idempotency-Key says so in `Idempotent-Replayed: true`. */
export function makeFlowTriggerHandler(deps: FlowTriggerHttpDeps): HttpHandler {
  return httpHandler(
    deps.logger,
    async (event, delivery) => {
      const request = parseFlowTriggerRequest(event, deps.maxBodyBytes);
      const triggered = await triggerFlow(deps, request, delivery);
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
