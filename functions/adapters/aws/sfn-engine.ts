import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  type SFNClient,
  StartExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  type RunHandle,
  type RunOutcome,
  type RunStatus,
  type StartRequest,
  TaskGoneError,
  type WorkflowEngine,
} from '../../core/ports';
import { ServiceUnavailableError } from '../../core/http/errors';

/** Errors that mean "Step Functions is busy, nothing was started": the caller may safely retry. */
const RETRYABLE = new Set(['ThrottlingException', 'ServiceUnavailable', 'InternalServerError', 'TimeoutError']);

/** The workflow engine backed by AWS Step Functions. */
export class SfnWorkflowEngine implements WorkflowEngine {
  constructor(private readonly client: SFNClient) {}

  async start(request: StartRequest): Promise<RunHandle> {
    try {
      const output = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: request.stateMachineArn,
          name: request.name,
          input: JSON.stringify(request.input),
        }),
      );
      return {
        executionArn: required(output.executionArn, 'executionArn'),
        startDate: (output.startDate ?? new Date()).toISOString(),
      };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists && request.workflowType === 'STANDARD') {
        // Our names derive from dedupe keys: this is the run an earlier attempt with this key started.
        return this.describeExisting(standardExecutionArn(request.stateMachineArn, request.name));
      }
      if (error instanceof Error && RETRYABLE.has(error.name)) {
        throw new ServiceUnavailableError('the workflow engine is busy; nothing was started, retry shortly');
      }
      throw error;
    }
  }

  async startSync(request: StartRequest, waitMs: number): Promise<RunOutcome> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), waitMs);
    try {
      const output = await this.client.send(
        new StartSyncExecutionCommand({
          stateMachineArn: request.stateMachineArn,
          name: request.name,
          input: JSON.stringify(request.input),
        }),
        { abortSignal: abort.signal },
      );
      return {
        ...(output.executionArn === undefined ? {} : { executionArn: output.executionArn }),
        name: request.name,
        status: (output.status ?? 'FAILED') as RunStatus,
        ...dates(output.startDate, output.stopDate),
        ...details(output.output, output.error, output.cause),
      };
    } catch (error) {
      // Only our own timer aborts: the run goes on in Step Functions, we just stop waiting for it.
      if (abort.signal.aborted) return { name: request.name, status: 'RUNNING' };
      throw this.translate(error);
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

  async resumeTask(taskToken: string, result: { output: unknown } | { error: string; cause: string }): Promise<void> {
    try {
      if ('output' in result) {
        await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(result.output) }));
      } else {
        await this.client.send(new SendTaskFailureCommand({ taskToken, error: result.error, cause: result.cause }));
      }
    } catch (error) {
      // The token's task is over (timed out, or its execution ended): nothing is waiting for it any more.
      if (error instanceof Error && ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(error.name)) {
        throw new TaskGoneError(error.message);
      }
      throw this.translate(error);
    }
  }

  private translate(error: unknown): unknown {
    if (error instanceof Error && RETRYABLE.has(error.name)) {
      return new ServiceUnavailableError('the workflow engine is busy; retry shortly');
    }
    return error;
  }

  private async describeExisting(executionArn: string): Promise<RunHandle> {
    const output = await this.client.send(new DescribeExecutionCommand({ executionArn }));
    return { executionArn, startDate: (output.startDate ?? new Date()).toISOString() };
  }
}

/** arn:…:stateMachine:NAME → arn:…:execution:NAME:EXECUTION (how Standard execution ARNs are formed). */
export function standardExecutionArn(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

function dates(start: Date | undefined, stop: Date | undefined) {
  return {
    ...(start === undefined ? {} : { startDate: start.toISOString() }),
    ...(stop === undefined ? {} : { stopDate: stop.toISOString() }),
  };
}

/** Output is JSON text in the API; a workflow's output is always JSON, but never trust it to parse. */
function details(output: string | undefined, error: string | undefined, cause: string | undefined) {
  let parsed: unknown = output;
  if (output !== undefined) {
    try {
      parsed = JSON.parse(output);
    } catch {
      parsed = output;
    }
  }
  return {
    ...(output === undefined ? {} : { output: parsed }),
    ...(error === undefined ? {} : { error }),
    ...(cause === undefined ? {} : { cause }),
  };
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new Error(`Step Functions response lacks ${field}`);
  return value;
}
