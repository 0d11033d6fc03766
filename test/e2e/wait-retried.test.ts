import { SFNClient, SendTaskHeartbeatCommand } from '@aws-sdk/client-sfn';
import { localClientConfig, request, stackPerTest, waitForExecution } from '../support/local-stack';

jest.setTimeout(60_000);

/**
 * The wait task's first attempt stores its token, then fails with Lambda.ServiceException
 * (HOOKFLOW_LOCAL_LAMBDA_SERVICE_ERRORS=1: Lambda's own service error, after the function ran). The wait state
 * retries it 2 s later with a new token. A callback sent between the two finds the dead token: it is kept for the
 * retry, and the run gets it; it used to hear 410 while the run went on waiting (docs/waits.md, "A callback between
 * the failed attempt and its retry"). Driven over HTTP as a third party would.
 */
describe('a callback between a wait attempt that failed after storing its token and its retry', () => {
  const { start, waitItem } = stackPerTest({ HOOKFLOW_LOCAL_LAMBDA_SERVICE_ERRORS: '1' });
  let sfn: SFNClient | undefined;
  afterEach(() => sfn?.destroy());

  /** Until the first attempt has stored its token and Step Functions has closed its task (its retry comes in 2 s). */
  async function failedAfterItsPut(runRef: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      const token = (await waitItem(runRef, 'approval'))?.taskToken?.S;
      if (token !== undefined) {
        const closed = await sfn!.send(new SendTaskHeartbeatCommand({ taskToken: token })).then(
          () => false,
          (error: { name?: string }) => error.name === 'TaskTimedOut',
        );
        if (closed) return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`run ${runRef}'s first wait attempt never failed after storing its token`);
  }

  it('is kept (202, not 410), the retry resumes the run with it, and the same callback again replays', async () => {
    // Arrange
    const stack = await start();
    sfn = new SFNClient({ ...localClientConfig(stack.sfnEndpoint), disableHostPrefix: true });
    const started = await request(`${stack.url}/api/v2/webhook?ref=approval`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"order":7}',
    });
    expect(started.status).toBe(202);
    const { runRef, executionLink } = started.body as { runRef: string; executionLink: string };
    const callback = (eventId: string, approvedBy: string) =>
      request(`${stack.url}/api/v2/callback?ref=${runRef}&topic=approval&eventId=${eventId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ approvedBy }),
      });
    await failedAfterItsPut(runRef);

    // Act
    const first = await callback('cb-1', 'kevin');
    const execution = await waitForExecution(executionLink, 20_000);
    const retried = await callback('cb-1', 'kevin');
    const other = await callback('cb-2', 'eve');

    // Assert
    expect(first).toMatchObject({ status: 202, body: { status: 'KEPT', ref: runRef, topic: 'approval' } });
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { approval: { approvedBy: 'kevin' } } });
    expect(retried.status).toBe(204);
    expect(other).toMatchObject({ status: 409, body: { error: expect.stringContaining('already resumed') } });
  });
});
