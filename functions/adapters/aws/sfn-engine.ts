import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  type RunEvent,
  type RunHandle,
  type RunHistory,
  type RunOutcome,
  type RunStatus,
  type StartRequest,
  TaskGoneError,
  type WorkflowEngine,
} from '../../core/ports';
import { EngineBusyError } from '../../core/outcomes';
import { parseJsonKeepingNumbers } from '../../core/json';
import { mayHaveTakenEffect, refusedEveryAttempt } from './unanswered';
import { standardExecutionArn } from '../../core/runs/execution-name';
import { runInputJson } from '../../core/runs/run-input-json';
import { addSyncAttemptWatch, untilAborted, watchAttempts } from './sfn-sync-attempts';

export { standardExecutionArn };

/**
 * Refusals that started nothing and may pass later: HTTP 400 answers. ExecutionLimitExceeded is StartExecution's
 * (Standard: a million open runs), https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * ("Errors"); ThrottlingException any action's,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
 */
const BUSY_REFUSALS = new Set(['ThrottlingException', 'ExecutionLimitExceeded']);

/** A failed start as the core sees it: busy (nothing started), busy (may have started), or the error itself. */
function startFailure(error: unknown): unknown {
  if (error instanceof Error && BUSY_REFUSALS.has(error.name)) {
    // Refused on every attempt: nothing started. A refusal after an attempt that got no answer (the SDK retried a
    // timeout or a 5xx, ./unanswered.ts) is not proof: that attempt may have started the run.
    return refusedEveryAttempt(error)
      ? new EngineBusyError('the workflow engine is busy; nothing was started, retry shortly', { refused: true })
      : mayHaveStarted();
  }
  return mayHaveTakenEffect(error) ? mayHaveStarted() : error;
}

/** A start whose outcome is unknown: the claim taken for it must stay (core/outcomes.ts, EngineBusyError). */
const mayHaveStarted = () =>
  new EngineBusyError('the workflow engine did not answer; the run may have started, retry shortly', {
    mayHaveStarted: true,
  });

/** The workflow engine backed by AWS Step Functions. */
export class SfnWorkflowEngine implements WorkflowEngine {
  constructor(private readonly client: SFNClient) {
    addSyncAttemptWatch(client);
  }

  async start(request: StartRequest): Promise<RunHandle> {
    try {
      const output = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: request.stateMachineArn,
          name: request.name,
          input: runInputJson(request.input),
        }),
      );
      return {
        executionArn: required(output.executionArn, 'executionArn'),
        startDate: (output.startDate ?? new Date()).toISOString(),
      };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists && request.workflowType === 'STANDARD') {
        // Our names derive from dedupe keys: this is the run an earlier attempt with this key started. If it
        // cannot be read now, the run still exists: the claim must stay (mayHaveStarted), never be released
        // for a fresh claim under a new name.
        return this.describeExisting(standardExecutionArn(request.stateMachineArn, request.name)).catch(() => {
          throw new EngineBusyError('the run exists but could not be read; retry shortly', { mayHaveStarted: true });
        });
      }
      throw startFailure(error);
    }
  }

  async startSync(request: StartRequest, waitMs: number): Promise<RunOutcome> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), waitMs);
    const input = { stateMachineArn: request.stateMachineArn, name: request.name, input: runInputJson(request.input) };
    // What this start's attempts came to, kept by its input object (./sfn-sync-attempts.ts, one middleware for
    // every request): read below once the wait is over.
    // Each attempt waits for the run (up to waitMs, our own abort), not the client's AWS_REQUEST_TIMEOUT_MS: the
    // watch applies both to its request, so the call is sent without per-call options, through the client's cached
    // middleware stack (./sfn-sync-attempts.ts).
    const attempts = watchAttempts(input, abort.signal, waitMs + 1_000);
    const command = new StartSyncExecutionCommand(input);
    try {
      const output = await untilAborted(this.client.send(command), abort.signal);
      return {
        ...(output.executionArn === undefined ? {} : { executionArn: output.executionArn }),
        name: request.name,
        status: (output.status ?? 'FAILED') as RunStatus,
        ...dates(output.startDate, output.stopDate),
        ...details(output.output, output.error, output.cause),
      };
    } catch (error) {
      // Only our own timer aborts: we stop waiting. RUNNING only if an attempt was out with Step Functions
      // (the run may be going on); if every attempt so far was throttled, nothing started: 503, retry.
      if (abort.signal.aborted) {
        if (attempts.inFlightAtAbort || attempts.mayHaveStarted) return { name: request.name, status: 'RUNNING' };
        throw new EngineBusyError('the workflow engine is busy; nothing was started, retry shortly');
      }
      // A sync start that an attempt may have carried out stays claimed (mayHaveStarted), as StartExecution's.
      throw attempts.mayHaveStarted ? mayHaveStarted() : startFailure(error);
    } finally {
      clearTimeout(timer);
    }
  }

  async describe(executionArn: string): Promise<RunOutcome> {
    try {
      const output = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        executionArn,
        name: output.name ?? executionArn.split(':').at(-1)!,
        status: (output.status ?? 'RUNNING') as RunStatus,
        ...dates(output.startDate, output.stopDate),
        ...details(output.output, output.error, output.cause),
      };
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * The Standard execution at `executionArn`, if it exists. DescribeExecution answers ExecutionDoesNotExist for a
   * name not started (yet); it is eventually consistent, so a run started a moment ago may not show at once: the
   * callers poll, and after the claim's lease the take-over's StartExecution settles it (ExecutionAlreadyExists).
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
   */
  async findRun(executionArn: string): Promise<RunHandle | undefined> {
    try {
      return await this.describeExisting(executionArn);
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      throw this.translate(error);
    }
  }

  async history(executionArn: string, maxEvents: number): Promise<RunHistory | undefined> {
    const events: RunEvent[] = [];
    let nextToken: string | undefined;
    let read = 0;
    try {
      do {
        const page = await this.client.send(
          new GetExecutionHistoryCommand({
            executionArn,
            maxResults: Math.min(1000, maxEvents - read),
            includeExecutionData: true,
            nextToken,
          }),
        );
        read += page.events?.length ?? 0;
        for (const event of page.events ?? []) {
          const runEvent = toRunEvent(event);
          if (runEvent !== undefined) events.push(runEvent);
        }
        nextToken = page.nextToken;
      } while (nextToken !== undefined && read < maxEvents);
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      throw this.translate(error);
    }
    return { events, truncated: nextToken !== undefined };
  }

  async resumeTask(taskToken: string, result: { output: unknown } | { error: string; cause: string }): Promise<void> {
    try {
      if ('output' in result) {
        await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(result.output) }));
      } else {
        await this.client.send(new SendTaskFailureCommand({ taskToken, error: result.error, cause: result.cause }));
      }
    } catch (error) {
      // The token's task is over (timed out, or its execution ended): nothing is waiting for it any more.
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html ("Errors").
      // Unless an earlier attempt of this call went unanswered (the SDK retried a 5xx or a timeout): that attempt
      // may have closed the task itself (./unanswered.ts marks it).
      if (error instanceof Error && isTaskGone(error.name)) {
        throw new TaskGoneError(error.message, error.name, !refusedEveryAttempt(error));
      }
      throw this.translate(error);
    }
  }

  /** Any other call (describe, history, task tokens): busy when throttled or unanswered; no start to protect. */
  private translate(error: unknown): unknown {
    if ((error instanceof Error && BUSY_REFUSALS.has(error.name)) || mayHaveTakenEffect(error)) {
      // Refused: a throttle on every attempt (clients.ts has the client watch them), so the call did nothing.
      return new EngineBusyError('the workflow engine is busy; retry shortly', { refused: refusedEveryAttempt(error) });
    }
    return error;
  }

  private async describeExisting(executionArn: string): Promise<RunHandle> {
    const output = await this.client.send(new DescribeExecutionCommand({ executionArn }));
    return { executionArn, startDate: (output.startDate ?? new Date()).toISOString() };
  }
}

const TASK_GONE = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'] as const;
const isTaskGone = (name: string): name is (typeof TASK_GONE)[number] =>
  (TASK_GONE as readonly string[]).includes(name);

const ENDED: Record<string, Extract<RunEvent, { kind: 'ended' }>['status']> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

/** The history events hookflow reads: `*StateEntered`, `*StateExited` and the execution's end. */
function toRunEvent(event: HistoryEvent): RunEvent | undefined {
  const at = (event.timestamp ?? new Date()).toISOString();
  if (event.stateEnteredEventDetails !== undefined) {
    return { kind: 'state-entered', at, name: event.stateEnteredEventDetails.name ?? '' };
  }
  if (event.stateExitedEventDetails !== undefined) {
    const output = event.stateExitedEventDetails.output;
    return { kind: 'state-exited', at, name: event.stateExitedEventDetails.name ?? '', output: parseJson(output) };
  }
  const status = ENDED[event.type ?? ''];
  if (status === undefined) return undefined;
  const failure =
    event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails;
  return {
    kind: 'ended',
    at,
    status,
    ...(failure?.error === undefined ? {} : { error: failure.error }),
    ...(failure?.cause === undefined ? {} : { cause: failure.cause }),
  };
}

function dates(start: Date | undefined, stop: Date | undefined) {
  return {
    ...(start === undefined ? {} : { startDate: start.toISOString() }),
    ...(stop === undefined ? {} : { stopDate: stop.toISOString() }),
  };
}

/** Output is JSON text in the API; a workflow's output is always JSON, but never trust it to parse. */
function details(output: string | undefined, error: string | undefined, cause: string | undefined) {
  return {
    ...(output === undefined ? {} : { output: parseJson(output) }),
    ...(error === undefined ? {} : { error }),
    ...(cause === undefined ? {} : { cause }),
  };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    // A workflow's big integers reach a sync caller with the digits it wrote (functions/core/json.ts).
    return parseJsonKeepingNumbers(text);
  } catch {
    return text;
  }
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new Error(`Step Functions response lacks ${field}`);
  return value;
}
