import { randomUUID } from 'node:crypto';
import type { EarlyCallback, WaitStore, WorkflowEngine } from '../../core/ports';
import { TaskGoneError } from '../../core/ports';
import { ConflictError, type DomainError, EngineBusyError, GoneError, InProgressError } from '../../core/outcomes';
import { crashPoint } from '../../core/faults/crash-point';
import { type Clock, systemClock } from '../../core/clock';
import { closedRatherThanTimedOut, retryMayStillWrite } from './wait-rules';

export interface ResumeDeps {
  readonly waits: WaitStore;
  readonly engine: WorkflowEngine;
  readonly now?: Clock;
  /** How long a callback that arrives before its run waits is kept (EARLY_CALLBACK_TTL_SECONDS). */
  readonly earlyCallbackTtlSeconds: number;
  /**
   * How long a delivery's claim on a waiting task holds (CALLBACK_CLAIM_LEASE_SECONDS): a delivery whose
   * handler died between its claim and SendTaskSuccess is taken over by a retry after that.
   */
  readonly claimLeaseSeconds: number;
}

/**
 * The Retry-After an event gets when the task it would resume is being retried by its run (its wait's attempt
 * failed after storing its token; the retry writes a new one within the Retry's intervals, 2 s at first, at most
 * 64 s: workflows/wait-for-event-states.ts). Its sender's next try finds the retry's token, or the same answer again.
 */
export const RETRYING_WAIT_RETRY_AFTER_SECONDS = 5;

export type Resumption = { readonly output: unknown } | { readonly error: string; readonly cause: string };

/**
 * What became of a callback: it resumed the waiting task, or it is kept until the run waits, or nothing waits
 * (and it was not to be kept), or it was refused (a DeliveryRefusal). Every expected outcome is a value: the
 * caller decides what each means (the callback route answers 409/410, an event carries on with its runs).
 */
export type Delivery =
  | { readonly outcome: 'resumed'; readonly executionArn?: string; readonly replayed: boolean }
  | { readonly outcome: 'kept'; readonly expiresAt: string; readonly replayed: boolean }
  | { readonly outcome: 'nothing-waits' }
  | DeliveryRefusal;

/**
 * A callback that did not count: another one was kept or resumed the task first (`already-kept`,
 * `already-resumed`), the task no longer waits (`gone`: its token expired or Step Functions closed it), or
 * another delivery is resuming it right now (`in-progress`: retry after `retryAfterSeconds`).
 */
export type DeliveryRefusal =
  | { readonly outcome: 'already-kept' | 'already-resumed' | 'gone'; readonly message: string }
  | { readonly outcome: 'in-progress'; readonly message: string; readonly retryAfterSeconds: number };

export function isRefusal(delivery: Delivery): delivery is DeliveryRefusal {
  return ['already-kept', 'already-resumed', 'gone', 'in-progress'].includes(delivery.outcome);
}

/** The domain outcome a refusal is for a caller that answers it (outcome-to-http.ts maps it to 409/410). */
export function refusalError(refusal: DeliveryRefusal): DomainError {
  switch (refusal.outcome) {
    case 'already-kept':
    case 'already-resumed':
      return new ConflictError(refusal.message);
    case 'gone':
      return new GoneError(refusal.message);
    case 'in-progress':
      return new InProgressError(refusal.message, refusal.retryAfterSeconds);
  }
}

/**
 * Delivers a callback to the task run `ref` waits with on `topic`. Every step is one conditional write on the
 * wait item, so of two concurrent callbacks exactly one counts:
 * - a task waits: it is claimed (CLAIMED, with a lease), resumed, then marked RESUMED; if Step Functions is
 *   briefly unavailable the claim is given back; if the handler dies in between, the claim's lease runs out and
 *   a retry takes it over (`in-progress` until then), so a callback is never lost to a crash;
 * - nothing waits yet: the callback is kept (EARLY) until the run's wait begins and takes it, or it expires;
 * - already resumed, or a callback already kept: `already-resumed`/`already-kept`, unless this is the same
 *   callback again (same `eventId`), which gets the first one's answer;
 * - the task's token expired, or Step Functions says its task is over (TaskTimedOut, TaskDoesNotExist,
 *   InvalidToken): `gone`, naming it, unless a retry of the wait task has written a new token over the item
 *   meanwhile (the wait is marked expired only while it holds the dead token): then the next pass delivers to the
 *   retry's token. Or, closed before its timeout while a retry of its wait may still come (wait-rules.ts,
 *   `retryMayStillWrite`): kept in the dead token's place for that retry (an event: `in-progress`). Taking over a
 *   dead delivery's claim and hearing the task is closed means that delivery resumed it before it died: the task is
 *   marked RESUMED (by it).
 * Only failures (the wait store or Step Functions failing) are thrown.
 */
export async function deliverCallback(
  deps: ResumeDeps,
  ref: string,
  topic: string,
  result: Resumption,
  eventId?: string,
  options: { keepEarly: boolean } = { keepEarly: true },
): Promise<Delivery> {
  const now = () => (deps.now ?? systemClock)();
  const where = `run "${ref}" on topic "${topic}"`;
  const expired = (): DeliveryRefusal => ({
    outcome: 'gone',
    message: `the task of ${where} no longer waits: its token expired`,
  });
  const alreadyResumed = (): DeliveryRefusal => ({
    outcome: 'already-resumed',
    message: `the task of ${where} was already resumed`,
  });
  const same = (resumedBy: string | undefined) => eventId !== undefined && resumedBy === eventId;
  // The callback as kept for a wait that has not begun (or begins again): EARLY_CALLBACK_TTL_SECONDS from now.
  const keptEarly = (): EarlyCallback => ({
    callbackStatus: 'output' in result ? 'succeeded' : 'failed',
    output: 'output' in result ? result.output : { error: result.error, cause: result.cause },
    ...(eventId === undefined ? {} : { eventId }),
    expiresAt: new Date(now() + deps.earlyCallbackTtlSeconds * 1000),
  });
  const kept = (early: EarlyCallback): Delivery => ({
    outcome: 'kept',
    expiresAt: early.expiresAt.toISOString(),
    replayed: false,
  });

  // Each pass either answers or loses a race to another writer; the next pass sees what that writer did.
  for (let attempt = 0; attempt < 3; attempt++) {
    const task = await deps.waits.get(ref, topic);
    const leftover = task?.status === 'EARLY' && Date.parse(task.expiresAtIso ?? '') <= now();
    if (task === undefined || leftover) {
      if (!options.keepEarly) return { outcome: 'nothing-waits' };
      const early = keptEarly();
      if (await deps.waits.keepEarly(ref, topic, early, now())) return kept(early);
      continue;
    }
    switch (task.status) {
      case 'EARLY':
        if (same(task.resumedBy)) return { outcome: 'kept', expiresAt: task.expiresAtIso ?? '', replayed: true };
        return {
          outcome: 'already-kept',
          message: `a callback for ${where} is already kept until the run waits for it`,
        };
      case 'RESUMED':
        if (same(task.resumedBy)) {
          return {
            outcome: 'resumed',
            ...(task.executionArn === undefined ? {} : { executionArn: task.executionArn }),
            replayed: true,
          };
        }
        return alreadyResumed();
      case 'EXPIRED':
        return expired();
      case 'CLAIMED':
      case 'WAITING': {
        // A live claim: another delivery is resuming it. A claim whose lease ran out: its handler died between
        // its claim and the resume; take it over, as for a waiting task.
        if (task.status === 'CLAIMED' && (task.leaseUntil ?? 0) > now()) {
          return {
            outcome: 'in-progress',
            message: `a callback for ${where} is being delivered right now; retry shortly`,
            retryAfterSeconds: Math.max(1, Math.ceil(((task.leaseUntil ?? 0) - now()) / 1000)),
          };
        }
        const deadline = Date.parse(task.enteredTime ?? '') + (task.timeoutSeconds ?? 0) * 1000;
        if (Number.isFinite(deadline) && deadline <= now()) {
          // Not marked: a retry of the wait task wrote a new token meanwhile; look again.
          if (!(await deps.waits.markExpired(ref, topic, task.taskToken!))) continue;
          return expired();
        }
        const owner = randomUUID();
        const claimed = await deps.waits.claim(ref, topic, {
          owner,
          taskToken: task.taskToken!,
          ...(eventId === undefined ? {} : { eventId }),
          now: now(),
          leaseUntil: now() + deps.claimLeaseSeconds * 1000,
        });
        if (!claimed) continue;
        crashPoint('callback-claimed');
        const resumed = {
          outcome: 'resumed' as const,
          ...(task.executionArn === undefined ? {} : { executionArn: task.executionArn }),
        };
        try {
          await deps.engine.resumeTask(task.taskToken!, result);
        } catch (error) {
          if (error instanceof TaskGoneError) {
            const ownAttempt =
              error.afterUnansweredAttempt &&
              closedRatherThanTimedOut(task.stateEnteredTime, task.timeoutSeconds, now());
            if (error.reason === 'TaskTimedOut' && (task.status === 'CLAIMED' || ownAttempt)) {
              // Its wait has not timed out (checked above), yet the task is closed while its token is still the
              // wait's: the delivery that died resumed it before dying (CLAIMED), or this delivery's own first
              // attempt did, its answer lost (the SDK's retry then heard TaskTimedOut, before the task could have
              // timed out: wait-rules.ts). It counts. Not confirmed: a retry of the wait task wrote its own token
              // over this one meanwhile, which nothing has resumed: deliver to it, on the next pass.
              const by = task.status === 'CLAIMED' ? task.resumedBy : eventId;
              if (!(await deps.waits.confirm(ref, topic, owner, by))) continue;
              if (task.status !== 'CLAIMED') return { ...resumed, replayed: false };
              // The dead delivery's: this one is its retry (same event id) or too late.
              if (same(task.resumedBy)) return { ...resumed, replayed: true };
              return alreadyResumed();
            }
            if (
              error.reason === 'TaskTimedOut' &&
              closedRatherThanTimedOut(task.stateEnteredTime, task.timeoutSeconds, now()) &&
              retryMayStillWrite(task.retryWritesBy, now())
            ) {
              // Closed before its timeout, and by no callback (each claims first; a dead one's claim is the case
              // above): the wait's attempt failed after it stored this token (one of Lambda's service errors, or a
              // put that got no answer), and the state's Retry writes a new token soon; or the run ended. Until
              // that retry could have written (wait-rules.ts, retryWritesBy), the callback is kept in the dead
              // token's place, for the retry to take, as one that came before its wait. Marked expired, it was
              // refused 410 while its run still waited for it. An event, which is not kept, is asked to come
              // again. Not kept: the retry has written its own token meanwhile: deliver to it, on the next pass.
              if (!options.keepEarly) {
                await deps.waits.release(ref, topic, owner);
                return {
                  outcome: 'in-progress',
                  message: `the task of ${where} is being retried by its run; retry shortly`,
                  retryAfterSeconds: RETRYING_WAIT_RETRY_AFTER_SECONDS,
                };
              }
              const early = keptEarly();
              if (!(await deps.waits.keepEarlyInstead(ref, topic, owner, early))) continue;
              return kept(early);
            }
            // Not marked: the wait task failed this token's attempt and its retry has written a new token over it
            // (workflows/wait-for-event-states.ts, Retry). That task waits: deliver to it, on the next pass.
            if (!(await deps.waits.markExpired(ref, topic, task.taskToken!))) continue;
            return {
              outcome: 'gone',
              message: `the task of ${where} no longer waits (${error.reason}): ${goneReason[error.reason]}`,
            };
          }
          // Refused (every attempt: nothing went through), the claim goes back and the sender's retry resumes at
          // once. Unanswered, the resume may have gone through: the claim stays, as a dead delivery's does, and the
          // retry takes it over once its lease runs out (409 until then) and learns which (TaskTimedOut before the
          // timeout: it counts, above). Given back, the retry would find the task closed and hear 410.
          if (!(error instanceof EngineBusyError) || error.refused) await deps.waits.release(ref, topic, owner);
          throw error;
        }
        // If this write is lost (a crash), the claim's lease runs out and a retry finds the task closed: above.
        await deps.waits.confirm(ref, topic, owner, eventId);
        return { ...resumed, replayed: false };
      }
    }
  }
  return { outcome: 'in-progress', message: `callbacks for ${where} are racing; retry shortly`, retryAfterSeconds: 1 };
}

/** What Step Functions' SendTaskSuccess/SendTaskFailure errors mean for the sender of the callback. */
const goneReason: Record<TaskGoneError['reason'], string> = {
  TaskTimedOut: 'its token expired or its task was already closed',
  TaskDoesNotExist: 'its task does not exist any more',
  InvalidToken: 'the token it stored is not valid',
};
