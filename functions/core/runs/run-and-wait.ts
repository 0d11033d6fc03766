import type { Logger } from '@aws-lambda-powertools/logger';
import type { RunOutcome, WorkflowEngine } from '../ports';
import type { RunTarget } from './start-run';
import { randomExecutionName } from './execution-name';
import { type Clock } from '../clock';

export interface RunAndWaitDeps {
  readonly engine: WorkflowEngine;
  readonly logger: Logger;
  readonly now?: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RunAndWaitSettings {
  /** The longest a caller is kept waiting; the run itself goes on past it. */
  readonly syncWaitMs: number;
  /** First and largest gap between DescribeExecution polls of a Standard run (it doubles each time). */
  readonly firstPollMs?: number;
  readonly maxPollMs?: number;
}

export type RunAndWait = (request: {
  target: RunTarget;
  input: unknown;
  /** A Standard run already started (e.g. deduped by startRun): only wait for it. */
  started?: { executionArn: string };
}) => Promise<RunOutcome>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts a run and waits up to `syncWaitMs` for it to finish. Express: one StartSyncExecution. Standard
 * (which has no sync start): StartExecution, then DescribeExecution with doubling gaps. Either way a run
 * still going at the deadline comes back RUNNING, never as an error: it has started, so the caller must
 * not be told to retry.
 */
export function makeRunAndWait(deps: RunAndWaitDeps, settings: RunAndWaitSettings): RunAndWait {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const firstPollMs = settings.firstPollMs ?? 100;
  const maxPollMs = settings.maxPollMs ?? 1_000;

  return async ({ target, input, started }) => {
    const request = { ...target, name: randomExecutionName(), input };
    if (target.workflowType === 'EXPRESS' && started === undefined) {
      return deps.engine.startSync(request, settings.syncWaitMs);
    }

    const deadline = now() + settings.syncWaitMs;
    const run = started ?? (await deps.engine.start(request));
    const name = run.executionArn.split(':').at(-1) ?? request.name;
    const running: RunOutcome = { executionArn: run.executionArn, name, status: 'RUNNING' };
    for (let gap = firstPollMs; ; gap = Math.min(gap * 2, maxPollMs)) {
      const left = deadline - now();
      if (left <= 0) return running;
      await sleep(Math.min(gap, left));
      try {
        const outcome = await deps.engine.describe(run.executionArn);
        if (outcome.status !== 'RUNNING') return outcome;
      } catch (error) {
        deps.logger.warn('could not describe a started run; answering with it as running', {
          error: error as Error,
          executionArn: run.executionArn,
        });
        return running;
      }
    }
  };
}
