import { makeRunAndWait } from '../../../functions/core/runs/run-and-wait';
import { FakeEngine, silentLogger } from '../../support/fakes';

const standard = {
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:s',
  workflowType: 'STANDARD' as const,
};

function setup(syncWaitMs = 1_000) {
  const engine = new FakeEngine();
  let clock = 0;
  const sleeps: number[] = [];
  const runAndWait = makeRunAndWait(
    {
      engine,
      logger: silentLogger,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    },
    { syncWaitMs, firstPollMs: 100, maxPollMs: 400 },
  );
  return { engine, runAndWait, sleeps };
}

describe('runAndWait', () => {
  it('polls a Standard run with doubling gaps, capped, never past the deadline', async () => {
    const { engine, runAndWait, sleeps } = setup(1_000);
    engine.runningFor = Infinity;

    const outcome = await runAndWait({ target: standard, input: {} });

    expect(outcome.status).toBe('RUNNING');
    expect(outcome.executionArn).toContain(':execution:s:');
    expect(sleeps).toEqual([100, 200, 400, 300]);
  });

  it('answers a started run as RUNNING when describing it fails, instead of an error that invites a retry', async () => {
    const { engine, runAndWait } = setup();
    engine.describe = async () => {
      throw new Error('throttled');
    };

    const outcome = await runAndWait({ target: standard, input: {} });

    expect(outcome).toMatchObject({ status: 'RUNNING', executionArn: expect.any(String) });
    expect(engine.started).toHaveLength(1);
  });
});
