import type { Logger } from '@aws-lambda-powertools/logger';
import { httpHandler, type HttpHandler, type Recording } from '../../http/http-handler';
import { jsonResponse } from '../../http/responses';
import { baseUrl } from '../../http/request';
import { executionNameOf } from '../../core/runs/execution-name';
import { type EventsDeps, acceptEvents, startByRef } from './accept-events';
import { parseCallbackRequest, parseEventRequest, parseWebhookRequest } from './request';
import { deliverCallback, isRefusal, refusalError } from './resume-task';

export interface EventsHttpDeps extends EventsDeps {
  readonly logger: Logger;
  /** Largest callback body (a task's output: Step Functions takes 256 KiB). */
  readonly maxBodyBytes: number;
  /** Largest body of the routes that start runs (webhook, event); larger run inputs are claim-checked. */
  readonly maxStoredBodyBytes?: number;
  /** Delivery records (docs/deliveries.md); absent: none written. */
  readonly recording?: Recording;
}

const startingBodyLimit = (deps: EventsHttpDeps) => deps.maxStoredBodyBytes ?? deps.maxBodyBytes;

/**
 * POST /api/v2/webhook?ref=: 202 `{workflow, runRef, executionId, executionLink}`; when the engine was busy and the
 * workflow queues (`whenBusy`), 202 `{deliveryId, status: "queued", deliveryLink, workflow, runRef}`.
 */
export function makeEventWebhookHandler(deps: EventsHttpDeps): HttpHandler {
  return httpHandler(
    deps,
    async (event, delivery) => {
      const request = parseWebhookRequest(event, startingBodyLimit(deps));
      const started = await startByRef(
        deps,
        request.ref,
        request.payload,
        request.signed,
        request.idempotencyKey === undefined
          ? undefined
          : { idempotencyKey: request.idempotencyKey, fingerprint: request.fingerprint! },
        { raw: request.raw, ...(request.contentType === undefined ? {} : { contentType: request.contentType }) },
        delivery,
      );
      if ('queued' in started) {
        deps.logger.warn('event workflow delivery queued: the engine is busy', {
          ref: request.ref,
          deliveryId: started.deliveryId,
          runRef: started.runRef,
        });
        // The run's ref is fixed (its execution name): callbacks may name it before it starts.
        return jsonResponse(202, {
          deliveryId: started.deliveryId,
          status: 'queued',
          deliveryLink: `${baseUrl(event)}/api/deliveries/${started.deliveryId}`,
          workflow: started.workflow,
          runRef: started.runRef,
        });
      }
      deps.logger.info('workflow started by ref', {
        ref: request.ref,
        execution: executionNameOf(started.executionId),
      });
      return jsonResponse(202, started);
    },
    deps.recording,
  );
}

/**
 * POST /api/v2/event[?ref=]: 202 `{events: [{id, type, source, started: [...], resumed}]}`. A start the busy engine
 * refused for a workflow that queues (`whenBusy`) is listed in its event's `queued: [{workflow, runRef}]`, and the
 * answer adds `deliveryId` and `deliveryLink`: still 202, whether every start was queued or only some.
 */
export function makeEventIntakeHandler(deps: EventsHttpDeps): HttpHandler {
  return httpHandler(
    deps,
    async (event, delivery) => {
      const request = parseEventRequest(event, startingBodyLimit(deps));
      const events = await acceptEvents(deps, request.ref, request.events, request.signed, delivery);
      const queued = events.some((e) => e.queued !== undefined);
      deps.logger[queued ? 'warn' : 'info'](
        queued ? 'events accepted, some starts queued: the engine is busy' : 'events accepted',
        {
          events: events.map((e) => ({
            id: e.id,
            type: e.type,
            started: e.started.length,
            ...(e.queued === undefined ? {} : { queued: e.queued.map((q) => q.runRef) }),
            resumed: e.resumed,
          })),
        },
      );
      if (!queued) return jsonResponse(202, { events });
      return jsonResponse(202, {
        deliveryId: delivery.id,
        deliveryLink: `${baseUrl(event)}/api/deliveries/${delivery.id}`,
        events,
      });
    },
    deps.recording,
  );
}

/**
 * GET|POST /api/v2/callback?ref=&topic=[&status=failed]: resumes the waiting task. Answers 204 with no body, as
 * seed 3 does; 202 when no task waits yet (the callback is kept for the wait); 409 already resumed (or a
 * callback already kept), unless it is the same callback id again; 410 its token expired.
 */
export function makeCallbackHandler(deps: EventsHttpDeps): HttpHandler {
  return httpHandler(
    deps,
    async (event, received) => {
      const request = parseCallbackRequest(event, deps.maxBodyBytes);
      // A callback names the run it resumes (its ref): recorded under it. A kept callback (nothing waits yet) reads
      // `started` with no run; one that resumed a task names that run.
      received.resolved({ style: 'events', registration: request.ref, record: true });
      const failure = request.output as { error?: unknown; cause?: unknown };
      const delivery = await deliverCallback(
        deps,
        request.ref,
        request.topic,
        request.status === 'succeeded'
          ? { output: request.output }
          : {
              error: typeof failure.error === 'string' ? failure.error.slice(0, 256) : 'Callback.Failed',
              cause:
                typeof failure.cause === 'string' ? failure.cause.slice(0, 32_768) : JSON.stringify(request.output),
            },
        request.eventId,
      );
      if (isRefusal(delivery)) throw refusalError(delivery);
      if (delivery.outcome === 'resumed' && delivery.executionArn !== undefined) {
        received.ran({ executionArn: delivery.executionArn });
      }
      deps.logger.info(delivery.outcome === 'kept' ? 'callback kept until the run waits' : 'task resumed by callback', {
        ref: request.ref,
        topic: request.topic,
        status: request.status,
        ...delivery,
      });
      if (delivery.outcome === 'kept') {
        return jsonResponse(
          202,
          { status: 'KEPT', ref: request.ref, topic: request.topic, expiresAt: delivery.expiresAt },
          delivery.replayed ? { 'idempotent-replayed': 'true' } : {},
        );
      }
      return {
        statusCode: 204,
        ...(delivery.outcome === 'resumed' && delivery.replayed ? { headers: { 'idempotent-replayed': 'true' } } : {}),
      };
    },
    deps.recording,
  );
}
