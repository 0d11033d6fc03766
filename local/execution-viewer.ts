import { DescribeExecutionCommand, ExecutionDoesNotExist, InvalidArn, type SFNClient } from '@aws-sdk/client-sfn';
import { parseJsonKeepingNumbers } from '../functions/core/json';

/**
 * GET /executions/{executionArn}: the local stand-in for the Step Functions console page an execution
 * link points to in AWS. Answers with the execution's status, input and output as JSON.
 */
export function executionViewer(sfn: SFNClient) {
  return async (pathParameters: Record<string, string>): Promise<{ statusCode: number; body: unknown }> => {
    const executionArn = pathParameters.executionArn ?? '';
    try {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return {
        statusCode: 200,
        body: {
          executionArn: execution.executionArn,
          stateMachineArn: execution.stateMachineArn,
          name: execution.name,
          status: execution.status,
          startDate: execution.startDate?.toISOString(),
          stopDate: execution.stopDate?.toISOString(),
          input: parseJson(execution.input),
          output: parseJson(execution.output),
          error: execution.error,
          cause: execution.cause,
        },
      };
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) {
        return { statusCode: 404, body: { error: `execution ${executionArn} does not exist` } };
      }
      if (error instanceof InvalidArn) {
        return { statusCode: 400, body: { error: `"${executionArn}" is not an execution ARN` } };
      }
      throw error;
    }
  };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    // As exact as the Step Functions console: a big integer in the input shows with its own digits.
    return parseJsonKeepingNumbers(text);
  } catch {
    return text;
  }
}
