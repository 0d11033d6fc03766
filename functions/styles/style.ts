import type * as z from '../core/zod';
import type { RegistrationKind } from '../core/registration';
/**
 * What a style is, as data: its handlers (routes, needs, timeout, queue) and, per handler, its pipeline: the
 * core steps it composes, in the order it runs them. Each style folder exports one StyleDefinition from its
 * index.ts; functions/routes.ts lists them, and the CDK construct and the local stack iterate over that list.
 * This file holds types only, so that the CDK app can read the definitions without loading handler code.
 */
import type { RegistryPartition } from '../adapters/aws/registry-items';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

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
  | 'bodies:write' // BODIES_BUCKET, s3:PutObject on its bodies/ keys (large bodies, claim-checked run inputs)
  | 'bodies:read' // BODIES_BUCKET, s3:GetObject on its bodies/ keys + s3:ListBucket (a gone body is NoSuchKey)
  // DEDUPE_TABLE: dynamodb:Query on its `deliveries` index, GetItem on the records (claims and dlv# items)
  | 'deliveries:read'
  | 'webhooks:write' // REGISTRY_TABLE, read/write of the registered-webhook items only (dynamodb:LeadingKeys)
  | 'deliveries:write' // DEDUPE_TABLE, dynamodb:PutItem on delivery records (dlv# items) only: docs/deliveries.md
  | 'deliveries:mark'; // DEDUPE_TABLE, dynamodb:UpdateItem on dlv# items only: a queued delivery marked started

/** A kind of workflow binding: the registry partition a construct method (bindFlow, ...) writes it to. */
export type WorkflowBinding = RegistryPartition;

/**
 * The core steps a request goes through. `authenticate`: the caller's credential (API key, shared secret,
 * webhook key) and its scope; `resolve`: the registration the request names (404 when absent); `verify`: the
 * registration's signature verifier and replay guard; `claim`: the dedupe or wait claim; `start`/`enqueue`/
 * `resume`: what the request does to the engine or the queue; `answer`: the response.
 */
export type PipelineStep =
  'parse' | 'authenticate' | 'resolve' | 'verify' | 'claim' | 'start' | 'enqueue' | 'resume' | 'answer';

export interface HandlerSpec {
  /** The handler's name: its Lambda entry is the style folder's handlers/<name>.ts, which exports `handler`. */
  readonly name: string;
  readonly description: string;
  readonly needs: readonly HandlerNeed[];
  readonly routes: readonly { readonly method: HttpMethod; readonly path: string }[];
  /** Lambda timeout; defaults to DEFAULT_TIMEOUT_SECONDS. Handlers that wait for runs need more than SYNC_WAIT_MS. */
  readonly timeoutSeconds?: number;
  /** Set for a queue worker: the SQS queue whose messages invoke it (event source, ReportBatchItemFailures). */
  readonly consumes?: 'fanout';
  /**
   * The bindings whose workflows this handler starts (engine:start) or reads the history of (engine:history):
   * binding a workflow grants exactly these handlers, by need, on that state machine.
   */
  readonly runs?: readonly WorkflowBinding[];
  /**
   * The core steps in the order the handler runs them: test/unit/styles/pipeline-trace.test.ts traces each handler's
   * port calls as steps and holds them to this order; test/unit/styles/pipelines.test.ts pins the deliberate ones.
   */
  readonly pipeline: readonly PipelineStep[];
}

export interface StyleDefinition {
  /** The style's folder under functions/styles/. */
  readonly name: string;
  readonly handlers: readonly HandlerSpec[];
  /**
   * Its kinds of registration (functions/styles/<style>/registration.ts): the one schema and codec the construct,
   * the local config and the seed share. Empty for a style whose registrations are made at run time only.
   */
  readonly registrations: readonly RegistrationKind<z.ZodMiniType, z.ZodMiniType>[];
}

/** A handler's Lambda timeout when its spec names none (functions/routes.ts lists each handler's). */
export const DEFAULT_TIMEOUT_SECONDS = 10;

/** The Lambda timeout a handler is deployed with, unless the construct's handlerSettings override it. */
export function timeoutSecondsOf(spec: Pick<HandlerSpec, 'timeoutSeconds'>): number {
  return spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
}
