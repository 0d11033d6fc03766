import type { StyleDefinition } from '../style';

/**
 * The deliveries API (issue 19, docs/deliveries.md): list, read and replay the recorded deliveries of every
 * style. Not a webhook style: it has no registrations of its own. A replay re-resolves the delivery's registration
 * and starts its runs as the style does, so the handler reads every style's registrations and may start every
 * bound workflow (`runs`); `dedupe:write` holds the replays' claims (`replay#…`);
 * `bodies:write` stores a large replayed run input (the claim-check), `bodies:read` reads the kept bodies.
 */
export const deliveriesStyle: StyleDefinition = {
  name: 'deliveries',
  registrations: [],
  handlers: [
    {
      name: 'deliveries-api',
      description:
        'Deliveries: GET /api/deliveries[/{id}], POST /api/deliveries/{id}/replay and /api/deliveries/replay',
      needs: [
        'registry:read:api-keys',
        'registry:read:flows',
        'registry:read:client-webhooks',
        'registry:read:inbound-workflows',
        'registry:read:event-workflows',
        'registry:read:webhooks',
        'registry:read:webhook-templates',
        'deliveries:read',
        // A replay is a delivery of its own: its record (a dlv# item).
        'deliveries:write',
        'bodies:read',
        // A replayed run input over 256 KiB is claim-checked: a fresh object, as the style's route stores it.
        'bodies:write',
        'dedupe:write',
        'engine:start',
      ],
      routes: [
        { method: 'GET', path: '/api/deliveries' },
        { method: 'GET', path: '/api/deliveries/{id}' },
        { method: 'POST', path: '/api/deliveries/{id}/replay' },
        { method: 'POST', path: '/api/deliveries/replay' },
      ],
      // A bulk replay starts up to MAX_BULK_REPLAY deliveries' runs, one after another.
      timeoutSeconds: 29,
      runs: ['flows', 'client-webhooks', 'inbound-workflows', 'event-workflows', 'webhook-templates'],
      // The key and its scope before anything is parsed or read: a key without the scope learns nothing.
      pipeline: ['authenticate', 'parse', 'resolve', 'claim', 'start', 'answer'],
    },
  ],
};
