import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { authenticateOrgMember } from '../../core/auth/org-member';
import { NotFoundError, PartialFailureError } from '../../core/outcomes';
import { httpAnswerOf } from '../../http/outcome-to-http';
import { httpHandler, type HttpHandler, type Recording } from '../../http/http-handler';
import { jsonResponse } from '../../http/responses';
import {
  type ManageDeps,
  bindWorkflow,
  createWebhook,
  deleteWebhook,
  rotateSecret,
  getWebhook,
  listBindings,
  listTemplates,
  listWebhooks,
  unbindWorkflow,
  updateWebhook,
} from './manage-webhooks';
import { type ProcessStatusDeps, getProcess } from './process-status';
import { graphValidation, slackUrlVerification } from '../../http/handshakes';
import { startVerified } from '../../core/verify/verify-registration';
import { parseCreateWebhook, parseRotateSecret, parseTriggerRequest, parseUpdateWebhook, pathId } from './request';
import type { AdminRouteKey } from './admin-routes';
import { type TriggerDeps, findWebhook, triggerWebhook, verifyTrigger } from './trigger-webhook';

export interface AdminHttpDeps extends ManageDeps {
  readonly logger: Logger;
  readonly maxBodyBytes: number;
}

type AdminRoute = (
  deps: AdminHttpDeps,
  event: APIGatewayProxyEventV2,
  caller: Awaited<ReturnType<typeof authenticateOrgMember>>,
) => Promise<APIGatewayProxyStructuredResultV2>;

const webhookId = (event: APIGatewayProxyEventV2) => pathId(event, 'webhookId', 'webhook');
const templateId = (event: APIGatewayProxyEventV2) => pathId(event, 'templateId', 'workflow template');

/** The admin API (seed 5), by API Gateway route key (admin-routes.ts declares them). Every route acts for the caller's organisation only. */
const adminRoutes: Record<AdminRouteKey, AdminRoute> = {
  'POST /api/webhooks': async (deps, event, caller) => {
    const created = await createWebhook(deps, caller, parseCreateWebhook(event, deps.maxBodyBytes));
    deps.logger.info('webhook created', { webhookId: created.id, orgId: caller.orgId, by: caller.keyId });
    return jsonResponse(201, created, { 'cache-control': 'no-store' });
  },
  'GET /api/webhooks': async (deps, _event, caller) => jsonResponse(200, await listWebhooks(deps, caller)),
  'GET /api/webhooks/{webhookId}': async (deps, event, caller) =>
    jsonResponse(200, await getWebhook(deps, caller, webhookId(event))),
  'PATCH /api/webhooks/{webhookId}': async (deps, event, caller) => {
    const updated = await updateWebhook(deps, caller, webhookId(event), parseUpdateWebhook(event, deps.maxBodyBytes));
    deps.logger.info('webhook updated', {
      webhookId: updated.id,
      recordDeliveries: updated.recordDeliveries,
      whenBusy: updated.whenBusy,
      by: caller.keyId,
    });
    return jsonResponse(200, updated);
  },
  'DELETE /api/webhooks/{webhookId}': async (deps, event, caller) => {
    await deleteWebhook(deps, caller, webhookId(event));
    deps.logger.info('webhook deleted', { webhookId: webhookId(event), orgId: caller.orgId, by: caller.keyId });
    return { statusCode: 204 };
  },
  'POST /api/webhooks/{webhookId}/rotate-secret': async (deps, event, caller) => {
    const rotated = await rotateSecret(deps, caller, webhookId(event), parseRotateSecret(event, deps.maxBodyBytes));
    deps.logger.info('webhook secret rotated', {
      webhookId: rotated.id,
      previousSecretExpiresAt: rotated.previousSecretExpiresAt,
      by: caller.keyId,
    });
    return jsonResponse(200, rotated, { 'cache-control': 'no-store' });
  },
  'GET /api/webhooks/{webhookId}/workflows': async (deps, event, caller) =>
    jsonResponse(200, await listBindings(deps, caller, webhookId(event))),
  'PUT /api/webhooks/{webhookId}/workflows/{templateId}': async (deps, event, caller) => {
    const { created, binding } = await bindWorkflow(deps, caller, webhookId(event), templateId(event));
    deps.logger.info('workflow bound', { ...binding, by: caller.keyId });
    return jsonResponse(created ? 201 : 200, binding);
  },
  'DELETE /api/webhooks/{webhookId}/workflows/{templateId}': async (deps, event, caller) => {
    await unbindWorkflow(deps, caller, webhookId(event), templateId(event));
    deps.logger.info('workflow unbound', {
      webhookId: webhookId(event),
      templateId: templateId(event),
      by: caller.keyId,
    });
    return { statusCode: 204 };
  },
  'GET /api/event-workflow-templates': async (deps, _event, caller) =>
    jsonResponse(200, await listTemplates(deps, caller)),
};

export function makeWebhookAdminHandler(deps: AdminHttpDeps): HttpHandler {
  return httpHandler(deps, async (event) => {
    const route = (adminRoutes as Partial<Record<string, AdminRoute>>)[event.routeKey];
    if (route === undefined) throw new NotFoundError(`no route ${event.routeKey}`);
    const caller = await authenticateOrgMember(deps.registry, event.headers);
    return route(deps, event, caller);
  });
}

export interface TriggerHttpDeps extends TriggerDeps {
  readonly maxBodyBytes: number;
  /** Delivery records (docs/deliveries.md); absent: none written. */
  readonly recording?: Recording;
}

/**
 * POST /api/trigger-webhooks/{webhookId}: 200 with one process record per bound workflow (seed 5); 202 with the same
 * when the engine was busy and some of them are queued (`"queued": true`), to start from the fan-out queue.
 */
export function makeWebhookTriggerHandler(deps: TriggerHttpDeps): HttpHandler {
  return httpHandler(
    deps,
    async (event, delivery) => {
      const request = parseTriggerRequest(event, deps.maxBodyBytes);
      const found = await findWebhook(deps, request.webhookId);
      const resolved = {
        style: 'registered-webhooks',
        registration: found.webhook.id,
        org: found.webhook.orgId,
        // `recordDeliveries: false` set through the admin API (create or PATCH) turns its records off.
        record: found.webhook.recordDeliveries !== false,
      } as const;
      delivery.resolved(resolved);
      const verifier = found.webhook.verifier.verifier;
      // Handshakes start no run: Graph's (unsigned) before verification, Slack's (signed) after it.
      const validation = graphValidation(verifier, request.query);
      if (validation !== undefined) return validation;
      const verified = await verifyTrigger(deps, found.webhook, request);
      if (verified.secretHeader !== undefined)
        delivery.resolved({ ...resolved, secretHeaders: [verified.secretHeader] });
      const challenge = slackUrlVerification(verifier, request.body);
      if (challenge !== undefined) {
        await verified.claim?.release(); // a handshake starts nothing: Slack may send it again
        return challenge;
      }
      try {
        // The delivery is settled with the starts: released when any failed (503), so the retry gets through.
        const processes = await startVerified(deps, verified, () =>
          triggerWebhook(
            deps,
            request,
            found,
            verified.secretHeader,
            verified.claim?.key,
            delivery.ref(),
            delivery.rebuilt(),
          ),
        );
        for (const process of processes) delivery.ran({ executionArn: process.executionArn });
        // Queue when busy: a process the engine was too busy to start will start from the fan-out queue under its
        // execution name; the answer is 202, its processes and links already the runs' (docs/deliveries.md).
        const queued = processes.filter((p) => p.queued === true);
        if (queued.length > 0) delivery.queued();
        deps.logger[queued.length > 0 ? 'warn' : 'info'](
          queued.length > 0 ? 'webhook triggered; the engine is busy: starts queued' : 'webhook triggered',
          {
            webhookId: request.webhookId,
            secret: verified.secret,
            ...(verified.deliveryId === undefined ? {} : { deliveryId: verified.deliveryId }),
            processes: processes.map((p) => ({
              id: p.id,
              template: p.eventWorkflowTemplateId,
              ...(p.queued === true ? { queued: true } : {}),
            })),
          },
        );
        return jsonResponse(queued.length > 0 ? 202 : 200, processes);
      } catch (error) {
        if (!(error instanceof PartialFailureError)) throw error;
        deps.logger.warn('webhook trigger partly failed', { webhookId: request.webhookId, reason: error.message });
        return httpAnswerOf(error);
      }
    },
    deps.recording,
  );
}

export interface ProcessHttpDeps extends ProcessStatusDeps {
  readonly registry: ManageDeps['registry'];
  readonly logger: Logger;
}

/** GET /api/processes/{processId}: the process with its run's current status and task outputs. */
export function makeProcessStatusHandler(deps: ProcessHttpDeps): HttpHandler {
  return httpHandler(deps, async (event) => {
    const caller = await authenticateOrgMember(deps.registry, event.headers);
    return jsonResponse(200, await getProcess(deps, caller, pathId(event, 'processId', 'process')));
  });
}
