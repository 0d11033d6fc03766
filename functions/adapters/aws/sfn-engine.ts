import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { RunHandle, StartRequest, WorkflowEngine } from '../../core/ports';
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

  private async describeExisting(executionArn: string): Promise<RunHandle> {
    const output = await this.client.send(new DescribeExecutionCommand({ executionArn }));
    return { executionArn, startDate: (output.startDate ?? new Date()).toISOString() };
  }
}

/** arn:…:stateMachine:NAME → arn:…:execution:NAME:EXECUTION (how Standard execution ARNs are formed). */
export function standardExecutionArn(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new Error(`Step Functions response lacks ${field}`);
  return value;
}
