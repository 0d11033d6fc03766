import type { Logger } from '@aws-lambda-powertools/logger';
import { httpHandler, type HttpHandler, type Recording } from '../../http/http-handler';
import { jsonResponse } from '../../http/responses';
import { baseUrl } from '../../http/request';
import { parseClientWebhookRequest } from './request';
import { type ClientWebhookDeps, type ClientWebhookRun, runClientWebhook } from './run-webhook';

export interface ClientWebhookHttpDeps extends ClientWebhookDeps {
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly syncWaitMs: number;
  readonly executionLink: (executionArn: string) => string;
  /** Delivery records (docs/deliveries.md); absent: none written. */
  readonly recording?: Recording;
}

/**
 * 200 with the finished run (status, input, output); 424 with its error and cause when it failed, timed out
 * or was aborted; 202 with the execution id and link when it is still running (`?async`, or past the sync
 * wait). The status is also in the `Hookflow-Execution-Status` header. `?async` while the engine is busy, on a webhook
 * that queues: 202 `QUEUED` with the delivery id and link, and the run's name (and a Standard run's id and link).
 */
export function makeClientWebhookHandler(deps: ClientWebhookHttpDeps): HttpHandler {
  return httpHandler(
    deps,
    async (event, delivery) => {
      const request = parseClientWebhookRequest(event, deps.maxBodyBytes);
      const run = await runClientWebhook(deps, request, delivery);
      const { outcome } = run;
      // The one line of a successful request: compact, as CloudWatch Logs bills it per request (core/logger.ts).
      deps.logger.info('client webhook ran', {
        client: request.client,
        webhook: request.name,
        mode: run.mode,
        ...(request.async ? { async: true } : {}),
        execution: outcome.name,
        status: outcome.status,
      });
      if (run.queued !== undefined) {
        deps.logger.warn('client webhook call queued: the engine is busy', {
          client: request.client,
          webhook: request.name,
          deliveryId: run.queued.deliveryId,
          execution: outcome.name,
        });
        // The run's name (and a Standard run's id and link) are fixed: the answer names it as a started one does.
        return jsonResponse(
          202,
          {
            deliveryId: run.queued.deliveryId,
            deliveryLink: `${baseUrl(event)}/api/deliveries/${run.queued.deliveryId}`,
            ...responseBody(deps, run),
            status: 'QUEUED',
          },
          { 'hookflow-execution-status': 'QUEUED' },
        );
      }
      const statusCode = outcome.status === 'RUNNING' ? 202 : outcome.status === 'SUCCEEDED' ? 200 : 424;
      return jsonResponse(statusCode, responseBody(deps, run), {
        'hookflow-execution-status': outcome.status,
        ...(run.replayed === true ? { 'idempotent-replayed': 'true' } : {}),
      });
    },
    deps.recording,
  );
}

function responseBody(deps: ClientWebhookHttpDeps, run: ClientWebhookRun) {
  const { outcome } = run;
  const identity = {
    executionId: outcome.executionArn ?? null,
    executionLink: outcome.executionArn === undefined ? null : deps.executionLink(outcome.executionArn),
    executionName: outcome.name,
    status: outcome.status,
    mode: run.mode,
    webhook: { client: run.webhook.client, name: run.webhook.name, runAs: run.webhook.runAs },
    workflow: run.stateMachineArn,
  };
  if (outcome.status === 'RUNNING') {
    if (!run.waited) return identity;
    return {
      ...identity,
      message:
        outcome.executionArn === undefined
          ? `still running after the ${deps.syncWaitMs} ms sync wait; an Express run's id is known only when it ends: find it by executionName in the workflow's logs`
          : `still running after the ${deps.syncWaitMs} ms sync wait; follow executionLink for its result`,
    };
  }
  return {
    ...identity,
    startDate: outcome.startDate,
    stopDate: outcome.stopDate,
    input: run.input,
    output: outcome.output ?? null,
    ...(outcome.status === 'SUCCEEDED' ? {} : { error: outcome.error ?? null, cause: outcome.cause ?? null }),
  };
}
