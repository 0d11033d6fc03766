import type { StyleDefinition } from '../style';
import { eventWorkflowRegistrations } from './registration';

/** Seed 3: POST /api/v2/webhook?ref=, CloudEvents on /api/v2/event, callbacks that resume waiting runs. */
export const eventsStyle: StyleDefinition = {
  name: 'events',
  registrations: [eventWorkflowRegistrations],
  handlers: [
    {
      name: 'event-webhook',
      description: 'Events style: POST /api/v2/webhook?ref= starts the workflow named by ref',
      // queue:send: a start the engine was too busy to make is kept for the fan-out worker (whenBusy: queue).
      needs: [
        'registry:read:event-workflows',
        'dedupe:write',
        'engine:start',
        'queue:send',
        'bodies:write',
        'deliveries:write',
      ],
      routes: [{ method: 'POST', path: '/api/v2/webhook' }],
      runs: ['event-workflows'],
      pipeline: ['parse', 'resolve', 'verify', 'claim', 'start', 'enqueue', 'answer'],
    },
    {
      name: 'event-intake',
      description: 'Events style: POST /api/v2/event takes CloudEvents, starts subscribers, resumes waiting tasks',
      // event-workflows: a subscribed workflow's verifier is on its own registry item. queue:send: a start the engine
      // was too busy to make is kept for the fan-out worker (whenBusy: queue).
      needs: [
        'registry:read:event-subscriptions',
        'registry:read:event-workflows',
        'dedupe:write',
        // a CloudEvent with a callback id resumes the task waiting on its topic: reads and claims its wait# item
        'waits:read',
        'waits:write',
        'engine:start',
        'engine:succeed',
        'queue:send',
        'bodies:write',
        'deliveries:write',
      ],
      routes: [{ method: 'POST', path: '/api/v2/event' }],
      runs: ['event-workflows'],
      // Every subscriber's verifier passes before any run starts.
      pipeline: ['parse', 'resolve', 'verify', 'claim', 'start', 'resume', 'answer'],
    },
    {
      name: 'event-callback',
      description: 'Events style: GET|POST /api/v2/callback resumes the task a run waits with on a topic',
      needs: ['waits:read', 'waits:write', 'engine:resume', 'deliveries:write', 'bodies:write'],
      routes: [
        { method: 'GET', path: '/api/v2/callback' },
        { method: 'POST', path: '/api/v2/callback' },
      ],
      pipeline: ['parse', 'resolve', 'claim', 'resume', 'answer'],
    },
    {
      name: 'wait-for-event',
      description:
        'Events style: the wait task of hookflow:WaitForEvent stores its token, or takes a callback that came first',
      // waits:write: PutItem and UpdateItem on wait# items; engine:resume: SendTaskSuccess/SendTaskFailure on the
      // task's own token when a callback came first. Invoked by Step Functions (lambda:invoke.waitForTaskToken).
      needs: ['waits:write', 'engine:resume'],
      routes: [],
      pipeline: ['parse', 'claim', 'resume', 'answer'],
    },
  ],
};
