import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { SfnWorkflowEngine, standardExecutionArn } from '../../../functions/adapters/aws/sfn-engine';
import { ServiceUnavailableError } from '../../../functions/core/http/errors';

const sfn = mockClient(SFNClient);
const stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders';
const request = { stateMachineArn, workflowType: 'STANDARD' as const, name: 'hf-abc', input: { a: 1 } };

describe('SfnWorkflowEngine', () => {
  beforeEach(() => sfn.reset());

  it('starts an execution with the name and JSON input', async () => {
    const startDate = new Date('2026-01-01T00:00:00Z');
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate });

    const run = await new SfnWorkflowEngine(new SFNClient({})).start(request);

    expect(run).toEqual({ executionArn: 'arn:x', startDate: startDate.toISOString() });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn,
      name: 'hf-abc',
      input: '{"a":1}',
    });
  });

  it('returns the existing Standard execution when the name was already used (an earlier attempt started it)', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ startDate: new Date('2026-01-01T00:00:00Z') });

    const run = await new SfnWorkflowEngine(new SFNClient({})).start(request);

    expect(run.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:orders:hf-abc');
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: run.executionArn });
  });

  it('does not treat ExecutionAlreadyExists as success for Express workflows', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    await expect(
      new SfnWorkflowEngine(new SFNClient({})).start({ ...request, workflowType: 'EXPRESS' }),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('maps throttling to a retryable 503', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(
        new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {}, message: 'slow down' }),
      );

    await expect(new SfnWorkflowEngine(new SFNClient({})).start(request)).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
  });

  it('forms Standard execution ARNs the way Step Functions does', () => {
    expect(standardExecutionArn(stateMachineArn, 'run-1')).toBe(
      'arn:aws:states:us-east-1:123456789012:execution:orders:run-1',
    );
  });
});
