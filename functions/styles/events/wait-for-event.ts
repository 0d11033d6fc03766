import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from '../../core/zod';
import { canonicalRef } from '../../core/uuid';
import { describeInvalid } from '../../core/invalid-input';
import { type EarlyCallback, TaskGoneError, type WaitStore, type WorkflowEngine } from '../../core/ports';
import { type Clock, systemClock } from '../../core/clock';
import { EngineBusyError } from '../../core/outcomes';
import { type Deadline, deadlineAt } from '../../http/http-handler';
import { type WaitInvocation, closedRatherThanTimedOut, retryWritesBy } from './wait-rules';

export interface WaitForEventDeps {
  readonly waits: WaitStore;
  readonly engine: WorkflowEngine;
  readonly now?: Clock;
  /** WAIT_ITEM_GRACE_SECONDS: how long a wait item outlives its timeout before DynamoDB's TTL removes it. */
  readonly graceSeconds: number;
}

/**
 * What the wait task sends (workflows/wait-for-event-states.ts builds it from the context object). A ref or
 * topic holds no "#": it is part of the item's key, as the callback route requires too.
 */
const payloadSchema = z.object({
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html: 1 to 2048 characters.
  taskToken: z.string().check(z.minLength(1), z.maxLength(2048)),
  // Stored as the callback route looks it up: a UUID in lower case (core/uuid.ts).
  ref: z.pipe(
    z.string().check(z.minLength(1), z.maxLength(256), z.regex(/^[^#]+$/)),
    z.transform((value: string) => canonicalRef(value)),
  ),
  topic: z.string().check(z.minLength(1), z.maxLength(256), z.regex(/^[^#]+$/)),
  timeoutSeconds: z.number().check(z.int(), z.positive()),
  executionArn: z.string().check(z.minLength(1)),
  // $$.State.EnteredTime: when the run entered the wait state, before this attempt began. Optional: a definition
  // deployed before it was sent (a run already under way during an update) leaves it out.
  enteredTime: z.optional(z.string().check(z.iso.datetime())),
});
export type WaitForEventInput = z.infer<typeof payloadSchema>;

/**
 * The wait task's payload was not what the state machine definition sends: the run fails with this name (a
 * Lambda function error reaches Step Functions under its `name`), never with a generic one.
 */
export class WaitInputError extends Error {
  override readonly name = 'WaitForEvent.InvalidInput';
}

/**
 * Early callbacks kept appearing and going between the wait's two writes, three times over: the task fails under
 * this name rather than a bare `Error`, which a workflow may match.
 */
export class WaitContendedError extends Error {
  override readonly name = 'WaitForEvent.Contended';
}

/**
 * DynamoDB or Step Functions was busy and this attempt of the wait left nothing behind that a retry cannot replace:
 * its write was refused on every attempt, or the early callback it took is kept again as it was, or its put got no
 * answer and a callback that finds what it stored is kept for the retry (docs/waits.md, "What fails the task, and
 * what is retried"). The wait state retries this name
 * (workflows/wait-for-event-states.ts, `WAIT_BUSY_RETRY`) with a new token; every other failure of the function
 * fails the task, because an attempt that may have taken a callback (or written its wait where a callback could not
 * be kept for the retry) cannot be replaced safely.
 */
export class WaitBusyError extends Error {
  override readonly name = 'WaitForEvent.Busy';
}

/** `error` from a busy dependency that did nothing: the attempt may be retried as if it never ran. */
const retryableIfRefused = (error: unknown): unknown =>
  error instanceof EngineBusyError && error.refused ? busy(error) : error;

const busy = (error: Error, why = 'nothing of this attempt remains') =>
  new WaitBusyError(`${error.message} (${why}; the wait retries)`, { cause: error });

/**
 * How many times an unanswered resume is sent again to learn whether it closed the task (`closedByThisAttempt`). Each
 * send is one SDK call with its own attempts; all of them end at the invocation's deadline (ANSWER_RESERVE_MS
 * before the Lambda timeout), which leaves the reserve for giving the callback back.
 */
export const RESUME_RESENDS = 2;

/** Runs work with its AWS calls cut short at the invocation's deadline (`Deadline.within`, bound to it). */
export type WithinInvocation = <T>(work: () => Promise<T>) => Promise<{ done: true; value: T } | { done: false }>;

export type WaitBegun =
  | { readonly outcome: 'waiting'; readonly expiresAt: number }
  | { readonly outcome: 'took-early'; readonly callbackStatus: EarlyCallback['callbackStatus'] };

/**
 * A run begins waiting on `ref` + `topic`: store its task token for the callback handler, unless a callback
 * came first, in which case take that callback and complete the task with it now (its failure becomes the
 * task's error and cause, exactly as a callback on a waiting task would). Each step is one conditional write,
 * so a callback racing this wait either finds the token or is found here, never neither.
 */
export async function beginWait(
  deps: WaitForEventDeps,
  input: WaitForEventInput,
  within?: WithinInvocation,
  invocation?: WaitInvocation,
): Promise<WaitBegun> {
  const now = (deps.now ?? systemClock)();
  const nowSeconds = Math.floor(now / 1000);
  // The item must outlive the token (timeout) so a late callback gets 410; then TTL may delete it.
  const expiresAt = nowSeconds + input.timeoutSeconds + deps.graceSeconds;
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await deps.waits
      .beginWait(
        {
          ref: input.ref,
          topic: input.topic,
          taskToken: input.taskToken,
          executionArn: input.executionArn,
          // Never earlier than the task's own timeout clock: the callback handler's deadline then errs late, and
          // Step Functions itself answers TaskTimedOut (410) past the real one.
          enteredTime: new Date(now).toISOString(),
          timeoutSeconds: input.timeoutSeconds,
          // What a callback that hears TaskTimedOut needs to tell a closed task from a timed-out one (resume-task.ts).
          ...(input.enteredTime === undefined ? {} : { stateEnteredTime: input.enteredTime }),
          // How long a callback that finds this token dead before its timeout keeps itself for a retry of this
          // attempt (resume-task.ts): this attempt may still fail, retried, with one of Lambda's service errors or
          // with this very put unanswered (below).
          ...(invocation === undefined ? {} : { retryWritesBy: retryWritesBy(invocation) }),
          expiresAt,
        },
        now,
      )
      // A put that may have been written (unanswered) is retried only where its item says when the state was entered
      // and until when a retry may write (retryWritesBy): a callback that claims its token meanwhile hears
      // TaskTimedOut and is kept for the retry, which takes it (resume-task.ts). Without those, that callback would
      // hear 410 and the retry's wait replace it: the task fails as it is.
      .catch((error: unknown) =>
        Promise.reject(
          error instanceof EngineBusyError &&
            !error.refused &&
            invocation !== undefined &&
            input.enteredTime !== undefined
            ? busy(error, 'whatever this attempt stored, the retry replaces; a callback meanwhile is kept for it')
            : retryableIfRefused(error),
        ),
      );
    if (stored) return { outcome: 'waiting', expiresAt };
    const early = await deps.waits
      .takeEarly(input.ref, input.topic, {
        executionArn: input.executionArn,
        now,
        retainUntil: nowSeconds + deps.graceSeconds,
      })
      // A take that may have gone through (unanswered) is not retried: the retry's wait would replace the callback.
      .catch((error: unknown) => Promise.reject(retryableIfRefused(error)));
    // It expired or another wait took it between the two writes: the key is free again.
    if (early === undefined) continue;
    const failure = early.output as { error?: unknown; cause?: unknown } | null;
    const result =
      early.callbackStatus === 'succeeded'
        ? { output: early.output }
        : {
            error: typeof failure?.error === 'string' ? failure.error : 'Callback.Failed',
            cause: typeof failure?.cause === 'string' ? failure.cause : JSON.stringify(early.output),
          };
    try {
      await deps.engine.resumeTask(input.taskToken, result);
    } catch (error) {
      // Unanswered, the resume may have completed the task: giving the callback back would let a later wait on
      // this ref and topic (a loop) take it a second time. Settled here when it can be.
      if (await closedByThisAttempt(deps, input, result, error, within)) {
        return { outcome: 'took-early', callbackStatus: early.callbackStatus };
      }
      // Not lost: the callback is kept again for the wait's retry (or a later wait on the same ref and topic). If
      // giving it back fails, that error fails the task: not retried, as the retry's wait would replace the callback.
      await deps.waits.returnEarly(input.ref, input.topic, early);
      // Kept again as it was, so this attempt left nothing behind: busy is retried, whether or not the resume went
      // through (if it did, the task is complete and this error is ignored). A token that is gone, or a refusal of
      // the callback's result, would fail every retry the same way: those fail the task as they are.
      throw error instanceof EngineBusyError ? busy(error) : error;
    }
    return { outcome: 'took-early', callbackStatus: early.callbackStatus };
  }
  throw new WaitContendedError(`callbacks for run "${input.ref}" on topic "${input.topic}" kept racing the wait`);
}

/**
 * Whether this attempt's resume, which failed, closed its task after all. A token is used once, so a send to a
 * closed task hears TaskTimedOut, which before the task's own timeout means it was closed: by this attempt's own
 * earlier send (or by the run's end). wait-rules.ts (`closedRatherThanTimedOut`) states when that holds, counted
 * from the run's entry into the state. Two failures can be settled:
 * - TaskTimedOut after an unanswered attempt of the same call (the SDK's retry heard it): closed by that attempt.
 * - Unanswered (busy, not refused): the same result is sent again, at most RESUME_RESENDS times within the
 *   invocation. It either completes the task now (the first did not) or hears TaskTimedOut (above).
 * Anything else (refused, still busy, past that time, out of time, no entry time, or no deadline to bound the
 * sends) leaves it unknown: false, and the callback is given back as before.
 */
async function closedByThisAttempt(
  deps: WaitForEventDeps,
  input: WaitForEventInput,
  result: Parameters<WorkflowEngine['resumeTask']>[1],
  error: unknown,
  within: WithinInvocation | undefined,
): Promise<boolean> {
  if (input.enteredTime === undefined) return false;
  const clock = deps.now ?? systemClock;
  const closedEarly = (gone: TaskGoneError) =>
    gone.reason === 'TaskTimedOut' && closedRatherThanTimedOut(input.enteredTime, input.timeoutSeconds, clock());
  if (error instanceof TaskGoneError) return error.afterUnansweredAttempt && closedEarly(error);
  if (!(error instanceof EngineBusyError) || error.refused || within === undefined) return false;
  for (let send = 0; send < RESUME_RESENDS; send++) {
    const sent = await within(() =>
      deps.engine.resumeTask(input.taskToken, result).then(
        () => 'closed' as const,
        (again: unknown) => {
          if (again instanceof TaskGoneError) return closedEarly(again) ? ('closed' as const) : ('unknown' as const);
          return again instanceof EngineBusyError ? ('busy' as const) : ('unknown' as const);
        },
      ),
    );
    if (!sent.done || sent.value === 'unknown') return false;
    if (sent.value === 'closed') return true;
  }
  return false;
}

/** The invocation's calls, cut short at its deadline: none where no deadline is wired or it is off. */
function withinInvocation(
  deadline: Pick<Deadline, 'reserveMs' | 'within'> | undefined,
  invocation: WaitInvocation | undefined,
): WithinInvocation | undefined {
  const at = invocation === undefined ? undefined : deadlineAt(deadline, invocation.endsAt);
  if (at === undefined) return undefined;
  return (work) => (at > Date.now() ? deadline!.within(at, work) : Promise.resolve({ done: false }));
}

/** The Lambda handler behind the wait task (handlers/wait-for-event.ts). */
export function makeWaitForEventHandler(
  deps: WaitForEventDeps & { readonly logger: Logger; readonly deadline?: Pick<Deadline, 'reserveMs' | 'within'> },
) {
  return async (event: unknown, context?: { getRemainingTimeInMillis?(): number }): Promise<WaitBegun> => {
    const parsed = payloadSchema.safeParse(event);
    if (!parsed.success) {
      throw new WaitInputError(`invalid wait payload: ${describeInvalid(parsed.error, event)}`);
    }
    const remainingMs = context?.getRemainingTimeInMillis?.();
    const invocation =
      remainingMs === undefined ? undefined : { endsAt: Date.now() + remainingMs, lastsMs: remainingMs };
    const begun = await beginWait(deps, parsed.data, withinInvocation(deps.deadline, invocation), invocation);
    // The token is a capability: never logged.
    deps.logger.info('wait begun', { ref: parsed.data.ref, topic: parsed.data.topic, ...begun });
    return begun;
  };
}
