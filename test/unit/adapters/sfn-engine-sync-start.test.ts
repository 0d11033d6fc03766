import { SFNClient } from '@aws-sdk/client-sfn';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SfnWorkflowEngine } from '../../../functions/adapters/aws/sfn-engine';
import { EngineBusyError } from '../../../functions/core/outcomes';

/**
 * StartSyncExecution through the real SDK (its retries included) against a small HTTP server speaking the
 * Step Functions JSON protocol: what the sync wait answers when it runs out during the SDK's retries.
 */
describe('SfnWorkflowEngine.startSync when the wait runs out', () => {
  let server: Server;
  let calls: number;

  async function serve(answer: 'throttle' | 'hang'): Promise<SFNClient> {
    calls = 0;
    server = createServer((req, res) => {
      calls++;
      req.resume();
      if (answer === 'hang') return; // accepted and running: the answer comes when the run ends
      // StartSyncExecution's refusal: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({ __type: 'com.amazonaws.swf.service.v2.model#ThrottlingException', message: 'Rate exceeded' }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new SFNClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      disableHostPrefix: true,
      maxAttempts: 10,
    });
  }

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const request = {
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:orders',
    workflowType: 'EXPRESS' as const,
    name: 'run-1',
    input: {},
  };

  it('answers 503 (nothing started) when every attempt was throttled, never RUNNING', async () => {
    const engine = new SfnWorkflowEngine(await serve('throttle'));

    const outcome = engine.startSync(request, 1_500);

    await expect(outcome).rejects.toBeInstanceOf(EngineBusyError);
    expect(calls).toBeGreaterThan(0);
  });

  it('answers RUNNING when Step Functions accepted the start and the run outlasts the wait', async () => {
    const engine = new SfnWorkflowEngine(await serve('hang'));

    const outcome = await engine.startSync(request, 300);

    expect(outcome).toEqual({ name: 'run-1', status: 'RUNNING' });
  });
});
