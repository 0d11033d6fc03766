import type { StyleDefinition } from '../style';
import { webhookTemplateRegistrations } from './registration';
import { ADMIN_ROUTES } from './admin-routes';

/** Seed 5: an admin API for webhooks and their bound workflows, a trigger that starts every bound one. */
export const registeredWebhooksStyle: StyleDefinition = {
  name: 'registered-webhooks',
  registrations: [webhookTemplateRegistrations],
  handlers: [
    {
      name: 'webhook-admin',
      description: 'Registered webhooks style: create, list, get, update, delete webhooks; bind and unbind workflows',
      needs: ['registry:read:api-keys', 'registry:read:webhook-templates', 'webhooks:write'],
      routes: ADMIN_ROUTES,
      pipeline: ['authenticate', 'parse', 'resolve', 'answer'],
    },
    {
      name: 'webhook-trigger',
      description: 'Registered webhooks style: POST /api/trigger-webhooks/{webhookId} starts every bound workflow',
      // dedupe:write holds process records (PutItem; UpdateItem marks a queued start) and the replay ledger; queue:send keeps a start the engine was too busy
      // to make (whenBusy: queue) for the fan-out worker.
      needs: [
        'registry:read:webhooks',
        'registry:read:webhook-templates',
        'dedupe:write',
        'engine:start',
        'queue:send',
        'bodies:write',
        'deliveries:write',
      ],
      routes: [{ method: 'POST', path: '/api/trigger-webhooks/{webhookId}' }],
      // Up to 25 bound workflows, each one PutItem and one StartExecution, in parallel.
      timeoutSeconds: 20,
      runs: ['webhook-templates'],
      // 404 before the signature check: nothing about secrets is said for a webhook that does not exist.
      pipeline: ['parse', 'resolve', 'verify', 'claim', 'start', 'enqueue', 'answer'],
    },
    {
      name: 'webhook-process-status',
      description: 'Registered webhooks style: GET /api/processes/{processId} reports a process from its run',
      needs: ['registry:read:api-keys', 'dedupe:read', 'engine:history'],
      routes: [{ method: 'GET', path: '/api/processes/{processId}' }],
      runs: ['webhook-templates'],
      pipeline: ['authenticate', 'resolve', 'answer'],
    },
  ],
};
