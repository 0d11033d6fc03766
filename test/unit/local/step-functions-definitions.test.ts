import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  InvalidDefinition,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StateMachineAlreadyExists,
} from '@aws-sdk/client-sfn';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../../local/stepfunctions';
import { loadWorkflowManifest } from '../../../workflows/manifest';

/**
 * The local Step Functions endpoint refuses, when a state machine is created or loaded, every definition
 * CreateStateMachine refuses (workflows/service-integrations.ts), with AWS's error, naming the state.
 */
const REFUSED = 'arn:aws:states:::dynamodb:putItem.waitForTaskToken';
const task = (resource: string) => ({ Type: 'Task', Resource: resource, End: true });
/** The mistake of issue 14, one level down inside a Parallel branch. */
const nestedMistake = {
  StartAt: 'Both',
  States: {
    Both: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Log', States: { Log: { Type: 'Pass', End: true } } },
        { StartAt: 'Wait for approval', States: { 'Wait for approval': task(REFUSED) } },
      ],
      End: true,
    },
  },
};

describe('local Step Functions endpoint: definitions AWS refuses', () => {
  let dataDir: string;
  let local: LocalStepFunctions | undefined;
  let sfn: SFNClient;

  const client = (endpoint: string) =>
    new SFNClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      disableHostPrefix: true,
    });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'hookflow-sfn-defs-'));
  });

  afterEach(async () => {
    await local?.close();
    local = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start() {
    local = await startLocalStepFunctions({ host: '127.0.0.1', dataDir, stateMachines: [] });
    sfn = client(local.endpoint);
  }

  it('answers CreateStateMachine with InvalidDefinition naming the state, as AWS does', async () => {
    await start();

    const created = sfn.send(
      new CreateStateMachineCommand({
        name: 'approval',
        roleArn: 'arn:aws:iam::000000000000:role/local',
        definition: JSON.stringify(nestedMistake),
      }),
    );

    await expect(created).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(created).rejects.toMatchObject({
      message: `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The resource provided ${REFUSED} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. at /States/Both/Branches/1/States/Wait for approval/Resource'`,
    });
  });

  it('refuses an Express state machine a pattern only Standard has, and takes it as Standard', async () => {
    await start();
    const definition = JSON.stringify({
      StartAt: 'Notify',
      States: { Notify: task('arn:aws:states:::sqs:sendMessage.waitForTaskToken') },
    });
    const create = (name: string, type: 'STANDARD' | 'EXPRESS') =>
      sfn.send(new CreateStateMachineCommand({ name, type, definition, roleArn: 'arn:aws:iam::0:role/r' }));

    await expect(create('express', 'EXPRESS')).rejects.toMatchObject({
      name: 'InvalidDefinition',
      message: expect.stringContaining(
        "Express state machine does not support '.waitForTaskToken' service integration at /States/Notify/Resource",
      ),
    });
    await expect(create('standard', 'STANDARD')).resolves.toMatchObject({
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:standard',
    });
  });

  it('creates a valid state machine that then runs; the same again is the same machine, another is refused', async () => {
    await start();
    const definition = JSON.stringify({ StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } });
    const create = (body: string) =>
      sfn.send(
        new CreateStateMachineCommand({
          name: 'echo',
          type: 'EXPRESS',
          definition: body,
          roleArn: 'arn:aws:iam::0:role/r',
        }),
      );

    const first = await create(definition);
    const again = await create(definition);
    const run = await sfn.send(
      new StartSyncExecutionCommand({ stateMachineArn: first.stateMachineArn, input: '{"hello":1}' }),
    );

    expect(again.stateMachineArn).toBe(first.stateMachineArn);
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: '{"hello":1}' });
    await expect(create(definition.replace('Echo', 'Other').replace('Echo', 'Other'))).rejects.toBeInstanceOf(
      StateMachineAlreadyExists,
    );
  });

  it('refuses to start with such a workflow in its manifest, naming the state machine and the state', async () => {
    const workflows = join(dataDir, 'workflows');
    mkdirSync(workflows);
    writeFileSync(
      join(workflows, 'workflows.json'),
      JSON.stringify({ workflows: [{ name: 'hookflow-approval', definition: 'approval.asl.json', type: 'STANDARD' }] }),
    );
    writeFileSync(join(workflows, 'approval.asl.json'), JSON.stringify(nestedMistake));
    const stateMachines = loadWorkflowManifest(workflows).map((w) => ({
      name: w.name,
      type: w.type,
      definition: w.definition,
    }));

    const started = startLocalStepFunctions({ host: '127.0.0.1', dataDir, stateMachines });

    await expect(started).rejects.toMatchObject({
      name: 'InvalidDefinition',
      message: expect.stringMatching(
        /^state machine hookflow-approval: Invalid State Machine Definition: .*at \/States\/Both\/Branches\/1\/States\/Wait for approval\/Resource'$/,
      ),
    });
  });

  it('fails at run time, not at load, a resource AWS accepts that the local stack does not serve', async () => {
    local = await startLocalStepFunctions({
      host: '127.0.0.1',
      dataDir,
      stateMachines: [
        {
          name: 'child',
          type: 'STANDARD',
          definition: { StartAt: 'Run', States: { Run: task('arn:aws:states:::states:startExecution.sync:2') } },
        },
      ],
    });
    sfn = client(local.endpoint);

    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('child') }),
    );
    let execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    for (let i = 0; i < 200 && execution.status === 'RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    }

    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: 'the local stack does not implement the Task resource arn:aws:states:::states:startExecution.sync:2',
    });
  });
});
