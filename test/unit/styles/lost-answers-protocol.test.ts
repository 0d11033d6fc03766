import { EngineBusyError } from '../../../functions/core/outcomes';
import { deliverCallback } from '../../../functions/styles/events/resume-task';
import {
  WaitBusyError,
  type WaitForEventInput,
  type WithinInvocation,
  beginWait,
} from '../../../functions/styles/events/wait-for-event';
import { type AnswerLoss, FakeEngine, InMemoryWaitStore } from '../../support/fakes';

/**
 * The wait and callback protocol, attacked with every way a task send's answer can be lost, on both sides: one
 * callback (with an event id) and one run that waits for it, in either order, then loops back to wait again on the
 * same ref and topic. Whatever is lost, the run gets the callback exactly once, its sender ends with a success
 * (202 kept or 204 resumed, retrying as told), and the loop's second wait does not take it again
 * (docs/waits.md, "A resume whose answer was lost"; docs/guarantees.md, "Callbacks"). And the wait's put, whose
 * answer may be lost too, with the callback coming between that attempt and its retry (below).
 */
const LOSSES: readonly AnswerLoss[] = [
  'none',
  'done, retry hears TaskTimedOut',
  'done, every attempt unanswered',
  'not done, every attempt unanswered',
];

const REF = 'run-1';
const TOPIC = 'approval';
const TIMEOUT_SECONDS = 3600;
const LEASE_SECONDS = 30;
const untilDone: WithinInvocation = async (work) => ({ done: true, value: await work() });

function world() {
  const waits = new InMemoryWaitStore();
  const engine = new FakeEngine();
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  const now = () => clock;
  const advance = (ms: number) => void (clock += ms);
  let tokens = 0;
  const answers: string[] = [];

  /** The callback's sender: the same event id until a final answer, waiting as each answer says. */
  async function send(): Promise<string> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const delivery = await deliverCallback(
        { waits, engine, now, earlyCallbackTtlSeconds: 600, claimLeaseSeconds: LEASE_SECONDS },
        REF,
        TOPIC,
        { output: { approvedBy: 'kevin' } },
        'cb-1',
      ).catch((error: unknown) => {
        if (error instanceof EngineBusyError) return { outcome: 'busy' as const };
        throw error;
      });
      answers.push(delivery.outcome);
      if (delivery.outcome === 'busy') advance(1_000);
      else if (delivery.outcome === 'in-progress') advance(delivery.retryAfterSeconds * 1_000);
      else return delivery.outcome;
    }
    return 'gave up';
  }

  /**
   * One entry of the run into the wait state: its attempts, retried with a new token on WaitForEvent.Busy, each
   * knowing its invocation's end (10 s) as Lambda's context tells it; `between` runs after the first failed attempt,
   * before its retry.
   */
  async function enterWait(between?: () => Promise<void>): Promise<string> {
    const enteredTime = new Date(clock).toISOString();
    for (let attempt = 0; attempt < 6; attempt++) {
      const input: WaitForEventInput = {
        taskToken: `token-${++tokens}`,
        ref: REF,
        topic: TOPIC,
        timeoutSeconds: TIMEOUT_SECONDS,
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:hookflow-approval:run-1',
        enteredTime,
      };
      try {
        const invocation = { endsAt: clock + 10_000, lastsMs: 10_000 };
        return (await beginWait({ waits, engine, now, graceSeconds: 86_400 }, input, untilDone, invocation)).outcome;
      } catch (error) {
        // A task already closed ignores its function's error; else the state retries Busy with a new token.
        if (engine.goneTokens.has(input.taskToken)) return 'took-early';
        if (!(error instanceof WaitBusyError)) return `failed: ${(error as Error).name}`;
        engine.goneTokens.add(input.taskToken);
        if (attempt === 0) await between?.();
        advance(2_000);
      }
    }
    return 'retries spent';
  }

  return { waits, engine, advance, send, enterWait, answers };
}

describe('a lost task answer, on either side, still delivers a callback exactly once', () => {
  it.each(LOSSES)('early callback, the wait resumes: %s', async (loss) => {
    // Arrange
    const w = world();

    // Act: the callback comes first and is kept; the run's wait takes it and resumes with it (the send at risk);
    // the run loops back to wait on the same ref and topic.
    const kept = await w.send();
    w.engine.loseNextAnswer = loss;
    const first = await w.enterWait();
    const resumedOnce = [...w.engine.resumed];
    const retried = await w.send();
    w.advance(60_000);
    const loop = await w.enterWait();

    // Assert
    expect(kept).toBe('kept');
    expect(first).toBe('took-early');
    expect(resumedOnce).toEqual([{ taskToken: 'token-1', result: { output: { approvedBy: 'kevin' } } }]);
    expect(retried).toBe('resumed');
    expect(loop).toBe('waiting');
    expect(w.engine.resumed).toHaveLength(1);
  });

  it.each(LOSSES)('the run waits, the callback resumes: %s', async (loss) => {
    // Arrange
    const w = world();

    // Act: the run waits first; the callback's resume is the send at risk; its sender retries as told.
    const first = await w.enterWait();
    w.engine.loseNextAnswer = loss;
    const delivered = await w.send();
    const retried = await w.send();
    w.advance(60_000);
    const loop = await w.enterWait();

    // Assert: a success for the sender (never 410 nor 409 for its own callback), one resume, and the loop waits.
    expect(first).toBe('waiting');
    expect(delivered).toBe('resumed');
    expect(w.answers.filter((a) => ['gone', 'already-resumed', 'already-kept'].includes(a))).toEqual([]);
    expect(retried).toBe('resumed');
    expect(w.engine.resumed).toEqual([{ taskToken: 'token-1', result: { output: { approvedBy: 'kevin' } } }]);
    expect(loop).toBe('waiting');
  });
});

/** How the wait's put can lose its answer: carried out or not, every SDK attempt unanswered (the SDK's timeout). */
const PUT_LOSSES = ['landed, every attempt unanswered', 'not landed, every attempt unanswered'] as const;

describe("a wait's put whose answer was lost, and a callback between that attempt and its retry", () => {
  it.each(PUT_LOSSES)('%s: the callback is kept, the retry resumes with it once, the loop waits', async (loss) => {
    // Arrange: the first attempt's put fails unanswered (Busy: retried with a new token).
    const w = world();
    const put = w.waits.beginWait.bind(w.waits);
    jest.spyOn(w.waits, 'beginWait').mockImplementationOnce(async (wait, now) => {
      if (loss.startsWith('landed')) await put(wait, now);
      throw new EngineBusyError('no answer');
    });
    let between: string | undefined;

    // Act: the callback comes after the attempt failed, before the retry; the run then loops back to wait again.
    const first = await w.enterWait(async () => void (between = await w.send()));
    const retried = await w.send();
    w.advance(60_000);
    const loop = await w.enterWait();

    // Assert
    expect(between).toBe('kept');
    expect(first).toBe('took-early');
    expect(w.engine.resumed).toEqual([{ taskToken: 'token-2', result: { output: { approvedBy: 'kevin' } } }]);
    expect(retried).toBe('resumed');
    expect(loop).toBe('waiting');
    expect(w.engine.resumed).toHaveLength(1);
  });
});
