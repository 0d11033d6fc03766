import type { DedupeStore, Registry, WorkQueue } from '../../core/ports';
import {
  INBOUND_WHEN_BUSY_DEFAULT,
  type InboundWorkflowRecord,
  readInboundSecretHashes,
  readInboundVerifier,
  readInboundWorkflow,
} from './registration';
import { assertSharedSecret } from '../../core/auth/shared-secret';
import { type EngineBusyError, NotFoundError, TooLargeError } from '../../core/outcomes';
import { deliveryNaming, keepsWhenBusy } from '../../core/runs/queue-when-busy';
import { sendQueuedStart } from '../../core/runs/keep-busy-start';
import type { StartRun } from '../../core/runs/start-run';
import { type FanoutMessage, UID_FINGERPRINT, encodeFanoutMessage } from '../../core/runs/queued-start-message';
import type { InboundItem, InboundRequest } from './request';
import { type RunRef, runRefFor } from './run-refs';
import {
  type RegistrationVerifyDeps,
  type VerifiedRegistration,
  startVerified,
  verifyRegistration,
} from '../../core/verify/verify-registration';
import { dateOf, systemClock } from '../../core/clock';
import type { Delivery, DeliveryRef } from '../../core/deliveries/recorder';

export interface InboundDeps extends RegistrationVerifyDeps {
  readonly registry: Registry;
  /** Read only, to tell a resent batch item whose run has started (DUPLICATE) from one that will run. */
  readonly dedupe: DedupeStore;
  readonly startRun: StartRun;
  readonly queue: WorkQueue;
  readonly executionLink: (executionArn: string) => string;
  /** Largest workflow input one item may make (Step Functions takes 256 KiB). */
  readonly maxInputBytes: number;
}

export type InboundAccepted =
  | {
      readonly kind: 'started';
      readonly uid: string | null;
      readonly runRef: string | null;
      readonly executionArn: string;
      readonly executionLink: string;
      readonly replayed: boolean;
    }
  | {
      readonly kind: 'queued';
      readonly entries: readonly BatchEntry[];
    }
  | {
      /** A single request the engine was too busy to start, kept to start later (docs/deliveries.md). */
      readonly kind: 'kept';
      readonly deliveryId: string;
      readonly uid: string | null;
      readonly runRef: string | null;
    };

/**
 * What became of one batch item. QUEUED: it will run. NOT_QUEUED: SQS kept refusing it after retries, so it was
 * not accepted. DUPLICATE: it will never run, because its uid's run has already started (`executionArn` names
 * it) or an earlier item of the same batch holds the same uid (same `runRef`).
 */
export interface BatchEntry {
  readonly index: number;
  readonly uid: string | null;
  readonly runRef: string;
  readonly status: 'QUEUED' | 'NOT_QUEUED' | 'DUPLICATE';
  readonly executionArn?: string;
}

/**
 * The inbound rules (seed 4): check the shared secret (401), resolve every named workflow (404, naming the
 * batch item), then either start the single request's run (deduped on its uid) or queue every batch item
 * for the fan-out worker. Nothing is queued unless every item is valid.
 */
export async function acceptInbound(
  deps: InboundDeps,
  request: InboundRequest,
  delivery?: Delivery,
): Promise<InboundAccepted> {
  const [secretHashes, verifier] = await Promise.all([
    readInboundSecretHashes(deps.registry),
    readInboundVerifier(deps.registry),
  ]);
  try {
    assertSharedSecret(request.secret, secretHashes, 'Inbound-Webhook-Secret');
  } catch (error) {
    // A refused secret still named a workflow: its delivery is recorded as refused when that workflow exists (the
    // answer is decided before the lookup, and is the same either way).
    if (delivery?.recording === true) {
      const named = await readInboundWorkflow(deps.registry, request.workflow).catch(() => undefined);
      if (named !== undefined) delivery.resolved(inboundResolution(named));
    }
    throw error;
  }
  const verified = await verifyRegistration(deps, 'inbound', verifier, request.signed);
  // A verified delivery is settled with its start (or its queueing): a 503 releases it for the sender's retry.
  return startVerified(deps, verified, async () => {
    const accepted = await accept(deps, request, delivery);
    if (accepted.kind === 'queued' && accepted.entries.some((entry) => entry.status === 'NOT_QUEUED')) {
      await releaseForRetry(verified);
    }
    return accepted;
  });
}

const inboundResolution = (workflow: InboundWorkflowRecord) =>
  ({ style: 'inbound', registration: workflow.workflowId, record: workflow.recordDeliveries !== false }) as const;

/** Part of a batch was refused (503): the sender may resend the whole batch, which must not be a replay. */
async function releaseForRetry(verified: VerifiedRegistration | undefined): Promise<void> {
  await verified?.claim?.release();
}

async function accept(deps: InboundDeps, request: InboundRequest, delivery?: Delivery): Promise<InboundAccepted> {
  const workflows = await resolveWorkflows(deps.registry, [request.workflow, ...request.items.map((i) => i.workflow)]);
  const named = workflows.get(request.workflow);
  if (named === undefined) {
    throw new NotFoundError(`workflow "${request.workflow}" does not exist`);
  }
  // One record per request, a batch included: its items are the record's runs, by run reference.
  delivery?.resolved(inboundResolution(named));
  const receivedAt = dateOf(deps.now).toISOString();
  const prepared = request.items.map((item) => {
    const workflow = workflows.get(item.workflow);
    if (workflow === undefined) {
      throw new NotFoundError(`${where(item)}workflow "${item.workflow}" does not exist`);
    }
    const ref = item.uid !== undefined || request.batch ? runRefFor(item.uid) : undefined;
    const input = workflowInput(item, workflow, ref, receivedAt, delivery?.ref());
    const bytes = Buffer.byteLength(JSON.stringify(input));
    if (bytes > deps.maxInputBytes) {
      throw new TooLargeError(
        `${where(item)}the workflow input would be ${bytes} bytes; the limit is ${deps.maxInputBytes} bytes`,
      );
    }
    return { item, workflow, ref, input };
  });

  if (!request.batch) {
    const { item, workflow, ref, input } = prepared[0]!;
    const whenBusy = workflow.whenBusy ?? INBOUND_WHEN_BUSY_DEFAULT;
    // Unkeyed, a start that may be tried twice (now, and queued if the engine is busy) is named by its delivery.
    const naming =
      ref === undefined && whenBusy === 'queue' && delivery !== undefined
        ? deliveryNaming(delivery.id, delivery.receipt.receivedAtMs)
        : undefined;
    let started;
    try {
      started = await deps.startRun({
        target: workflow,
        input,
        // The claim is the run record GET /inbound/runs/{runRef} reads: recorded, whatever the workflow type.
        // It carries the delivery's record too (docs/deliveries.md).
        ...(ref === undefined
          ? naming === undefined
            ? {}
            : { naming }
          : {
              dedupe: {
                key: ref.dedupeKey,
                fingerprint: UID_FINGERPRINT,
                recordRun: true,
                delivery: await delivery?.forClaim(202),
              },
            }),
      });
    } catch (error) {
      if (!keepsWhenBusy(error, whenBusy, delivery?.id)) throw error;
      // A start that may have happened keeps its claim, which carries the record; otherwise the record is apart,
      // and the worker writes it from the message if this handler dies before its answer.
      const rebuilt = (error as EngineBusyError).mayHaveStarted && ref !== undefined ? undefined : delivery!.rebuilt();
      const message: FanoutMessage = {
        v: 1,
        ...(ref === undefined ? { naming: naming! } : { runRef: ref.runRef, dedupeKey: ref.dedupeKey }),
        deliveryId: delivery!.id,
        ...(rebuilt === undefined
          ? {}
          : { record: { ...rebuilt, runs: ref === undefined ? [] : [{ runRef: ref.runRef }] } }),
        target: { stateMachineArn: workflow.stateMachineArn, workflowType: workflow.workflowType },
        input,
      };
      // Not queued: the sender gets the engine's 503 and its Retry-After, as a `reject` registration would.
      if (!(await sendQueuedStart(deps.queue, delivery!.id, message, error as EngineBusyError))) throw error;
      delivery!.queued();
      if (ref !== undefined) delivery!.ran({ runRef: ref.runRef });
      return { kind: 'kept', deliveryId: delivery!.id, uid: item.uid ?? null, runRef: ref?.runRef ?? null };
    }
    const { run, replayed } = started;
    delivery?.ran({ executionArn: run.executionArn, ...(ref === undefined ? {} : { runRef: ref.runRef }) });
    if (replayed) delivery?.deduplicated();
    return {
      kind: 'started',
      uid: item.uid ?? null,
      runRef: ref?.runRef ?? null,
      executionArn: run.executionArn,
      executionLink: deps.executionLink(run.executionArn),
      replayed,
    };
  }

  const duplicates = await duplicatesOf(deps, prepared);
  const toQueue = prepared.filter(({ item }) => !duplicates.has(item.index!));
  const messages = toQueue.map(({ item, workflow, ref, input }) => {
    const message: FanoutMessage = {
      v: 1,
      runRef: ref!.runRef,
      dedupeKey: ref!.dedupeKey,
      target: { stateMachineArn: workflow.stateMachineArn, workflowType: workflow.workflowType },
      input,
    };
    return { id: String(item.index), body: encodeFanoutMessage(message) };
  });
  const { failedIds } = await deps.queue.sendAll(messages);
  const failed = new Set(failedIds);
  for (const { item, ref } of toQueue) if (!failed.has(String(item.index))) delivery?.ran({ runRef: ref!.runRef });
  return {
    kind: 'queued',
    entries: prepared.map(({ item, ref }): BatchEntry => {
      const entry = { index: item.index!, uid: item.uid ?? null, runRef: ref!.runRef };
      const duplicate = duplicates.get(item.index!);
      if (duplicate !== undefined) return { ...entry, status: 'DUPLICATE', ...duplicate };
      return { ...entry, status: failed.has(String(item.index)) ? 'NOT_QUEUED' : 'QUEUED' };
    }),
  };
}

/**
 * The batch items that would start nothing (seed 4: duplicates are ignored), by index: a uid already seen
 * earlier in this batch, or a uid whose run has started (a resent batch). A uid that is claimed but whose run
 * has not started yet is queued again: its first message may still fail and be dead-lettered, and the worker's
 * dedupe makes a second delivery harmless.
 */
async function duplicatesOf(
  deps: InboundDeps,
  prepared: readonly { item: InboundItem; ref: RunRef | undefined }[],
): Promise<Map<number, { executionArn?: string }>> {
  const duplicates = new Map<number, { executionArn?: string }>();
  const firstByKey = new Map<string, number>();
  for (const { item, ref } of prepared) {
    if (item.uid === undefined) continue;
    if (firstByKey.has(ref!.dedupeKey)) duplicates.set(item.index!, {});
    else firstByKey.set(ref!.dedupeKey, item.index!);
  }
  const now = (deps.now ?? systemClock)();
  await Promise.all(
    [...firstByKey].map(async ([dedupeKey, index]) => {
      const run = (await deps.dedupe.get(dedupeKey, now))?.run;
      if (run !== undefined) duplicates.set(index, { executionArn: run.executionArn });
    }),
  );
  return duplicates;
}

/**
 * What the workflow sees: `$.stateValues.<state>` and `$.runtime.<field>` mirror seed 4's handlebars (a replay
 * builds it the same way: ./replay.ts).
 */
export function workflowInput(
  item: InboundItem,
  workflow: InboundWorkflowRecord,
  ref: RunRef | undefined,
  receivedAt: string,
  deliveryRef: DeliveryRef | undefined,
) {
  return {
    stateValues: item.stateValues,
    runtime: item.runtime,
    trigger: {
      style: 'inbound',
      workflow: workflow.name,
      workflowId: workflow.workflowId,
      uid: item.uid ?? null,
      runRef: ref?.runRef ?? null,
      ...(item.index === undefined ? {} : { batchIndex: item.index }),
      receivedAt,
      ...deliveryRef,
    },
  };
}

/** Every named workflow that exists, by the name or id the request used. */
export async function resolveWorkflows(registry: Registry, refs: readonly string[]) {
  const unique = [...new Set(refs)];
  const found = await Promise.all(unique.map(async (ref) => [ref, await readInboundWorkflow(registry, ref)] as const));
  return new Map(found.filter((entry): entry is readonly [string, InboundWorkflowRecord] => entry[1] !== undefined));
}

const where = (item: InboundItem) => (item.index === undefined ? '' : `batch[${item.index}]: `);
