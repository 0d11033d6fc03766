import type { StyleDefinition } from '../style';
import { flowRegistrations } from './registration';

/** Seed 1: POST arbitrary JSON to a published flow with an API key; 202 {executionLink}. */
export const flowTriggerStyle: StyleDefinition = {
  name: 'flow-trigger',
  registrations: [flowRegistrations],
  handlers: [
    {
      name: 'flow-trigger',
      description: 'Flow trigger style: POST arbitrary JSON to a published flow, 202 {executionLink}',
      // queue:send keeps a trigger the engine was too busy to start (whenBusy: queue) for the fan-out worker.
      needs: [
        'registry:read:flows',
        'registry:read:api-keys',
        'dedupe:write',
        'engine:start',
        'queue:send',
        'bodies:write',
        'deliveries:write',
      ],
      routes: [{ method: 'POST', path: '/flows/{flowId}/trigger' }],
      runs: ['flows'],
      // The key's scope before the flow lookup: a key that may not use a flow can't learn whether it exists.
      pipeline: ['parse', 'authenticate', 'resolve', 'verify', 'claim', 'start', 'enqueue', 'answer'],
    },
  ],
};
