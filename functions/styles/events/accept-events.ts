import type { CloudEvent } from 'cloudevents';
import type { Registry, WorkQueue } from '../../core/ports';
import {
  EVENT_WHEN_BUSY_DEFAULT,
  type EventWorkflowRecord,
  readEventSubscribers,
  readEventWorkflow,
} from './registration';
import { NotFoundError } from '../../core/outcomes';
import { deliveryNaming, keepsWhenBusy } from '../../core/runs/queue-when-busy';
import { type BusyStart, keepBusyStart } from '../../core/runs/keep-busy-start';
import type { Delivery, DeliveryRef } from '../../core/deliveries/recorder';
import type { StartRun, StartedRun } from '../../core/runs/start-run';
import { type ClaimCheck, withoutBodyStore } from '../../core/runs/claim-check';
import type { SignedRequest } from '../../core/verify/verify-signature';
import { compositeKey } from '../../core/keys';
import { type RegistrationVerifyDeps, startVerified, verifyRegistration } from '../../core/verify/verify-registration';
import { type ResumeDeps, deliverCallback, refusalError } from './resume-task';

export interface EventsDeps extends ResumeDeps, RegistrationVerifyDeps {
  readonly registry: Registry;
  readonly startRun: StartRun;
  readonly executionLink: (executionArn: string) => string;
  /** Large bodies: the run gets a reference to the stored body (functions/core/runs/claim-check.ts). */
  readonly claimCheck?: ClaimCheck;
  /** The fan-out queue: a start the engine was too busy to make is kept there (whenBusy: queue). Absent: 503. */
  readonly queue?: WorkQueue;
}

/**
 * `POST /api/v2/webhook?ref=` kept while the engine was busy (docs/deliveries.md, "Queue when busy"): `runRef` is
 * the execution name the queued start will use, fixed already (the claim stays, or the delivery names the run).
 */
export interface QueuedByRef {
  readonly queued: true;
  readonly deliveryId: string;
  readonly workflow: string;
  readonly runRef: string;
}

/** A CloudEvent's start kept while the engine was busy (whenBusy: queue): `runRef` names the run it will be. */
interface QueuedStart {
  readonly queued: true;
  readonly workflow: string;
  readonly runRef: string;
}

export interface StartedByRef {
  readonly workflow: string;
  readonly runRef: string;
  readonly executionId: string;
  readonly executionLink: string;
  readonly replayed: boolean;
}

const trigger = (style: string, ref: string | undefined, receivedAt: string, delivery?: DeliveryRef) => ({
  style,
  ...(ref === undefined ? {} : { ref }),
  receivedAt,
  ...delivery,
});

/** What a workflow started by ref gets (a replay builds it the same way: ./replay.ts). */
export const webhookRunInput = (ref: string, payload: unknown, receivedAt: string, delivery?: DeliveryRef) => ({
  payload,
  trigger: trigger('webhook', ref, receivedAt, delivery),
});

/** The claim of a call with an Idempotency-Key, scoped to the workflow's ref. */
export const webhookDedupe = (ref: string, idempotency: { idempotencyKey: string; fingerprint: string }) => ({
  key: compositeKey('event-webhook', ref, idempotency.idempotencyKey),
  fingerprint: idempotency.fingerprint,
});

/** POST /api/v2/webhook?ref=: starts workflow `ref` with the payload (404 for an unknown ref). */
export async function startByRef(
  deps: EventsDeps,
  ref: string,
  payload: Record<string, unknown>,
  signed?: SignedRequest,
  idempotency?: { idempotencyKey: string; fingerprint: string },
  body?: { readonly raw: Buffer; readonly contentType?: string },
  delivery?: Delivery,
): Promise<StartedByRef | QueuedByRef> {
  const workflow = await readEventWorkflow(deps.registry, ref);
  if (workflow === undefined) throw new NotFoundError(`no workflow has ref "${ref}"`);
  delivery?.resolved({ style: 'events', registration: ref, record: workflow.recordDeliveries !== false });
  const verified = await verifyRegistration(deps, `event-workflow#${ref}`, workflow.verifier, signed);
  const receivedAt = new Date().toISOString();
  // Queue when busy: the run's name is fixed before the start, so a queued answer can give its runRef. Keyed, the
  // claim stays when the engine refuses (the queued start takes it over after its lease, under the same name);
  // unkeyed, the delivery names the run (both starts ask for the same name).
  const queues =
    (workflow.whenBusy ?? EVENT_WHEN_BUSY_DEFAULT) === 'queue' && deps.queue !== undefined && delivery !== undefined;
  const dedupe = idempotency === undefined ? undefined : webhookDedupe(ref, idempotency);
  const naming =
    dedupe === undefined && queues ? deliveryNaming(delivery!.id, delivery!.receipt.receivedAtMs) : undefined;
  return startVerified(deps, verified, async (): Promise<StartedByRef | QueuedByRef> => {
    const input = await (deps.claimCheck ?? withoutBodyStore)({
      payload,
      build: (p) => webhookRunInput(ref, p, receivedAt, delivery?.ref()),
      // Callers without the raw bytes (none in the handlers) store the payload as JSON.
      raw: body?.raw ?? (() => Buffer.from(JSON.stringify(payload), 'utf8')),
      ...(body?.contentType === undefined ? {} : { contentType: body.contentType }),
    });
    const started = await startOrQueue(
      deps,
      queues,
      async () =>
        deps.startRun({
          target: workflow,
          input,
          ...(naming === undefined ? {} : { naming }),
          ...(dedupe === undefined
            ? {}
            : { dedupe: { ...dedupe, delivery: await delivery?.forClaim(202), keepClaimWhenBusy: queues } }),
        }),
      { target: workflow, input, ...(dedupe === undefined ? { naming: naming! } : { dedupe }) },
      delivery,
    );
    if ('queuedAs' in started) {
      return { queued: true, deliveryId: delivery!.id, workflow: workflow.ref, runRef: started.queuedAs };
    }
    delivery?.ran({ executionArn: started.run.executionArn });
    if (started.replayed) delivery?.deduplicated();
    return startedOf(deps, workflow, started.run.executionArn, started.replayed);
  });
}

export interface EventOutcome {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly started: readonly StartedByRef[];
  /**
   * Starts the busy engine refused, kept for the fan-out worker (whenBusy: queue; absent when none): `runRef` is the
   * execution name the queued start uses, fixed by the event's claim.
   */
  readonly queued?: readonly { readonly workflow: string; readonly runRef: string }[];
  /** Whether a task of run `ref` waiting on this event's type was resumed by it. */
  readonly resumed: boolean;
}

/**
 * POST /api/v2/event: the request's CloudEvents, each as acceptEvent takes it. First, every workflow subscribed
 * to one of them must pass its verifier (scripts/set-verifier.ts), as `POST /api/v2/webhook?ref=` does: the
 * signature covers the whole request, so each workflow is checked once, and a failure (401, or 409 for a
 * replay) starts nothing at all, not even the runs of subscribers without a verifier.
 */
export async function acceptEvents(
  deps: EventsDeps,
  ref: string | undefined,
  events: readonly CloudEvent[],
  signed: SignedRequest,
  delivery?: Delivery,
): Promise<EventOutcome[]> {
  const refs = new Set<string>();
  let recorded = false;
  // Read once per event and handed to acceptEvent: the workflows started are exactly those whose verifiers were
  // checked below. Read again there, a workflow subscribed in between (or a cache entry expiring in between) would
  // start without its verifier having seen this request.
  const subscribers: (readonly EventWorkflowRecord[])[] = [];
  for (const event of events) {
    const ofEvent = await subscribersOf(deps, ref, event.type);
    subscribers.push(ofEvent);
    for (const workflow of ofEvent) {
      refs.add(workflow.ref);
      recorded ||= workflow.recordDeliveries !== false;
    }
  }
  // Known when some workflow subscribes to its events: recorded under `ref`, or the subscribers' refs, unless every
  // subscriber turned recording off (a subscription item copies its workflow's item).
  if (refs.size > 0) {
    delivery?.resolved({ style: 'events', registration: ref ?? [...refs].sort().join(','), record: recorded });
  }
  for (const subscriber of refs) {
    // The subscription item is a copy; the verifier is set on the workflow's own item.
    const workflow = await readEventWorkflow(deps.registry, subscriber);
    await verifyRegistration(deps, `event-workflow#${subscriber}`, workflow?.verifier, signed);
  }
  const outcomes: EventOutcome[] = [];
  for (const [i, event] of events.entries())
    outcomes.push(await acceptEvent(deps, ref, event, subscribers[i]!, delivery));
  return outcomes;
}

const subscribersOf = async (deps: EventsDeps, ref: string | undefined, type: string) =>
  (await readEventSubscribers(deps.registry, type)).filter((workflow) => ref === undefined || workflow.ref === ref);

/**
 * One CloudEvent (its `subscribers`, read by acceptEvents, whose verifiers it checked): starts every workflow subscribed to its type (only `ref`'s, when given), deduped on the
 * event's source and id (CloudEvents makes that pair unique, so a redelivered event starts nothing new), and
 * resumes the task of run `ref` waiting on the event's type, with the event as the task's output.
 */
async function acceptEvent(
  deps: EventsDeps,
  ref: string | undefined,
  event: CloudEvent,
  subscribers: readonly EventWorkflowRecord[],
  delivery?: Delivery,
): Promise<EventOutcome> {
  const body = event.toJSON();
  const receivedAt = new Date().toISOString();
  const outcomes = await Promise.all(
    subscribers.map(async (workflow): Promise<StartedByRef | QueuedStart> => {
      // Queue when busy (docs/deliveries.md), as startByRef: the claim below names the run, so a busy engine keeps it
      // (keepClaimWhenBusy) and the queued start takes it over after its lease, under the same name.
      const queues =
        (workflow.whenBusy ?? EVENT_WHEN_BUSY_DEFAULT) === 'queue' &&
        deps.queue !== undefined &&
        delivery !== undefined;
      // CloudEvents: source + id identify an event, so a redelivery is the same event whatever else differs.
      const dedupe = { key: compositeKey('event', event.source, event.id, workflow.ref), fingerprint: 'cloudevent' };
      // A large event keeps its attributes; the reference stands in for its `data` (the payload), and the stored
      // object holds the data as this run would have got it.
      const input = await (deps.claimCheck ?? withoutBodyStore)({
        payload: body.data,
        build: (data) => ({ event: { ...body, data }, trigger: trigger('event', ref, receivedAt, delivery?.ref()) }),
        // Written only for an input over the limit: else a second JSON.stringify of the data, for nothing.
        raw: () => dataBytes(body.data),
        ...(event.datacontenttype === undefined ? {} : { contentType: event.datacontenttype }),
      });
      // One request, many claims: none carries the delivery's record, so the message does (recordApart).
      const started = await startOrQueue(
        deps,
        queues,
        () => deps.startRun({ target: workflow, input, dedupe: { ...dedupe, keepClaimWhenBusy: queues } }),
        { target: workflow, input, dedupe, recordApart: true },
        delivery,
      );
      if ('queuedAs' in started) return { queued: true, workflow: workflow.ref, runRef: started.queuedAs };
      const { run, replayed } = started;
      delivery?.ran({ executionArn: run.executionArn });
      if (replayed) delivery?.deduplicated();
      return startedOf(deps, workflow, run.executionArn, replayed);
    }),
  );
  const started = outcomes.filter((outcome): outcome is StartedByRef => !('queued' in outcome));
  const queued = outcomes.filter((outcome): outcome is QueuedStart => 'queued' in outcome);
  let resumed = false;
  if (ref !== undefined) {
    // An event names its run only loosely (ref may be a workflow's ref): it resumes a task that waits, and
    // is not kept for one that may wait later (callbacks are). Its source + id make a redelivery a no-op.
    const delivery = await deliverCallback(
      deps,
      ref,
      event.type,
      { output: body },
      compositeKey('callback-id', event.source, event.id),
      { keepEarly: false },
    );
    // Already resumed by another callback, or expired: the event may still have started runs. Another delivery
    // resuming the task right now: the sender retries (the runs it started are deduped on source + id).
    if (delivery.outcome === 'in-progress') throw refusalError(delivery);
    resumed = delivery.outcome === 'resumed';
  }
  return {
    id: event.id,
    type: event.type,
    source: event.source,
    started,
    ...(queued.length === 0 ? {} : { queued: queued.map(({ workflow, runRef }) => ({ workflow, runRef })) }),
    resumed,
  };
}

/**
 * Queue when busy (docs/deliveries.md): `start`, or, when it met a busy engine and the workflow queues, the start kept
 * on the fan-out queue (keepBusyStart), answered with the name of the run it will be (`queuedAs`).
 */
async function startOrQueue(
  deps: EventsDeps,
  queues: boolean,
  start: () => Promise<StartedRun>,
  kept: Omit<BusyStart, 'style' | 'delivery'>,
  delivery: Delivery | undefined,
): Promise<StartedRun | { readonly queuedAs: string }> {
  try {
    return await start();
  } catch (error) {
    if (!queues || !keepsWhenBusy(error, 'queue', delivery?.id)) throw error;
    return { queuedAs: await keepBusyStart(deps.queue!, error, { style: 'events', ...kept, delivery: delivery! }) };
  }
}

function startedOf(
  deps: EventsDeps,
  workflow: EventWorkflowRecord,
  executionArn: string,
  replayed: boolean,
): StartedByRef {
  return {
    workflow: workflow.ref,
    // The run's ref is its execution name: what a waiting task stores, and what a callback names.
    runRef: executionArn.split(':')[7] ?? executionArn,
    executionId: executionArn,
    executionLink: deps.executionLink(executionArn),
    replayed,
  };
}

/** An event's data as bytes: binary data as it is, text as UTF-8, anything else as JSON (numbers as sent). */
function dataBytes(data: unknown): Buffer {
  if (data instanceof Uint8Array) return Buffer.from(data);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(JSON.stringify(data ?? null), 'utf8');
}
