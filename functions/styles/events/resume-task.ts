import type { WaitStore, WorkflowEngine } from '../../core/ports';
import { TaskGoneError } from '../../core/ports';
import { ConflictError, GoneError } from '../../core/http/errors';

export interface ResumeDeps {
  readonly waits: WaitStore;
  readonly engine: WorkflowEngine;
  readonly now?: () => number;
  /** How long a callback that arrives before its run waits is kept (EARLY_CALLBACK_TTL_SECONDS). */
  readonly earlyCallbackTtlSeconds: number;
}

export type Resumption = { readonly output: unknown } | { readonly error: string; readonly cause: string };

/** What became of a callback: it resumed the waiting task, or it is kept until the run waits. */
export type Delivery =
  | { readonly outcome: 'resumed'; readonly executionArn?: string; readonly replayed: boolean }
  | { readonly outcome: 'kept'; readonly expiresAt: string; readonly replayed: boolean }
  | { readonly outcome: 'nothing-waits' };

/**
 * Delivers a callback to the task run `ref` waits with on `topic`. Every step is one conditional write on the
 * wait item, so of two concurrent callbacks exactly one counts:
 * - a task waits: it is claimed and resumed (if Step Functions is briefly unavailable the claim is given back);
 * - nothing waits yet: the callback is kept (EARLY) until the run's wait begins and takes it, or it expires;
 * - already resumed, or a callback already kept: 409, unless this is the same callback again (same `eventId`),
 *   which gets the first one's answer;
 * - the task's token expired: 410.
 */
export async function deliverCallback(
  deps: ResumeDeps,
  ref: string,
  topic: string,
  result: Resumption,
  eventId?: string,
  options: { keepEarly: boolean } = { keepEarly: true },
): Promise<Delivery> {
  const now = () => (deps.now ?? Date.now)();
  const where = `run "${ref}" on topic "${topic}"`;
  const expired = () => new GoneError(`the task of ${where} no longer waits: its token expired`);
  const same = (resumedBy: string | undefined) => eventId !== undefined && resumedBy === eventId;

  // Each pass either answers or loses a race to another writer; the next pass sees what that writer did.
  for (let attempt = 0; attempt < 3; attempt++) {
    const task = await deps.waits.get(ref, topic);
    const leftover = task?.status === 'EARLY' && Date.parse(task.expiresAtIso ?? '') <= now();
    if (task === undefined || leftover) {
      if (!options.keepEarly) return { outcome: 'nothing-waits' };
      const expiresAt = new Date(now() + deps.earlyCallbackTtlSeconds * 1000);
      const kept = await deps.waits.keepEarly(ref, topic, {
        callbackStatus: 'output' in result ? 'succeeded' : 'failed',
        output: 'output' in result ? result.output : { error: result.error, cause: result.cause },
        ...(eventId === undefined ? {} : { eventId }),
        expiresAt,
      });
      if (kept) return { outcome: 'kept', expiresAt: expiresAt.toISOString(), replayed: false };
      continue;
    }
    switch (task.status) {
      case 'EARLY':
        if (same(task.resumedBy)) return { outcome: 'kept', expiresAt: task.expiresAtIso ?? '', replayed: true };
        throw new ConflictError(`a callback for ${where} is already kept until the run waits for it`);
      case 'RESUMED':
        if (same(task.resumedBy)) {
          return {
            outcome: 'resumed',
            ...(task.executionArn === undefined ? {} : { executionArn: task.executionArn }),
            replayed: true,
          };
        }
        throw new ConflictError(`the task of ${where} was already resumed`);
      case 'EXPIRED':
        throw expired();
      case 'WAITING': {
        const deadline = Date.parse(task.enteredTime ?? '') + (task.timeoutSeconds ?? 0) * 1000;
        if (Number.isFinite(deadline) && deadline <= now()) {
          await deps.waits.markExpired(ref, topic);
          throw expired();
        }
        if (!(await deps.waits.claim(ref, topic, eventId))) continue;
        try {
          await deps.engine.resumeTask(task.taskToken!, result);
        } catch (error) {
          if (error instanceof TaskGoneError) {
            await deps.waits.markExpired(ref, topic);
            throw expired();
          }
          await deps.waits.release(ref, topic);
          throw error;
        }
        return {
          outcome: 'resumed',
          ...(task.executionArn === undefined ? {} : { executionArn: task.executionArn }),
          replayed: false,
        };
      }
    }
  }
  throw new ConflictError(`callbacks for ${where} are racing; retry shortly`, 1);
}
