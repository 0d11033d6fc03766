import type { WaitingTask } from '../../core/ports';

/**
 * The rules of a wait item's life (one item per run ref and topic: a waiting task, a callback kept early, or
 * their end state), stated once: the DynamoDB wait store (adapters/aws/dynamodb-wait-store.ts) writes each as a
 * condition expression, the in-memory wait store of the tests calls these very functions, and
 * test/unit/adapters/wait-store-contract.test.ts runs the same cases through both.
 *
 * `item` is the stored item as these rules see it: absent when there is none; a missing status means WAITING
 * (the workflow writes its wait without one); `expiresAt` is the TTL attribute in epoch seconds (DynamoDB's TTL
 * deletes late, so every rule checks expiry itself); `leaseUntil` is in epoch ms. `now` is epoch ms.
 */
export type WaitItem = Pick<WaitingTask, 'taskToken' | 'claimOwner' | 'leaseUntil' | 'enteredTime'> & {
  readonly status?: WaitingTask['status'];
  readonly expiresAt?: number;
};

const seconds = (nowMs: number) => Math.floor(nowMs / 1000);
const waiting = (item: WaitItem) => item.status === undefined || item.status === 'WAITING';

/** A delivery claims the task: it is waiting (or claimed by a delivery whose lease ran out), with this token. */
export function mayClaim(item: WaitItem | undefined, taskToken: string, nowMs: number): boolean {
  if (item === undefined || item.taskToken !== taskToken) return false;
  return waiting(item) || (item.status === 'CLAIMED' && (item.leaseUntil ?? 0) <= nowMs);
}

/** Only the delivery holding the claim marks the task resumed, or gives the claim back. */
export function holdsClaim(item: WaitItem | undefined, owner: string): boolean {
  return item?.status === 'CLAIMED' && item.claimOwner === owner;
}

/** A callback is kept early only where nothing live is: no item, or one past its expiry. */
export function mayKeepEarly(item: WaitItem | undefined, nowMs: number): boolean {
  return item === undefined || (item.expiresAt !== undefined && item.expiresAt < seconds(nowMs));
}

/** A callback kept early and not yet expired: a beginning wait takes it instead of waiting. */
export function isLiveEarly(item: WaitItem | undefined, nowMs: number): boolean {
  return item?.status === 'EARLY' && item.expiresAt !== undefined && item.expiresAt >= seconds(nowMs);
}

/**
 * A beginning wait stores its token (beginWait) unless:
 * - a live early callback holds the key (it takes that instead);
 * - the item already holds this very token in a callback's hands (claimed, resumed, or found dead): only the SDK's
 *   retry of the same put, after an attempt that landed and whose answer was lost, can find that, and writing
 *   WAITING over it would let the same callback again (or another) be delivered to a task that is closed, kept early
 *   for the retry that never comes (resume-task.ts), and taken twice by a later wait;
 * - the item holds a wait stored later than this one (`enteredTime`, the function's clock, ISO 8601, which orders as
 *   text): only a put that landed after its attempt had given it up (unanswered) and the state's retry had written
 *   its own can find that, and would put a dead token over the live one.
 */
export function mayBeginWait(
  item: WaitItem | undefined,
  wait: { readonly taskToken: string; readonly enteredTime: string },
  nowMs: number,
): boolean {
  if (item === undefined) return true;
  return (
    !isLiveEarly(item, nowMs) &&
    (item.taskToken !== wait.taskToken || waiting(item)) &&
    (item.enteredTime === undefined || item.enteredTime <= wait.enteredTime)
  );
}

/** A wait that took an early callback gives it back (its resume failed) only while it is still the taker's. */
export function mayReturnEarly(item: WaitItem | undefined): boolean {
  return item?.status === 'RESUMED';
}

/**
 * A task is marked expired from any state of a wait (not from a callback kept early, nor twice), and only the wait
 * whose token died: a retry of the wait task writes a new token over its failed attempt's item, and that one waits.
 */
export function mayMarkExpired(item: WaitItem | undefined, taskToken: string): boolean {
  return (
    item !== undefined &&
    item.taskToken === taskToken &&
    (waiting(item) || item.status === 'CLAIMED' || item.status === 'RESUMED')
  );
}

/**
 * How far before the task's own timeout a TaskTimedOut still proves the task was closed rather than timed out: the
 * clocks of Step Functions and Lambda may differ by this much (both keep to AWS's time sync within milliseconds; a
 * second is ample).
 */
export const TASK_CLOCK_MARGIN_MS = 1_000;

/**
 * Whether Step Functions' TaskTimedOut, heard at `nowMs`, means the task was closed (resumed, or its run ended)
 * rather than timed out. A token is used once, and a send to a closed task is refused with TaskTimedOut, "the task
 * token has either expired or the task associated with the token has already been closed"
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html, "Errors"). The timeout
 * is counted from the run's entry into the wait state (`$$.State.EnteredTime`,
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html), when the task's timeout
 * clock cannot yet have started, so the count errs early; less TASK_CLOCK_MARGIN_MS. Unknown entry: false.
 */
export function closedRatherThanTimedOut(
  stateEnteredTime: string | undefined,
  timeoutSeconds: number | undefined,
  nowMs: number,
): boolean {
  const entered = Date.parse(stateEnteredTime ?? '');
  if (!Number.isFinite(entered) || timeoutSeconds === undefined) return false;
  return nowMs < entered + timeoutSeconds * 1000 - TASK_CLOCK_MARGIN_MS;
}

/**
 * The wait state's Retry of Lambda's own service errors (workflows/wait-for-event-states.ts, LAMBDA_TRANSIENT_RETRY:
 * IntervalSeconds 2, BackoffRate 2, MaxAttempts 6, no JitterStrategy), the one Retry that can follow an attempt that
 * already stored its token: its longest wait before an attempt, 2 x 2^5 s. Step Functions waits IntervalSeconds
 * before the first retry and multiplies it by BackoffRate before each next one
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html, "Retrying after an error").
 * test/unit/styles/wait-rules.test.ts pins it to the Retry itself.
 */
export const LONGEST_WAIT_RETRY_INTERVAL_MS = 64_000;

/**
 * Lambda's Init phase, at most 10 s before the first invocation of a new execution environment
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html, "Init phase"): a retry's
 * invocation may start cold.
 */
export const LAMBDA_INIT_LIMIT_MS = 10_000;

/** What the two services' scheduling may add between a failed attempt and its retry's put (generous). */
export const RETRY_SCHEDULING_MARGIN_MS = 5_000;

/** One invocation of the wait function, as its Lambda context tells it at the handler's entry. */
export interface WaitInvocation {
  /** When it times out, epoch ms. */
  readonly endsAt: number;
  /** How long it may run: the time remaining at the handler's entry, about the function's timeout. */
  readonly lastsMs: number;
}

/**
 * The latest moment a retry of this wait attempt can have written its own token, computed by the attempt when it
 * stores its wait (the item's `retryWritesBy`, epoch ms). An attempt that stored its token can still fail with one
 * of Lambda's service errors (Lambda.ServiceException and the others of LAMBDA_TRANSIENT_RETRY), which the state
 * retries with a new token: that failure is known by the invocation's end; the retry follows within
 * LONGEST_WAIT_RETRY_INTERVAL_MS; its invocation may initialise (LAMBDA_INIT_LIMIT_MS) and then runs at most as
 * long as this one could before its put.
 */
export function retryWritesBy(invocation: WaitInvocation): number {
  return (
    invocation.endsAt +
    LONGEST_WAIT_RETRY_INTERVAL_MS +
    LAMBDA_INIT_LIMIT_MS +
    invocation.lastsMs +
    RETRY_SCHEDULING_MARGIN_MS
  );
}

/**
 * Whether a waiting task whose token is dead (TaskTimedOut before its timeout, closed by no callback) may still be
 * retried with a new token: until its item's `retryWritesBy`. After it (or for an item without one: written before
 * it was stored, or by an attempt that did not know its invocation's end), the run is not retrying that wait: it
 * ended, or it went on without it.
 */
export function retryMayStillWrite(retryWritesByMs: number | undefined, nowMs: number): boolean {
  return retryWritesByMs !== undefined && nowMs < retryWritesByMs;
}
