import type { DeliveryRef } from '../../core/deliveries/recorder';
import type { DeliveryRecord } from '../../core/deliveries/record';
import type { Logger } from '@aws-lambda-powertools/logger';
import { NotFoundError, EngineBusyError, KeyReusedError, PartialFailureError } from '../../core/outcomes';
import { sha256Hex } from '../../core/auth/secrets';
import { CREDENTIAL_HEADERS } from '../../http/request';
import type {
  DeliveryLedger,
  ProcessRecord,
  ProcessStore,
  RegisteredWebhook,
  Registry,
  WebhookStore,
  WorkQueue,
  WorkflowEngine,
} from '../../core/ports';
import { keepsWhenBusy } from '../../core/runs/queue-when-busy';
import { sendQueuedStart } from '../../core/runs/keep-busy-start';
import type { FanoutMessage } from '../../core/runs/queued-start-message';
import { guardReplay } from '../../core/verify/replay-guard';
import type { VerifiedRegistration } from '../../core/verify/verify-registration';
import { verifySignedRequest } from '../../core/verify/verify-signature';
import { standardExecutionArn } from '../../core/runs/execution-name';
import { type ClaimCheck, withoutBodyStore } from '../../core/runs/claim-check';
import { processIdFor, randomId } from './ids';
import { type ProcessView, pendingView } from './process-view';
import type { TriggerRequest } from './request';
import { REGISTERED_WEBHOOK_WHEN_BUSY_DEFAULT, readWebhookTemplates } from './registration';
import { type Clock, dateOf } from '../../core/clock';

export interface TriggerDeps {
  readonly registry: Registry;
  readonly webhooks: WebhookStore;
  readonly processes: ProcessStore;
  readonly deliveries: DeliveryLedger;
  readonly engine: WorkflowEngine;
  readonly logger: Logger;
  readonly executionLink: (executionArn: string) => string;
  readonly now?: Clock;
  /** How long a claimed delivery blocks its copies while its runs start (DEDUPE_LEASE_SECONDS). */
  readonly deliveryLeaseSeconds?: number;
  /**
   * Step Functions caps execution input at 256 KiB: a larger `{ body, headers }` gets a reference to the stored
   * body in place of `body` (functions/core/runs/claim-check.ts); 413 when no store is wired.
   */
  readonly claimCheck?: ClaimCheck;
  /** The fan-out queue: a start the engine was too busy to make is kept there (whenBusy: queue). Absent: 503. */
  readonly queue?: WorkQueue;
}

const REDACTED = '[redacted]';

/** Microsoft Graph proves itself with `clientState`, the secret, in each notification: it goes no further. */
function withoutClientState(body: unknown): unknown {
  const value = (body as { value?: unknown } | null)?.value;
  if (!Array.isArray(value)) return body;
  return {
    ...(body as object),
    value: value.map((n: unknown) =>
      n !== null && typeof n === 'object' && 'clientState' in n ? { ...n, clientState: REDACTED } : n,
    ),
  };
}

/**
 * A bound workflow's input, `{ body, headers }` as seed 5 passes them, less credentials (a replay builds it the
 * same way: ./replay.ts). 413 when it would pass Step Functions' input limit.
 */
export function triggerInput(
  webhook: RegisteredWebhook,
  request: Pick<TriggerRequest, 'headers' | 'body'>,
  secretHeader: string | undefined,
) {
  const headers = { ...request.headers };
  // Seed 5 passes every header on. Credential headers and a plain secret (not an HMAC) would land in the
  // execution history: redact them.
  for (const name of [...CREDENTIAL_HEADERS, ...(secretHeader === undefined ? [] : [secretHeader])]) {
    if (headers[name] !== undefined) headers[name] = REDACTED;
  }
  const graph = webhook.verifier.verifier.kind === 'microsoft-graph';
  return { headers, body: graph ? withoutClientState(request.body) : request.body, graph };
}

/**
 * Queue when busy (docs/deliveries.md): a process whose start the busy engine refused (or may have made) is kept on
 * the fan-out queue under its execution name, the process id, fixed with its record before this start. The worker's
 * start asks for that same name, so a start that did happen and the queued one are one run, and the process and its
 * `executionLink`, answered now, are the run's. False: not kept (the webhook rejects, there is no delivery id, the
 * error is not busy, or the queue refused the message), and the start's error stands.
 */
async function keptWhenBusy(
  deps: TriggerDeps,
  webhook: RegisteredWebhook,
  record: ProcessRecord,
  input: unknown,
  error: unknown,
  deliveryId: string | undefined,
  rebuilt: DeliveryRecord | undefined,
): Promise<boolean> {
  const whenBusy = webhook.whenBusy ?? REGISTERED_WEBHOOK_WHEN_BUSY_DEFAULT;
  if (deps.queue === undefined || !keepsWhenBusy(error, whenBusy, deliveryId)) return false;
  const message: FanoutMessage = {
    v: 1,
    style: 'registered-webhooks',
    name: record.id,
    deliveryId,
    // The record is an item of its own: the worker writes it if this handler dies before its answer.
    ...(rebuilt === undefined ? {} : { record: rebuilt }),
    target: { stateMachineArn: record.stateMachineArn, workflowType: 'STANDARD' },
    input,
  };
  // Not queued: the engine's 503 stands, as for a webhook that rejects.
  if (!(await sendQueuedStart(deps.queue, record.id, message, error as EngineBusyError))) return false;
  // The record says so (one UpdateItem, on this busy path only): its status reads PENDING `queued`, not FAILED
  // "never started", until the run exists. A failed mark loses nothing (the start is queued): that process reads as
  // an unmarked one does, FAILED after 5 minutes, until its run starts.
  try {
    await deps.processes.markQueued(record.id, dateOf(deps.now).toISOString());
  } catch (markError) {
    deps.logger.warn('queued start not marked on its process record', { processId: record.id, error: markError });
  }
  return true;
}

/** Finds the webhook (404 first: nothing about secrets is said for a webhook that does not exist). */
export async function findWebhook(deps: TriggerDeps, webhookId: string) {
  const found = await deps.webhooks.get(webhookId);
  if (found === undefined) throw new NotFoundError(`no webhook "${webhookId}"`);
  return found;
}

/**
 * Verifies the trigger with the webhook's verifier and each active secret (current, and the previous one
 * during a rotation's overlap), then, if the webhook opted in, refuses replays. Returns the header that
 * carried a plain secret, if any.
 */
export async function verifyTrigger(
  deps: TriggerDeps,
  webhook: Awaited<ReturnType<typeof findWebhook>>['webhook'],
  request: TriggerRequest,
): Promise<VerifiedRegistration> {
  const now = dateOf(deps.now);
  const verified = verifySignedRequest(webhook.verifier.verifier, webhook.secrets, request, now.getTime());
  if (webhook.verifier.replay !== undefined) {
    const claim = await guardReplay(
      deps.deliveries,
      `webhook#${webhook.id}`,
      webhook.verifier.replay,
      verified,
      now.getTime(),
      deps.deliveryLeaseSeconds,
    );
    return { ...verified, claim };
  }
  return verified;
}

/**
 * Seed 5's trigger, once verified (verifyTrigger): start every workflow bound to the webhook, each as a process
 * whose record is written before its run starts (the run is named after the process, so it can never start
 * twice). With an Idempotency-Key, process ids derive from it: a retried trigger returns the processes it
 * already started and starts only those that failed. Without one, on a webhook with replay protection, they
 * derive from the verified delivery (`deliveryKey`): a sender's retry after a 503 (its delivery released) is
 * the same delivery, so it too starts only what had failed.
 */
export async function triggerWebhook(
  deps: TriggerDeps,
  request: TriggerRequest,
  found: Awaited<ReturnType<typeof findWebhook>>,
  secretHeader: string | undefined,
  deliveryKey?: string,
  delivery?: DeliveryRef,
  /** The delivery's record for a queued start's message (Delivery.rebuilt), when it is recorded. */
  rebuilt?: DeliveryRecord,
): Promise<readonly ProcessView[]> {
  const { webhook, bindings } = found;
  const { headers, body: passedOn, graph } = triggerInput(webhook, request, secretHeader);
  const input = await (deps.claimCheck ?? withoutBodyStore)({
    payload: passedOn,
    // The delivery's id beside seed 5's { body, headers }: a run leads back to its delivery record.
    build: (body) => ({ body, headers, ...delivery }),
    // Graph's clientState is a secret: the stored object is the body as the workflow sees it, without it.
    raw: graph ? Buffer.from(JSON.stringify(passedOn), 'utf8') : request.rawBody,
    ...(request.headers['content-type'] === undefined ? {} : { contentType: request.headers['content-type'] }),
  });
  // What a process record keeps of the trigger: the body, or its reference (a DynamoDB item holds 400 KB at most).
  const body = input.body;

  const templates = bindings.length === 0 ? [] : await readWebhookTemplates(deps.registry, webhook.orgId);
  const fingerprint = sha256Hex(request.rawBody);
  const createdOn = dateOf(deps.now).toISOString();
  const targets = bindings.flatMap((binding) => {
    const template = templates.find((t) => t.id === binding.eventWorkflowTemplateId);
    if (template === undefined) {
      deps.logger.warn('bound workflow template no longer exists; skipped', {
        webhookId: webhook.id,
        eventWorkflowTemplateId: binding.eventWorkflowTemplateId,
      });
      return [];
    }
    return [template];
  });

  const outcomes = await Promise.allSettled(
    targets.map(async (template): Promise<ProcessView> => {
      // An Idempotency-Key is printable ASCII, so it can never equal a `\u0000`-prefixed delivery key.
      const stableKey = request.idempotencyKey ?? (deliveryKey === undefined ? undefined : `\u0000${deliveryKey}`);
      const id = stableKey === undefined ? randomId() : processIdFor(webhook.id, stableKey, template.id);
      const candidate: ProcessRecord = {
        id,
        orgId: webhook.orgId,
        webhookId: webhook.id,
        eventWorkflowTemplateId: template.id,
        stateMachineArn: template.stateMachineArn,
        executionArn: standardExecutionArn(template.stateMachineArn, id),
        triggerEvent: body,
        fingerprint,
        createdOn,
      };
      const { created, record } = await deps.processes.create(candidate);
      if (!created && record.fingerprint !== fingerprint) {
        throw new KeyReusedError(
          'this Idempotency-Key was already used with a different body; use a new key for a new trigger',
        );
      }
      // Standard executions are unique by name: a repeat start returns the run the first one started. If this
      // start fails the record stays: it reads FAILED "never started" once no retry can start it any more.
      const view = pendingView(record, deps.executionLink(record.executionArn));
      try {
        await deps.engine.start({ stateMachineArn: record.stateMachineArn, workflowType: 'STANDARD', name: id, input });
      } catch (error) {
        if (!(await keptWhenBusy(deps, webhook, record, input, error, delivery?.deliveryId, rebuilt))) throw error;
        return { ...view, queued: true };
      }
      return view;
    }),
  );

  const started = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  if (failures.length === 0) return started;
  const conflict = failures.find((f) => f instanceof KeyReusedError);
  if (conflict !== undefined) throw conflict;
  for (const failure of failures) {
    if (!(failure instanceof EngineBusyError)) {
      deps.logger.error('a bound workflow could not be started', failure as Error);
    }
  }
  // Some bound workflows could not be started: the answer lists the ones that were.
  throw new PartialFailureError(
    `${failures.length} of ${targets.length} bound workflows could not be started; nothing else was lost. ` +
      (request.idempotencyKey === undefined
        ? 'Retrying starts all of them again: send an Idempotency-Key to retry only the failed ones.'
        : 'Retry with the same Idempotency-Key to start only the failed ones.'),
    { processes: started },
  );
}
