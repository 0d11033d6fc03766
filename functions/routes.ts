/**
 * The route table: the one place that says which handler serves which route and what AWS resources it
 * touches. The CDK construct builds API Gateway routes, functions, env vars and IAM grants from it, and the
 * local stack builds its router from it, so the two can never disagree about what is served.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

import type { RegistryPartition } from './adapters/aws/registry-items';

/**
 * What a handler needs; each need maps to one env var plus one IAM grant in `lib/` (docs/iam.md has the
 * table). Declare only what the code calls: test/infra/iam-recorded.iam.test.ts fails on a grant no call uses.
 */
export type HandlerNeed =
  // REGISTRY_TABLE, dynamodb:GetItem/Query on the registry items of that kind only (dynamodb:LeadingKeys):
  // registry items hold API key hashes and verifier secrets, readable only by the handlers that check them.
  | `registry:read:${RegistryPartition}`
  | 'dedupe:read' // DEDUPE_TABLE, dynamodb:GetItem on the dedupe table's claims (never its wait# items)
  | 'dedupe:write' // DEDUPE_TABLE, dynamodb:GetItem/PutItem/UpdateItem/DeleteItem on its claims (not wait#)
  | 'engine:start' // states:StartExecution on the bound state machines (DescribeExecution: a Standard name taken)
  | 'engine:describe' // sync waits: states:StartSyncExecution (Express) + DescribeExecution on their executions
  | 'queue:send' // FANOUT_QUEUE_URL, sqs:SendMessage on the fan-out queue
  | 'waits:read' // DEDUPE_TABLE, dynamodb:GetItem on wait# items only (a callback reads its task token)
  | 'waits:write' // DEDUPE_TABLE, dynamodb:PutItem/UpdateItem on wait# items only (begin, keep, claim, confirm)
  | 'engine:resume' // states:SendTaskSuccess/SendTaskFailure (no resource-level permissions exist for these)
  | 'engine:succeed' // states:SendTaskSuccess only: resumes tasks, never fails one (CloudEvents)
  | 'engine:history' // states:GetExecutionHistory on the bound state machines' executions
  | 'webhooks:write'; // REGISTRY_TABLE, read/write of the registered-webhook items only (dynamodb:LeadingKeys)

export interface HandlerSpec {
  /** Entry file under functions/handlers/, without extension; exports `handler`. */
  readonly name: string;
  readonly description: string;
  readonly needs: readonly HandlerNeed[];
  readonly routes: readonly { readonly method: HttpMethod; readonly path: string }[];
  /** Lambda timeout; defaults to 10 s. Handlers that wait for runs need more than SYNC_WAIT_MS. */
  readonly timeoutSeconds?: number;
  /** Set for a queue worker: the SQS queue whose messages invoke it (event source, ReportBatchItemFailures). */
  readonly consumes?: 'fanout';
}

export const handlers: readonly HandlerSpec[] = [
  {
    name: 'flow-trigger',
    description: 'Flow trigger style: POST arbitrary JSON to a published flow, 202 {executionLink}',
    needs: ['registry:read:flows', 'registry:read:api-keys', 'dedupe:write', 'engine:start'],
    routes: [{ method: 'POST', path: '/flows/{flowId}/trigger' }],
  },
  {
    name: 'client-webhook',
    description: 'Client webhook style: GET|POST runs the webhook workflow and waits for it (or ?async)',
    // dedupe:write for the replay ledger of webhooks whose verifier refuses replays
    needs: ['registry:read:client-webhooks', 'dedupe:write', 'engine:start', 'engine:describe'],
    routes: [
      { method: 'GET', path: '/webhook/{client}/{name}' },
      { method: 'POST', path: '/webhook/{client}/{name}' },
    ],
    // SYNC_WAIT_MS (at most 28 s) plus room to answer, within API Gateway's 30 s integration timeout.
    timeoutSeconds: 29,
  },
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
    ],
    routes: [{ method: 'POST', path: '/inbound' }],
    // A 1,000-item batch is 100 SendMessageBatch calls, 10 in flight at a time.
    timeoutSeconds: 29,
  },
  {
    name: 'inbound-run-status',
    description: 'Inbound request style: GET /inbound/runs/{runRef} resolves a queued item to its execution',
    needs: ['registry:read:inbound-secret', 'dedupe:read'],
    routes: [{ method: 'GET', path: '/inbound/runs/{runRef}' }],
  },
  {
    name: 'inbound-fanout',
    description: 'Inbound request style: starts the run of each queued batch item, deduped per item',
    needs: ['dedupe:write', 'engine:start'],
    routes: [],
    consumes: 'fanout',
    timeoutSeconds: 60,
  },
  {
    name: 'event-webhook',
    description: 'Events style: POST /api/v2/webhook?ref= starts the workflow named by ref',
    needs: ['registry:read:event-workflows', 'dedupe:write', 'engine:start'],
    routes: [{ method: 'POST', path: '/api/v2/webhook' }],
  },
  {
    name: 'event-intake',
    description: 'Events style: POST /api/v2/event takes CloudEvents, starts subscribers, resumes waiting tasks',
    // event-workflows: a subscribed workflow's verifier is on its own registry item.
    needs: [
      'registry:read:event-subscriptions',
      'registry:read:event-workflows',
      'dedupe:write',
      // a CloudEvent with a callback id resumes the task waiting on its topic: reads and claims its wait# item
      'waits:read',
      'waits:write',
      'engine:start',
      'engine:succeed',
    ],
    routes: [{ method: 'POST', path: '/api/v2/event' }],
  },
  {
    name: 'event-callback',
    description: 'Events style: GET|POST /api/v2/callback resumes the task a run waits with on a topic',
    needs: ['waits:read', 'waits:write', 'engine:resume'],
    routes: [
      { method: 'GET', path: '/api/v2/callback' },
      { method: 'POST', path: '/api/v2/callback' },
    ],
  },
  {
    name: 'wait-for-event',
    description:
      'Events style: the wait task of hookflow:WaitForEvent stores its token, or takes a callback that came first',
    // waits:write: PutItem and UpdateItem on wait# items; engine:resume: SendTaskSuccess/SendTaskFailure on the
    // task's own token when a callback came first. Invoked by Step Functions (lambda:invoke.waitForTaskToken).
    needs: ['waits:write', 'engine:resume'],
    routes: [],
  },
  {
    name: 'webhook-admin',
    description: 'Registered webhooks style: create, list, get, delete webhooks; bind and unbind workflows',
    needs: ['registry:read:api-keys', 'registry:read:webhook-templates', 'webhooks:write'],
    routes: [
      { method: 'POST', path: '/api/webhooks' },
      { method: 'GET', path: '/api/webhooks' },
      { method: 'GET', path: '/api/webhooks/{webhookId}' },
      { method: 'DELETE', path: '/api/webhooks/{webhookId}' },
      { method: 'POST', path: '/api/webhooks/{webhookId}/rotate-secret' },
      { method: 'GET', path: '/api/webhooks/{webhookId}/workflows' },
      { method: 'PUT', path: '/api/webhooks/{webhookId}/workflows/{templateId}' },
      { method: 'DELETE', path: '/api/webhooks/{webhookId}/workflows/{templateId}' },
      { method: 'GET', path: '/api/event-workflow-templates' },
    ],
  },
  {
    name: 'webhook-trigger',
    description: 'Registered webhooks style: POST /api/trigger-webhooks/{webhookId} starts every bound workflow',
    // dedupe:write holds process records and the replay ledger
    needs: ['registry:read:webhooks', 'registry:read:webhook-templates', 'dedupe:write', 'engine:start'],
    routes: [{ method: 'POST', path: '/api/trigger-webhooks/{webhookId}' }],
    // Up to 25 bound workflows, each one PutItem and one StartExecution, in parallel.
    timeoutSeconds: 20,
  },
  {
    name: 'webhook-process-status',
    description: 'Registered webhooks style: GET /api/processes/{processId} reports a process from its run',
    needs: ['registry:read:api-keys', 'dedupe:read', 'engine:history'],
    routes: [{ method: 'GET', path: '/api/processes/{processId}' }],
  },
];
