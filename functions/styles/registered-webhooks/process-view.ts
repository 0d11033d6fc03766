import type { ProcessRecord, RunHistory } from '../../core/ports';

export type ProcessStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** A process as the API shows it: seed 5's fields, plus where its run is. */
export interface ProcessView {
  readonly eventWorkflowTemplateId: string;
  readonly status: ProcessStatus;
  readonly triggerEvent: unknown;
  readonly taskOutputs: Record<string, unknown>;
  readonly createdOn: string;
  readonly updatedOn: string;
  readonly orgId: string;
  readonly id: string;
  readonly eventWorkflowTaskIds: readonly string[];
  readonly webhookId: string;
  readonly executionArn: string;
  readonly executionLink: string;
  readonly error?: string;
  readonly cause?: string;
  /** Set when the history or the outputs were too long to report whole. */
  readonly truncated?: true;
  /**
   * The engine was busy and the run will start from the fan-out queue under this process: in a trigger's answer, and
   * at `GET /api/processes/{id}` (status PENDING) until the run exists.
   */
  readonly queued?: true;
}

/** Limits on what one process answer carries; the execution link always leads to the whole history. */
export const PROCESS_LIMITS = {
  /** History events read per status request (GetExecutionHistory pages of 1,000). */
  maxHistoryEvents: 5_000,
  /** Bytes of task outputs reported; later outputs beyond it are replaced by `{ "truncated": true, "bytes": n }`. */
  maxOutputBytes: 1_048_576,
  /** A record whose run has not started this long after its creation never will be (its trigger failed). */
  startDeadlineMs: 5 * 60_000,
} as const;

/** A process with no run yet: PENDING, nothing done. */
function notRun(record: ProcessRecord) {
  return { status: 'PENDING' as const, taskOutputs: {}, updatedOn: record.createdOn, taskIds: [] };
}

/** The view right after a trigger started the run: nothing has run yet as far as hookflow has seen. */
export function pendingView(record: ProcessRecord, executionLink: string): ProcessView {
  return shape(record, executionLink, notRun(record));
}

/**
 * The process as its execution's history says it is: PENDING until the run enters its first state, RUNNING,
 * then SUCCEEDED or FAILED (a timed-out or aborted run is FAILED, with the reason in `error`). A task is a
 * state the run entered; its output is what the state passed on when it exited (the last time, in a loop).
 */
export function processView(
  record: ProcessRecord,
  history: RunHistory | undefined,
  executionLink: string,
  now: number,
): ProcessView {
  if (history === undefined) {
    // A start the trigger queued while the engine was busy (whenBusy: queue) is not failed: it reads PENDING, seed
    // 5's status for a process not yet running, marked `queued`, until the fan-out worker's run exists (a message
    // the worker gave up on waits in the dead-letter queue for a redrive, and reads so too).
    if (record.queuedOn !== undefined) {
      return { ...shape(record, executionLink, { ...notRun(record), updatedOn: record.queuedOn }), queued: true };
    }
    if (now - Date.parse(record.createdOn) <= PROCESS_LIMITS.startDeadlineMs) return pendingView(record, executionLink);
    return shape(record, executionLink, {
      ...notRun(record),
      status: 'FAILED',
      error: 'hookflow.NotStarted',
      // Not marked queued: the trigger failed, or it died (or its mark failed) right after queueing the start, which
      // then still comes (the delivery reads `queued` until it does) and shows here once started.
      cause:
        'the run has not started: its trigger failed (trigger the webhook again), or its start is still queued while Step Functions is busy (see the delivery)',
    });
  }
  const taskIds: string[] = [];
  const taskOutputs: Record<string, unknown> = {};
  let outputBytes = 0;
  let truncated = history.truncated;
  let status: ProcessStatus = 'PENDING';
  let updatedOn = record.createdOn;
  let failure: { error?: string; cause?: string } = {};
  for (const event of history.events) {
    updatedOn = event.at > updatedOn ? event.at : updatedOn;
    if (event.kind === 'state-entered') {
      if (!taskIds.includes(event.name)) taskIds.push(event.name);
      if (status === 'PENDING') status = 'RUNNING';
    } else if (event.kind === 'state-exited') {
      const bytes = Buffer.byteLength(JSON.stringify(event.output) ?? 'null');
      if (outputBytes + bytes <= PROCESS_LIMITS.maxOutputBytes) {
        taskOutputs[event.name] = event.output;
        outputBytes += bytes;
      } else {
        taskOutputs[event.name] = { truncated: true, bytes };
        truncated = true;
      }
    } else {
      status = event.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
      if (event.status !== 'SUCCEEDED') {
        failure = {
          error: event.error ?? `States.${event.status}`,
          ...(event.cause === undefined ? {} : { cause: event.cause }),
        };
      }
    }
  }
  return shape(record, executionLink, { status, taskOutputs, updatedOn, taskIds, ...failure, truncated });
}

/** Seed 5's fields in seed 5's order, then hookflow's. */
function shape(
  record: ProcessRecord,
  executionLink: string,
  state: {
    status: ProcessStatus;
    taskOutputs: Record<string, unknown>;
    updatedOn: string;
    taskIds: readonly string[];
    error?: string;
    cause?: string;
    truncated?: boolean;
  },
): ProcessView {
  return {
    eventWorkflowTemplateId: record.eventWorkflowTemplateId,
    status: state.status,
    triggerEvent: record.triggerEvent,
    taskOutputs: state.taskOutputs,
    createdOn: record.createdOn,
    updatedOn: state.updatedOn,
    orgId: record.orgId,
    id: record.id,
    eventWorkflowTaskIds: state.taskIds,
    webhookId: record.webhookId,
    executionArn: record.executionArn,
    executionLink,
    ...(state.error === undefined ? {} : { error: state.error }),
    ...(state.cause === undefined ? {} : { cause: state.cause }),
    ...(state.truncated === true ? { truncated: true as const } : {}),
  };
}
