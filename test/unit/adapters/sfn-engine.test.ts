import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { SfnWorkflowEngine, standardExecutionArn } from '../../../functions/adapters/aws/sfn-engine';
import { EngineBusyError } from '../../../functions/core/outcomes';

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

  it('finds a Standard run by its ARN: the run when it exists, undefined when it has not started, busy when throttled', async () => {
    const arn = standardExecutionArn(stateMachineArn, 'hf-abc');
    const engine = new SfnWorkflowEngine(new SFNClient({}));
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ startDate: new Date('2026-01-01T00:00:00Z') })
      .rejectsOnce(new ExecutionDoesNotExist({ message: 'no such execution', $metadata: {} }))
      .rejectsOnce(
        new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {}, message: 'slow down' }),
      );

    const found = await engine.findRun(arn);
    const missing = await engine.findRun(arn);
    const throttled = await engine.findRun(arn).catch((error: unknown) => error);

    expect(found).toEqual({ executionArn: arn, startDate: '2026-01-01T00:00:00.000Z' });
    expect(missing).toBeUndefined();
    expect(throttled).toBeInstanceOf(EngineBusyError);
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

    await expect(new SfnWorkflowEngine(new SFNClient({})).start(request)).rejects.toBeInstanceOf(EngineBusyError);
  });

  it.each([
    ['ThrottlingException', 'client', false],
    ['ExecutionLimitExceeded', 'client', false],
    ['ServiceUnavailable', 'server', true],
    ['InternalFailure', 'server', true],
  ] as const)('maps a start failing with %s (%s fault) to 503, mayHaveStarted %s', async (name, $fault, may) => {
    sfn.on(StartExecutionCommand).rejects(new SFNServiceException({ name, $fault, $metadata: {}, message: name }));

    const error = await new SfnWorkflowEngine(new SFNClient({})).start(request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EngineBusyError);
    expect(error).toMatchObject({ mayHaveStarted: may });
  });

  it('treats a cut connection after the request went out as a start that may have happened', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));

    const error = await new SfnWorkflowEngine(new SFNClient({})).start(request).catch((e: unknown) => e);

    expect(error).toMatchObject({ mayHaveStarted: true });
  });

  it('keeps the claim when the run exists (ExecutionAlreadyExists) but cannot be read now', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {} }));

    const error = await new SfnWorkflowEngine(new SFNClient({})).start(request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EngineBusyError);
    expect(error).toMatchObject({ mayHaveStarted: true });
  });

  it('forms Standard execution ARNs the way Step Functions does', () => {
    expect(standardExecutionArn(stateMachineArn, 'run-1')).toBe(
      'arn:aws:states:us-east-1:123456789012:execution:orders:run-1',
    );
  });

  it('runs Express workflows synchronously, parsing output and keeping error and cause', async () => {
    const startDate = new Date('2026-01-01T00:00:00Z');
    const stopDate = new Date('2026-01-01T00:00:01Z');
    sfn
      .on(StartSyncExecutionCommand)
      .resolvesOnce({ executionArn: 'arn:ok', status: 'SUCCEEDED', output: '{"b":2}', startDate, stopDate })
      .resolvesOnce({ executionArn: 'arn:no', status: 'FAILED', error: 'E', cause: 'C', startDate, stopDate });
    const engine = new SfnWorkflowEngine(new SFNClient({}));

    const ok = await engine.startSync({ ...request, workflowType: 'EXPRESS' }, 1000);
    const failed = await engine.startSync({ ...request, workflowType: 'EXPRESS' }, 1000);

    expect(ok).toEqual({
      executionArn: 'arn:ok',
      name: 'hf-abc',
      status: 'SUCCEEDED',
      startDate: startDate.toISOString(),
      stopDate: stopDate.toISOString(),
      output: { b: 2 },
    });
    expect(failed).toMatchObject({ status: 'FAILED', error: 'E', cause: 'C' });
  });

  it('describes an execution', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ name: 'hf-abc', status: 'RUNNING' });

    const outcome = await new SfnWorkflowEngine(new SFNClient({})).describe('arn:aws:states:x:1:execution:o:hf-abc');

    expect(outcome).toEqual({
      executionArn: 'arn:aws:states:x:1:execution:o:hf-abc',
      name: 'hf-abc',
      status: 'RUNNING',
    });
  });

  it('turns throttling of a sync start into 503', async () => {
    sfn
      .on(StartSyncExecutionCommand)
      .rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {} }));

    await expect(
      new SfnWorkflowEngine(new SFNClient({})).startSync({ ...request, workflowType: 'EXPRESS' }, 1000),
    ).rejects.toBeInstanceOf(EngineBusyError);
  });

  it('reads the history as run events, page by page up to the limit, and undefined for an unknown execution', async () => {
    const at = new Date('2026-01-01T00:00:00Z');
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: [
          { id: 1, timestamp: at, type: 'ExecutionStarted', executionStartedEventDetails: { input: '{}' } },
          { id: 2, timestamp: at, type: 'PassStateEntered', stateEnteredEventDetails: { name: 'A', input: '{}' } },
        ],
        nextToken: 'p2',
      })
      .resolvesOnce({
        events: [
          { id: 3, timestamp: at, type: 'PassStateExited', stateExitedEventDetails: { name: 'A', output: '{"x":1}' } },
          {
            id: 4,
            timestamp: at,
            type: 'ExecutionFailed',
            executionFailedEventDetails: { error: 'E', cause: 'C' },
          },
        ],
        nextToken: 'p3',
      });
    const engine = new SfnWorkflowEngine(new SFNClient({}));

    const history = await engine.history('arn:e', 4);

    expect(history).toEqual({
      events: [
        { kind: 'state-entered', at: at.toISOString(), name: 'A' },
        { kind: 'state-exited', at: at.toISOString(), name: 'A', output: { x: 1 } },
        { kind: 'ended', at: at.toISOString(), status: 'FAILED', error: 'E', cause: 'C' },
      ],
      truncated: true,
    });
    const calls = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { executionArn: 'arn:e', maxResults: 4, includeExecutionData: true, nextToken: undefined },
      { executionArn: 'arn:e', maxResults: 2, includeExecutionData: true, nextToken: 'p2' },
    ]);

    sfn.on(GetExecutionHistoryCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    expect(await engine.history('arn:missing', 10)).toBeUndefined();
  });
});
