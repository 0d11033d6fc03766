import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from '../../core/zod';
import { canonicalRef } from '../../core/uuid';
import { describeInvalid } from '../../core/invalid-input';
import type { EarlyCallback, WaitStore, WorkflowEngine } from '../../core/ports';
import { type Clock, systemClock } from '../../core/clock';
import { EngineBusyError } from '../../core/outcomes';

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
 * DynamoDB or Step Functions was busy and this attempt of the wait left nothing behind: its write was refused on
 * every attempt, or the early callback it took is kept again as it was. The wait state retries this name
 * (workflows/wait-for-event-states.ts, `WAIT_BUSY_RETRY`) with a new token; every other failure of the function
 * fails the task, because an attempt that may have written its wait or taken a callback cannot be replaced safely
 * (docs/waits.md, "What fails the task, and what is retried").
 */
export class WaitBusyError extends Error {
  override readonly name = 'WaitForEvent.Busy';
}

/** `error` from a busy dependency that did nothing: the attempt may be retried as if it never ran. */
const retryableIfRefused = (error: unknown): unknown =>
  error instanceof EngineBusyError && error.refused ? busy(error) : error;

const busy = (error: Error) =>
  new WaitBusyError(`${error.message} (nothing of this attempt remains; the wait retries)`, { cause: error });

export type WaitBegun =
  | { readonly outcome: 'waiting'; readonly expiresAt: number }
  | { readonly outcome: 'took-early'; readonly callbackStatus: EarlyCallback['callbackStatus'] };

/**
 * A run begins waiting on `ref` + `topic`: store its task token for the callback handler, unless a callback
 * came first, in which case take that callback and complete the task with it now (its failure becomes the
 * task's error and cause, exactly as a callback on a waiting task would). Each step is one conditional write,
 * so a callback racing this wait either finds the token or is found here, never neither.
 */
export async function beginWait(deps: WaitForEventDeps, input: WaitForEventInput): Promise<WaitBegun> {
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
          expiresAt,
        },
        now,
      )
      // A put that may have been written (unanswered) is not retried: a callback could claim its token meanwhile.
      .catch((error: unknown) => Promise.reject(retryableIfRefused(error)));
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
    try {
      await deps.engine.resumeTask(
        input.taskToken,
        early.callbackStatus === 'succeeded'
          ? { output: early.output }
          : {
              error: typeof failure?.error === 'string' ? failure.error : 'Callback.Failed',
              cause: typeof failure?.cause === 'string' ? failure.cause : JSON.stringify(early.output),
            },
      );
    } catch (error) {
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

/** The Lambda handler behind the wait task (handlers/wait-for-event.ts). */
export function makeWaitForEventHandler(deps: WaitForEventDeps & { readonly logger: Logger }) {
  return async (event: unknown): Promise<WaitBegun> => {
    const parsed = payloadSchema.safeParse(event);
    if (!parsed.success) {
      throw new WaitInputError(`invalid wait payload: ${describeInvalid(parsed.error, event)}`);
    }
    const begun = await beginWait(deps, parsed.data);
    // The token is a capability: never logged.
    deps.logger.info('wait begun', { ref: parsed.data.ref, topic: parsed.data.topic, ...begun });
    return begun;
  };
}
