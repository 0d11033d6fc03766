import type { StateMachine } from 'aws-local-stepfunctions';

/** aws-local-stepfunctions' event log entry (the package does not export the type by name). */
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/**
 * One event of GetExecutionHistory, in the AWS API's shape (timestamp in epoch milliseconds here; the server
 * turns it into seconds). Only the event types hookflow and its operators read are produced.
 */
export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  readonly [details: string]: unknown;
}

/**
 * aws-local-stepfunctions' event log → AWS history events. States become `<Type>StateEntered` /
 * `<Type>StateExited` with their name and JSON input/output, as in AWS; events AWS has no counterpart for
 * (parallel branches, retries, catches) are left out. Returns undefined for those.
 */
export function toHistoryEvent(event: EventLog, id: number): HistoryEvent | undefined {
  const base = { id, previousEventId: id - 1, timestamp: event.timestamp };
  switch (event.type) {
    case 'ExecutionStarted':
      return { ...base, type: 'ExecutionStarted', executionStartedEventDetails: { input: json(event.input) } };
    case 'ExecutionSucceeded':
      return { ...base, type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: json(event.output) } };
    case 'ExecutionFailed':
      return {
        ...base,
        type: 'ExecutionFailed',
        executionFailedEventDetails: { error: event.Error, cause: text(event.Cause) },
      };
    case 'ExecutionAborted':
      return { ...base, type: 'ExecutionAborted', executionAbortedEventDetails: {} };
    case 'ExecutionTimeout':
      return { ...base, type: 'ExecutionTimedOut', executionTimedOutEventDetails: {} };
    case 'StateEntered':
      return {
        ...base,
        type: `${event.state.type}StateEntered`,
        stateEnteredEventDetails: { name: event.state.name, input: json(event.state.input) },
      };
    case 'StateExited':
      return {
        ...base,
        type: `${event.state.type}StateExited`,
        stateExitedEventDetails: { name: event.state.name, output: json(event.state.output ?? null) },
      };
    case 'StateFailed':
      if (event.state.type !== 'Task') return undefined;
      return { ...base, type: 'TaskFailed', taskFailedEventDetails: { error: event.Error, cause: text(event.Cause) } };
    default:
      return undefined;
  }
}

const json = (value: unknown) => JSON.stringify(value);
const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value ?? ''));
