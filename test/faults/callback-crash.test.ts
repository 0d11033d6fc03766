import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { waitKey } from '../../functions/adapters/aws/registry-items';
import { waitForExecution } from '../support/local-stack';
import { CrashingStack, SEED, mayBeCut, report, request, retryUntil } from './crash-support';

jest.setTimeout(420_000);

/**
 * A Standard run waits for a callback; the callback handler dies between its claim on the waiting task and
 * SendTaskSuccess. After a restart the sender retries the same callback (same eventId): the run resumes.
 */
describe('crash between a callback claim and the resume, then the sender retries', () => {
  const stack = new CrashingStack();
  afterAll(() => stack.close());

  it('resumes the run with the callback: nothing lost', async () => {
    await stack.start('callback-claimed');
    const started = await request(`${stack.stack.url}/api/v2/webhook?ref=approval`, { method: 'POST', body: '{}' });
    const { runRef, executionLink } = started.body as { runRef: string; executionLink: string };
    const dynamodb = new DynamoDBClient({
      endpoint: stack.stack.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    for (let i = 0; i < 300; i++) {
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: 'hookflow-dedupe', Key: marshall(waitKey(runRef, 'approval')) }),
      );
      if (Item?.taskToken !== undefined) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    dynamodb.destroy();
    const callback = () =>
      request(`${stack.stack.url}/api/v2/callback?ref=${runRef}&topic=approval&eventId=cb-${SEED}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"approvedBy":"crash-suite"}',
      });

    const first = await mayBeCut(callback);
    await stack.crashed();
    await stack.start();
    const retried = await retryUntil(callback, (s) => s === 204 || s === 410);
    const execution = await waitForExecution(executionLink.replace(/^http:\/\/[^/]+/, stack.stack.url), 60_000);

    report({
      scenario: 'callback',
      seed: SEED,
      kill: 'callback-claimed',
      kills: stack.kills,
      firstAnswer: first === 'cut' ? 'cut' : first.status,
      retryAnswer: retried.status,
      run: String(execution.status),
    });
    expect(retried.status).toBe(204);
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { approval: { approvedBy: 'crash-suite' } } });
  });
});
