import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../../local/stepfunctions';

const echo = { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } };

/**
 * The local endpoint's retention (HOOKFLOW_LOCAL_EXECUTIONS_MAX_MB): an execution it forgot answers
 * ExecutionDoesNotExist, as AWS does after its retention, but its Standard name stays taken, so a retried
 * start can never run twice.
 */
describe('local Step Functions retention', () => {
  let dataDir: string;
  let local: LocalStepFunctions;
  let sfn: SFNClient;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hookflow-retention-'));
    local = await startLocalStepFunctions({
      host: '127.0.0.1',
      dataDir,
      stateMachines: [{ name: 'echo-standard', type: 'STANDARD', definition: echo }],
      executionsMaxBytes: 1,
    });
    sfn = new SFNClient({
      endpoint: local.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterEach(async () => {
    sfn.destroy();
    await local.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps a forgotten Standard name taken', async () => {
    // Arrange
    const start = () =>
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: local.stateMachineArn('echo-standard'),
          name: 'once',
          input: '{}',
        }),
      );
    const { executionArn } = await start();
    for (let i = 0; i < 200; i++) {
      try {
        await sfn.send(new DescribeExecutionCommand({ executionArn }));
      } catch (error) {
        if (error instanceof ExecutionDoesNotExist) break; // ended, and forgotten at once (budget: 1 byte)
        throw error;
      }
      await new Promise((r) => setTimeout(r, 10));
    }

    // Act / Assert
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn }))).rejects.toBeInstanceOf(
      ExecutionDoesNotExist,
    );
    await expect(start()).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });
});
