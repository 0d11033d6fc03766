import type { StyleDefinition } from '../style';
import { inboundWorkflowRegistrations } from './registration';

/** Seed 4: POST /inbound with a shared secret; uid dedupe; batches fanned out through SQS. */
export const inboundStyle: StyleDefinition = {
  name: 'inbound',
  registrations: [inboundWorkflowRegistrations],
  handlers: [
    {
      name: 'inbound',
      description: 'Inbound request style: POST /inbound starts one run, or queues a batch for the fan-out worker',
      needs: [
        'registry:read:inbound-workflows',
        'registry:read:inbound-secret',
        'registry:read:inbound-verifier',
        'dedupe:write',
        'engine:start',
        'queue:send',
        'deliveries:write',
        'bodies:write',
      ],
      routes: [{ method: 'POST', path: '/inbound' }],
      // A 1,000-item batch is 100 SendMessageBatch calls, 10 in flight at a time.
      timeoutSeconds: 29,
      runs: ['inbound-workflows'],
      // The shared secret before anything is looked up; a batch is queued (enqueue) instead of started.
      pipeline: ['parse', 'authenticate', 'verify', 'resolve', 'claim', 'start', 'enqueue', 'answer'],
    },
    {
      name: 'inbound-run-status',
      description: 'Inbound request style: GET /inbound/runs/{runRef} resolves a queued item to its execution',
      needs: ['registry:read:inbound-secret', 'dedupe:read'],
      routes: [{ method: 'GET', path: '/inbound/runs/{runRef}' }],
      pipeline: ['authenticate', 'resolve', 'answer'],
    },
    {
      name: 'inbound-fanout',
      description:
        'Fan-out worker: starts each queued inbound batch item, and each start a style queued while the engine was busy',
      // queue:send: an item the engine was too busy to start goes back to the queue, delayed. deliveries:write: an
      // item's claim that replaces an expired one carrying an earlier request's delivery record keeps that record
      // on an item of its own (docs/deliveries.md); the batch's own record is the inbound handler's. deliveries:mark:
      // a single request queued while the engine was busy has its `queued` record marked started with its run.
      needs: ['dedupe:write', 'engine:start', 'queue:send', 'deliveries:write', 'deliveries:mark'],
      routes: [],
      consumes: 'fanout',
      timeoutSeconds: 60,
      // The workflows of the styles that queue a busy start (docs/deliveries.md, "Queue when busy"): inbound's, the
      // templates registered webhooks start, event workflows (POST /api/v2/webhook?ref=), client webhooks (?async) and flows
      // (whenBusy: queue).
      runs: ['inbound-workflows', 'webhook-templates', 'event-workflows', 'client-webhooks', 'flows'],
      pipeline: ['parse', 'claim', 'start', 'enqueue'],
    },
  ],
};
