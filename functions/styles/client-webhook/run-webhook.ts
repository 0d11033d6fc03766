import type { Registry, RunOutcome, WorkQueue, WorkflowTarget } from '../../core/ports';
import { CLIENT_WEBHOOK_WHEN_BUSY_DEFAULT, type ClientWebhookRecord, readClientWebhook } from './registration';
import { deliveryNaming, keepsWhenBusy } from '../../core/runs/queue-when-busy';
import { executionNameOf, standardExecutionArn } from '../../core/runs/execution-name';
import { keepBusyStart } from '../../core/runs/keep-busy-start';
import { InvalidInputError, NotFoundError, UnauthorizedError } from '../../core/outcomes';
import { matchesHashedSecret, sha256Hex } from '../../core/auth/secrets';
import type { RunAndWait } from '../../core/runs/run-and-wait';
import type { StartRun } from '../../core/runs/start-run';
import { type ClaimCheck, withoutBodyStore } from '../../core/runs/claim-check';
import { compositeKey } from '../../core/keys';
import { type RegistrationVerifyDeps, startVerified, verifyRegistration } from '../../core/verify/verify-registration';
import type { ClientWebhookRequest } from './request';
import { dateOf } from '../../core/clock';
import type { Delivery, DeliveryRef } from '../../core/deliveries/recorder';

export interface ClientWebhookDeps extends RegistrationVerifyDeps {
  readonly registry: Registry;
  readonly runAndWait: RunAndWait;
  readonly startRun: StartRun;
  /** Large bodies: the run gets a reference to the stored body (functions/core/runs/claim-check.ts). */
  readonly claimCheck?: ClaimCheck;
  /** The fan-out queue: an `?async` start the engine was too busy to make is kept there (whenBusy). Absent: 503. */
  readonly queue?: WorkQueue;
}

export interface ClientWebhookRun {
  readonly webhook: ClientWebhookRecord;
  readonly mode: ClientWebhookRecord['mode'];
  readonly stateMachineArn: string;
  readonly input: unknown;
  /** What the caller waited for: finished, or RUNNING (asked for ?async, or the sync wait ran out). */
  readonly outcome: RunOutcome;
  readonly waited: boolean;
  /** The call repeated an earlier one's Idempotency-Key and got that call's run. */
  readonly replayed?: boolean;
  /**
   * The engine was busy: the call was kept and its run starts from the fan-out queue under `outcome.name` (fixed
   * already; `outcome.executionArn` too for a Standard workflow), its status RUNNING once started.
   */
  readonly queued?: { readonly deliveryId: string };
}

/**
 * The client-webhook rules (seed 2): find the webhook (404), check its key if it has one (401), pick the
 * productive or dev workflow, then run it: waiting for the result by default, at once with `?async`.
 */
export async function runClientWebhook(
  deps: ClientWebhookDeps,
  request: ClientWebhookRequest,
  delivery?: Delivery,
): Promise<ClientWebhookRun> {
  const webhook = await readClientWebhook(deps.registry, request.client, request.name);
  if (webhook === undefined) {
    throw new NotFoundError(`webhook "${request.name}" of client "${request.client}" does not exist`);
  }
  const resolved = {
    style: 'client-webhook',
    registration: `${webhook.client}/${webhook.name}`,
    record: webhook.recordDeliveries !== false,
    bodyHoldsCredential: request.keyInBody,
  } as const;
  delivery?.resolved(resolved);
  assertKey(webhook, request.key);
  const verified = await verifyRegistration(
    deps,
    `client-webhook#${webhook.client}/${webhook.name}`,
    webhook.verifier,
    request.signed,
  );
  const secretHeader = verified?.secretHeader;
  if (secretHeader !== undefined) delivery?.resolved({ ...resolved, secretHeaders: [secretHeader] });

  const target = webhook.mode === 'dev' ? webhook.dev! : webhook.productive;
  const receivedAt = dateOf(deps.now).toISOString();
  const build = (payload: unknown) =>
    clientWebhookInput(webhook, { ...request, payload }, secretHeader, receivedAt, delivery?.ref());
  const claimCheck = deps.claimCheck ?? withoutBodyStore;
  const checked = () =>
    claimCheck({
      payload: request.payload,
      build,
      raw: request.bodyForRun,
      ...(request.contentType === undefined ? {} : { contentType: request.contentType }),
    });
  // A verified delivery is settled with its start: a 503 releases it for the sender's retry.
  const ran = await startVerified(deps, verified, async () => {
    const input = await checked();
    const base = { webhook, mode: webhook.mode, stateMachineArn: target.stateMachineArn, input };
    return run(deps, request, target, input, base, delivery);
  });
  if (ran.queued === undefined) {
    delivery?.ran(ran.outcome.executionArn === undefined ? {} : { executionArn: ran.outcome.executionArn });
  }
  if (ran.replayed === true) delivery?.deduplicated();
  return ran;
}

async function run(
  deps: ClientWebhookDeps,
  request: ClientWebhookRequest,
  target: WorkflowTarget,
  input: unknown,
  base: Omit<ClientWebhookRun, 'outcome' | 'waited' | 'replayed'>,
  delivery?: Delivery,
): Promise<ClientWebhookRun> {
  const { webhook } = base;
  // Queue when busy: ?async only (a sync caller waits for a result a queued run cannot give). The run's name is
  // fixed before the start (keyed: the claim is kept when the engine refuses; unkeyed: the delivery names it), so
  // the queued answer names the run as a started one does.
  const queues =
    request.async &&
    (webhook.whenBusy ?? CLIENT_WEBHOOK_WHEN_BUSY_DEFAULT) === 'queue' &&
    deps.queue !== undefined &&
    delivery !== undefined;
  const kept = async (error: unknown, dedupe?: { key: string; fingerprint: string }): Promise<ClientWebhookRun> => {
    if (!queues || !keepsWhenBusy(error, 'queue', delivery?.id)) throw error;
    const name = await keepBusyStart(deps.queue!, error, {
      style: 'client-webhook',
      target,
      input,
      ...(dedupe === undefined ? { naming: naming! } : { dedupe }),
      delivery: delivery!,
    });
    const executionArn =
      target.workflowType === 'STANDARD' ? standardExecutionArn(target.stateMachineArn, name) : undefined;
    return {
      ...base,
      outcome: { name, status: 'RUNNING', ...(executionArn === undefined ? {} : { executionArn }) },
      waited: false,
      queued: { deliveryId: delivery!.id },
    };
  };
  const naming =
    queues && request.idempotencyKey === undefined
      ? deliveryNaming(delivery!.id, delivery!.receipt.receivedAtMs)
      : undefined;
  if (request.idempotencyKey !== undefined) {
    if (!request.async && target.workflowType === 'EXPRESS') {
      throw new InvalidInputError(
        'Idempotency-Key needs ?async or a Standard workflow: an Express run can only return its result to the call that started it',
      );
    }
    const dedupe = clientWebhookDedupe(webhook, request, request.idempotencyKey);
    let started;
    try {
      started = await deps.startRun({
        target,
        input,
        dedupe: {
          ...dedupe,
          // With ?async the answer is known before the start (202): the claim carries the record. A sync call's
          // answer comes with the run's end, so its record is written then, apart.
          ...(request.async ? { delivery: await delivery?.forClaim(202) } : {}),
          keepClaimWhenBusy: queues,
        },
      });
    } catch (error) {
      return kept(error, dedupe);
    }
    const { run, replayed } = started;
    const name = executionNameOf(run.executionArn);
    const outcome: RunOutcome = request.async
      ? { executionArn: run.executionArn, name, status: 'RUNNING', startDate: run.startDate }
      : await deps.runAndWait({ target, input, started: run });
    return { ...base, outcome, waited: !request.async, replayed };
  }

  if (request.async) {
    // The one way every style starts a run (functions/core/runs/start-run.ts), here without a dedupe key.
    let started;
    try {
      started = await deps.startRun({ target, input, ...(naming === undefined ? {} : { naming }) });
    } catch (error) {
      return kept(error);
    }
    const { run } = started;
    const name = executionNameOf(run.executionArn);
    const outcome: RunOutcome = { executionArn: run.executionArn, name, status: 'RUNNING', startDate: run.startDate };
    return { ...base, outcome, waited: false };
  }
  return { ...base, outcome: await deps.runAndWait({ target, input }), waited: true };
}

/** The key may come in `?key=` or the payload's `"key"`; compared by SHA-256 in constant time. */
function assertKey(webhook: ClientWebhookRecord, presented: string | undefined): void {
  if (webhook.keyHash === undefined) return;
  if (presented === undefined || presented === '') {
    throw new UnauthorizedError('this webhook needs its key, as ?key=... or as "key" in the JSON payload');
  }
  if (!matchesHashedSecret(presented, [webhook.keyHash])) {
    throw new UnauthorizedError('invalid webhook key');
  }
}

/**
 * What a client webhook's run gets: the request's headers (less a plain secret's header), query and payload, and
 * the webhook (a replay builds it the same way: ./replay.ts).
 */
export function clientWebhookInput(
  webhook: ClientWebhookRecord,
  request: Pick<ClientWebhookRequest, 'headers' | 'query' | 'method'> & { readonly payload: unknown },
  secretHeader: string | undefined,
  receivedAt: string,
  ref?: DeliveryRef,
) {
  return {
    headers:
      secretHeader === undefined
        ? request.headers
        : Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== secretHeader)),
    query: request.query,
    payload: request.payload,
    webhook: { client: webhook.client, name: webhook.name, runAs: webhook.runAs, mode: webhook.mode },
    trigger: { style: 'client-webhook', method: request.method, receivedAt, ...ref },
  };
}

/** The claim of a call with an Idempotency-Key: scoped to the webhook; the same key with another request is refused. */
export function clientWebhookDedupe(
  webhook: Pick<ClientWebhookRecord, 'client' | 'name'>,
  request: Pick<ClientWebhookRequest, 'method' | 'query' | 'payload'>,
  idempotencyKey: string,
) {
  return {
    key: compositeKey('client-webhook', `${webhook.client}/${webhook.name}`, idempotencyKey),
    fingerprint: sha256Hex(JSON.stringify([request.method, request.query, request.payload])),
  };
}
