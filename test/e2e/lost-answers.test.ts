import { type RunningStack, request, stackPerTest, waitForExecution } from '../support/local-stack';

jest.setTimeout(60_000);

/**
 * Step Functions carries out a task's SendTaskSuccess but its answer is lost: HOOKFLOW_LOCAL_SFN_LOSE_TASK_ANSWERS=1
 * answers the first one 500 after doing the work, and the SDK's retry then hears TaskTimedOut, the token used.
 * Whoever sent it, a callback or the wait task taking an early callback, the callback counts once: driven over
 * HTTP as a third party would (docs/waits.md, "A resume whose answer was lost").
 */
describe('a task send carried out whose answer was lost', () => {
  const { start, untilWaiting } = stackPerTest({ HOOKFLOW_LOCAL_SFN_LOSE_TASK_ANSWERS: '1' });

  /** Starts a run of the events webhook `ref` (approval waits at once; approval-later a second after). */
  async function begin(s: RunningStack, ref: string) {
    const started = await request(`${s.url}/api/v2/webhook?ref=${ref}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"order":7}',
    });
    expect(started.status).toBe(202);
    return started.body as { runRef: string; executionLink: string };
  }
  const callback = (s: RunningStack, runRef: string, eventId: string, approvedBy: string) =>
    request(`${s.url}/api/v2/callback?ref=${runRef}&topic=approval&eventId=${eventId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approvedBy }),
    });

  it('a callback whose resume went through unanswered gets 204, not 410; its retry 204, another callback 409', async () => {
    // Arrange
    const s = await start();
    const { runRef, executionLink } = await begin(s, 'approval');
    await untilWaiting(runRef, 'approval');

    // Act
    const first = await callback(s, runRef, 'cb-1', 'kevin');
    const retried = await callback(s, runRef, 'cb-1', 'kevin');
    const other = await callback(s, runRef, 'cb-2', 'eve');

    // Assert
    expect(first.status).toBe(204);
    expect(retried.status).toBe(204);
    expect(other).toMatchObject({ status: 409, body: { error: expect.stringContaining('already resumed') } });
    expect(await waitForExecution(executionLink)).toMatchObject({
      status: 'SUCCEEDED',
      output: { approval: { approvedBy: 'kevin' } },
    });
  });

  it('an early callback the wait resumed with, unanswered, is delivered once and not kept again for a later wait', async () => {
    // Arrange: the callback comes before the run waits; the wait takes it and its resume's answer is lost.
    const s = await start();
    const { runRef, executionLink } = await begin(s, 'approval-later');
    const early = await callback(s, runRef, 'cb-1', 'kevin');

    // Act
    const execution = await waitForExecution(executionLink, 10_000);
    const retried = await callback(s, runRef, 'cb-1', 'kevin');
    const other = await callback(s, runRef, 'cb-2', 'eve');

    // Assert: taken, not kept again: its sender's retry hears it resumed the task (204, not 202 "kept"), another
    // callback that the task was resumed already (not that one is kept for the next wait).
    expect(early).toMatchObject({ status: 202, body: { status: 'KEPT' } });
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { approval: { approvedBy: 'kevin' } } });
    expect(retried.status).toBe(204);
    expect(other).toMatchObject({ status: 409, body: { error: expect.stringContaining('already resumed') } });
  });
});
