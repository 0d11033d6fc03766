import type { StyleDefinition } from '../style';
import { clientWebhookRegistrations } from './registration';

/** Seed 2: GET|POST /webhook/{client}/{name} runs the webhook's workflow and waits for it (or ?async). */
export const clientWebhookStyle: StyleDefinition = {
  name: 'client-webhook',
  registrations: [clientWebhookRegistrations],
  handlers: [
    {
      name: 'client-webhook',
      description: 'Client webhook style: GET|POST runs the webhook workflow and waits for it (or ?async)',
      // dedupe:write for the replay ledger of webhooks whose verifier refuses replays; queue:send keeps an ?async call
      // the engine was too busy to start (whenBusy: queue) for the fan-out worker.
      needs: [
        'registry:read:client-webhooks',
        'dedupe:write',
        'engine:start',
        'engine:describe',
        'queue:send',
        'bodies:write',
        'deliveries:write',
      ],
      routes: [
        { method: 'GET', path: '/webhook/{client}/{name}' },
        { method: 'POST', path: '/webhook/{client}/{name}' },
      ],
      // SYNC_WAIT_MS (at most 28 s) plus room to answer, within API Gateway's 30 s integration timeout.
      timeoutSeconds: 29,
      runs: ['client-webhooks'],
      // The key belongs to the webhook: it is found (404) before its key is checked (401).
      pipeline: ['parse', 'resolve', 'authenticate', 'verify', 'claim', 'start', 'enqueue', 'answer'],
    },
  ],
};
