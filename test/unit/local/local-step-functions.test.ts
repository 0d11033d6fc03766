import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  InvalidToken,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StateMachineDoesNotExist,
  StateMachineTypeNotSupported,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStepFunctions, type TaskIntegration, startLocalStepFunctions } from '../../../local/stepfunctions';

/** The local Step Functions endpoint, driven through the real @aws-sdk/client-sfn as handlers drive it. */
const echo = { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } };
const fail = { StartAt: 'No', States: { No: { Type: 'Fail', Error: 'Example.Rejected', Cause: 'always fails' } } };
/**
 * Hands its task token to a (local) integration, then waits for it, as hookflow's callbacks do. SQS
 * sendMessage takes `.waitForTaskToken` in Standard workflows (workflows/service-integrations.ts).
 */
const waitForCallback = {
  StartAt: 'Wait for callback',
  States: {
    'Wait for callback': {
      Type: 'Task',
      Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
      Parameters: { QueueUrl: 'tokens', MessageBody: { 'token.$': '$$.Task.Token', 'ref.$': '$.ref' } },
      HeartbeatSeconds: 1,
      Catch: [{ ErrorEquals: ['Callback.Rejected'], ResultPath: '$.failure', Next: 'Rejected' }],
      End: true,
    },
    Rejected: { Type: 'Pass', End: true },
  },
};

describe('local Step Functions endpoint', () => {
  let dataDir: string;
  let local: LocalStepFunctions;
  let sfn: SFNClient;
  let stored: { token: string; ref: string }[];

  const storeToken: TaskIntegration = async (parameters) => {
    const message = (parameters as { MessageBody: { token: string; ref: string } }).MessageBody;
    stored.push({ token: message.token, ref: message.ref });
    return {};
  };

  async function start() {
    local = await startLocalStepFunctions({
      host: '127.0.0.1',
      dataDir,
      stateMachines: [
        { name: 'echo', type: 'EXPRESS', definition: echo },
        { name: 'echo-standard', type: 'STANDARD', definition: echo },
        { name: 'fail', type: 'EXPRESS', definition: fail },
        { name: 'callback', type: 'STANDARD', definition: waitForCallback },
      ],
      integrations: { 'arn:aws:states:::sqs:sendMessage': storeToken },
    });
    sfn = new SFNClient({
      endpoint: local.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      disableHostPrefix: true,
    });
  }

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hookflow-sfn-'));
    stored = [];
    await start();
  });

  afterEach(async () => {
    await local.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const describe_ = (executionArn: string) => sfn.send(new DescribeExecutionCommand({ executionArn }));
  async function settled(executionArn: string) {
    for (let i = 0; i < 200; i++) {
      const execution = await describe_(executionArn);
      if (execution.status !== 'RUNNING') return execution;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${executionArn} still RUNNING`);
  }
  async function waitForToken(count = 1) {
    for (let i = 0; i < 200 && stored.length < count; i++) await new Promise((r) => setTimeout(r, 10));
    return stored[count - 1]!.token;
  }

  it('runs an Express execution and describes it with its input and output', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('echo'), name: 'run-1', input: '{"a":1}' }),
    );

    expect(executionArn).toMatch(/^arn:aws:states:us-east-1:000000000000:express:echo:run-1:[0-9a-f-]{36}$/);
    expect(await settled(executionArn!)).toMatchObject({ status: 'SUCCEEDED', input: '{"a":1}', output: '{"a":1}' });
  });

  it('gives Express runs of the same name distinct ARNs (no name idempotency, as in AWS)', async () => {
    const start = () =>
      sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('echo'), name: 'same' }));

    const [first, second] = [await start(), await start()];

    expect(first.executionArn).not.toBe(second.executionArn);
  });

  it('treats a Standard name as unique: same input while running is the same start, else ExecutionAlreadyExists', async () => {
    const stateMachineArn = local.stateMachineArn('callback');
    const start = (input: string) => sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'order-42', input }));

    const first = await start('{"ref":"r1"}');
    const again = await start('{"ref":"r1"}');
    const otherInput = start('{"ref":"r2"}');

    expect(first.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:callback:order-42');
    expect(again.executionArn).toBe(first.executionArn);
    await expect(otherInput).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    await sfn.send(new SendTaskSuccessCommand({ taskToken: await waitForToken(), output: '{"ok":true}' }));
    await settled(first.executionArn!);
    await expect(start('{"ref":"r1"}')).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('resumes a task waiting for its token with SendTaskSuccess output', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('callback'), input: '{"ref":"r1"}' }),
    );
    const token = await waitForToken();

    expect(stored[0]!.ref).toBe('r1');
    expect((await describe_(executionArn!)).status).toBe('RUNNING');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    expect(await settled(executionArn!)).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":true}' });
    // The task is over: its token can't complete anything again.
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(
      TaskTimedOut,
    );
  });

  it('fails the task with SendTaskFailure, so Catch can route on the error name', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('callback'), input: '{"ref":"r1"}' }),
    );

    await sfn.send(
      new SendTaskFailureCommand({ taskToken: await waitForToken(), error: 'Callback.Rejected', cause: 'no' }),
    );

    const execution = await settled(executionArn!);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toMatchObject({ failure: { Error: 'Callback.Rejected', Cause: 'no' } });
  });

  it('times a task out after HeartbeatSeconds without a heartbeat, and heartbeats keep it alive', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('callback'), input: '{"ref":"r1"}' }),
    );
    const token = await waitForToken();

    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    expect((await describe_(executionArn!)).status).toBe('RUNNING');
    const execution = await settled(executionArn!).catch(async () => settled(executionArn!));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
  });

  it('answers InvalidToken for a token it never issued', async () => {
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'made-up', output: '{}' }))).rejects.toBeInstanceOf(
      InvalidToken,
    );
  });

  it('runs sync Express executions, reporting failures with error and cause', async () => {
    const ok = await sfn.send(
      new StartSyncExecutionCommand({ stateMachineArn: local.stateMachineArn('echo'), input: '{"x":1}' }),
    );
    const failed = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: local.stateMachineArn('fail') }));

    expect(ok).toMatchObject({ status: 'SUCCEEDED', output: '{"x":1}' });
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Example.Rejected', cause: 'always fails' });
    await expect(
      sfn.send(new StartSyncExecutionCommand({ stateMachineArn: local.stateMachineArn('echo-standard') })),
    ).rejects.toBeInstanceOf(StateMachineTypeNotSupported);
  });

  it('stops a running execution as ABORTED with the given error and cause', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('callback'), input: '{"ref":"r1"}' }),
    );
    await waitForToken();

    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator.Stop', cause: 'testing' }));

    expect(await settled(executionArn!)).toMatchObject({ status: 'ABORTED', error: 'Operator.Stop', cause: 'testing' });
  });

  it('answers the AWS errors for bad ARNs, unknown executions and input that is not JSON', async () => {
    const unknownExecution = 'arn:aws:states:us-east-1:000000000000:execution:echo-standard:nope';

    await expect(describe_('not-an-arn')).rejects.toBeInstanceOf(InvalidArn);
    await expect(describe_(unknownExecution)).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('missing') })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('echo'), input: '{nope' })),
    ).rejects.toBeInstanceOf(InvalidExecutionInput);
  });

  it('lists executions newest first, in pages', async () => {
    const stateMachineArn = local.stateMachineArn('echo');
    for (let i = 0; i < 5; i++) await sfn.send(new StartExecutionCommand({ stateMachineArn, name: `n${i}` }));

    const first = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 3 }));
    const second = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: 3, nextToken: first.nextToken }),
    );

    expect(first.executions).toHaveLength(3);
    expect(second.executions).toHaveLength(2);
    expect(second.nextToken).toBeUndefined();
    const names = [...first.executions!, ...second.executions!].map((e) => e.name);
    expect(new Set(names)).toEqual(new Set(['n0', 'n1', 'n2', 'n3', 'n4']));
  });

  it('reports GetExecutionHistory as AWS does: states entered and exited with their data, live and after a restart', async () => {
    const stateMachineArn = local.stateMachineArn('callback');
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{"ref":"r1"}' }));
    await waitForToken();
    const live = await sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: true }));
    expect(live.events?.map((e) => e.type)).toEqual(['ExecutionStarted', 'TaskStateEntered']);
    expect(live.events?.[1]).toMatchObject({
      id: 2,
      previousEventId: 1,
      stateEnteredEventDetails: { name: 'Wait for callback', input: '{"ref":"r1"}' },
    });

    await sfn.send(new SendTaskSuccessCommand({ taskToken: await waitForToken(), output: '{"ok":true}' }));
    await settled(executionArn!);
    const types = ['ExecutionStarted', 'TaskStateEntered', 'TaskStateExited', 'ExecutionSucceeded'];
    const done = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(done.events?.map((e) => e.type)).toEqual(types);
    expect(done.events?.[2]?.stateExitedEventDetails).toEqual({ name: 'Wait for callback', output: '{"ok":true}' });
    expect(done.events?.[0]?.timestamp).toBeInstanceOf(Date);

    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 3, reverseOrder: true }));
    expect(page.events?.map((e) => e.type)).toEqual([...types].reverse().slice(0, 3));
    expect(page.nextToken).toBeDefined();

    await local.close();
    await start();
    const kept = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(kept.events?.map((e) => e.type)).toEqual(types);
  });

  it('has no history for Express executions, as in AWS', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('echo'), input: '{}' }),
    );
    await expect(sfn.send(new GetExecutionHistoryCommand({ executionArn }))).rejects.toBeInstanceOf(InvalidArn);
  });

  it('keeps executions across a restart and runs again the ones a restart interrupted', async () => {
    const done = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('echo'), input: '{"kept":true}' }),
    );
    await settled(done.executionArn!);
    const waiting = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('callback'), input: '{"ref":"r1"}' }),
    );
    await waitForToken();

    await local.close();
    await start();

    expect(await describe_(done.executionArn!)).toMatchObject({ status: 'SUCCEEDED', output: '{"kept":true}' });
    expect((await describe_(waiting.executionArn!)).status).toBe('RUNNING');
    // Run again from the top: the task stored a fresh token, and that one resumes it.
    await sfn.send(new SendTaskSuccessCommand({ taskToken: await waitForToken(2), output: '{"late":true}' }));
    expect(await settled(waiting.executionArn!)).toMatchObject({ status: 'SUCCEEDED', output: '{"late":true}' });
  });

  it('refuses an Express state machine that waits for a task token, as AWS does', async () => {
    await expect(
      startLocalStepFunctions({
        host: '127.0.0.1',
        dataDir,
        stateMachines: [{ name: 'bad', type: 'EXPRESS', definition: waitForCallback }],
      }),
    ).rejects.toMatchObject({
      name: 'InvalidDefinition',
      message:
        "state machine bad: Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration at /States/Wait for callback/Resource'",
    });
  });
});
