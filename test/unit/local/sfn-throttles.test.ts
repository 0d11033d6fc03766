import {
  ExecutionLimitExceeded,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../../local/stepfunctions';

/**
 * HOOKFLOW_LOCAL_THROTTLE's Step Functions rules on the local endpoint, read by the real SDK: a bucket per
 * operation answers ThrottlingException; `sfn:open` answers ExecutionLimitExceeded to StartExecution of a
 * Standard workflow while that many Standard executions run, and never counts or refuses Express.
 */
const echo = { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } };
const waits = { StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: 60, End: true } } };

describe('local Step Functions throttles', () => {
  let dataDir: string;
  let local: LocalStepFunctions;
  let sfn: SFNClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hookflow-sfn-throttles-'));
    local = await startLocalStepFunctions({
      host: '127.0.0.1',
      dataDir,
      stateMachines: [
        { name: 'waits', type: 'STANDARD', definition: waits },
        { name: 'echo-express', type: 'EXPRESS', definition: echo },
      ],
      faults: { rates: { StartSyncExecution: { rate: 0, burst: 1 } }, openExecutions: 1 },
    });
    sfn = new SFNClient({
      endpoint: local.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      disableHostPrefix: true,
    });
  });
  afterAll(async () => {
    sfn.destroy();
    await local.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers ThrottlingException (HTTP 400) once the operation bucket is empty', async () => {
    const start = () =>
      sfn
        .send(new StartSyncExecutionCommand({ stateMachineArn: local.stateMachineArn('echo-express'), input: '{}' }))
        .then(
          () => 'ok',
          (error: { name: string; $metadata: { httpStatusCode?: number } }) => [
            error.name,
            error.$metadata.httpStatusCode,
          ],
        );

    expect([await start(), await start()]).toEqual(['ok', ['ThrottlingException', 400]]);
  });

  it('answers ExecutionLimitExceeded to a Standard start while the open executions are at the limit, until one ends', async () => {
    // Arrange
    const standard = (name: string) =>
      sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('waits'), name }));
    const open = await standard('open-1');

    // Act
    const refused = await standard('open-2').catch((error: unknown) => error);
    const express = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('echo-express') }),
    );
    await sfn.send(new StopExecutionCommand({ executionArn: open.executionArn }));
    const after = await standard('open-2');

    // Assert
    expect(refused).toBeInstanceOf(ExecutionLimitExceeded);
    expect(express.executionArn).toContain(':express:');
    expect(after.executionArn).toContain(':execution:waits:open-2');
    await sfn.send(new StopExecutionCommand({ executionArn: after.executionArn }));
  });
});
