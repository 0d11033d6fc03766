import type { OrgCaller } from '../../core/auth/org-member';
import { NotFoundError } from '../../core/outcomes';
import type { ProcessStore, WorkflowEngine } from '../../core/ports';
import { PROCESS_LIMITS, type ProcessView, processView } from './process-view';
import { type Clock, dateOf } from '../../core/clock';

export interface ProcessStatusDeps {
  readonly processes: ProcessStore;
  readonly engine: WorkflowEngine;
  readonly executionLink: (executionArn: string) => string;
  readonly now?: Clock;
}

/** A process of the caller's organisation with its run's current state; any other is 404. */
export async function getProcess(deps: ProcessStatusDeps, caller: OrgCaller, processId: string): Promise<ProcessView> {
  const record = await deps.processes.get(processId);
  if (record === undefined || record.orgId !== caller.orgId) throw new NotFoundError(`no process "${processId}"`);
  const history = await deps.engine.history(record.executionArn, PROCESS_LIMITS.maxHistoryEvents);
  return processView(record, history, deps.executionLink(record.executionArn), dateOf(deps.now).getTime());
}
