import type { WaitStore, WorkflowEngine } from '../../core/ports';
import { TaskGoneError } from '../../core/ports';
import { ConflictError, GoneError, NotFoundError } from '../../core/http/errors';

export interface ResumeDeps {
  readonly waits: WaitStore;
  readonly engine: WorkflowEngine;
  readonly now?: () => number;
}

export type Resumption = { readonly output: unknown } | { readonly error: string; readonly cause: string };

/**
 * Resumes the task that run `ref` keeps waiting on `topic`: 404 if none waits, 409 if a callback already
 * resumed it, 410 if its token expired. One conditional update claims the task, so of two concurrent callbacks
 * exactly one resumes it; if Step Functions is briefly unavailable the claim is given back for a retry.
 */
export async function resumeTask(
  deps: ResumeDeps,
  ref: string,
  topic: string,
  result: Resumption,
): Promise<string | undefined> {
  const task = await deps.waits.get(ref, topic);
  if (task === undefined) throw new NotFoundError(`no task of run "${ref}" waits on topic "${topic}"`);
  if (task.status === 'RESUMED')
    throw new ConflictError(`the task of run "${ref}" on topic "${topic}" was already resumed`);
  const expired = () =>
    new GoneError(`the task of run "${ref}" on topic "${topic}" no longer waits: its token expired`);
  if (task.status === 'EXPIRED') throw expired();
  const deadline = Date.parse(task.enteredTime) + task.timeoutSeconds * 1000;
  if (Number.isFinite(deadline) && deadline <= (deps.now ?? Date.now)()) {
    await deps.waits.markExpired(ref, topic);
    throw expired();
  }

  if (!(await deps.waits.claim(ref, topic))) {
    const now = await deps.waits.get(ref, topic);
    if (now?.status === 'EXPIRED') throw expired();
    throw new ConflictError(`the task of run "${ref}" on topic "${topic}" was already resumed`);
  }
  try {
    await deps.engine.resumeTask(task.taskToken, result);
  } catch (error) {
    if (error instanceof TaskGoneError) {
      await deps.waits.markExpired(ref, topic);
      throw expired();
    }
    await deps.waits.release(ref, topic);
    throw error;
  }
  return task.executionArn;
}
