import { httpAnswerOf } from '../../../functions/http/outcome-to-http';
import { type DeliveryRefusal, deliverCallback, refusalError } from '../../../functions/styles/events/resume-task';
import {
  RESUME_RESENDS,
  type WaitForEventInput,
  type WithinInvocation,
  WaitBusyError,
  WaitContendedError,
  WaitInputError,
  beginWait,
  makeWaitForEventHandler,
} from '../../../functions/styles/events/wait-for-event';
import { FakeEngine, InMemoryWaitStore, silentLogger } from '../../support/fakes';
import { EngineBusyError } from '../../../functions/core/outcomes';
import { TaskGoneError } from '../../../functions/core/ports';
import { TASK_CLOCK_MARGIN_MS } from '../../../functions/styles/events/wait-rules';

const GRACE = 86_400;
const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:hookflow-approval:run-1';

function setup() {
  const waits = new InMemoryWaitStore();
  const engine = new FakeEngine();
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  const now = () => clock;
  const deps = { waits, engine, now, graceSeconds: GRACE };
  const input = (overrides: Partial<WaitForEventInput> = {}): WaitForEventInput => ({
    taskToken: 'token-1',
    ref: 'run-1',
    topic: 'approval',
    timeoutSeconds: 3600,
    executionArn: EXECUTION,
    ...overrides,
  });
  const callback = (result: { output: unknown } | { error: string; cause: string }, eventId?: string) =>
    deliverCallback(
      { waits, engine, now, earlyCallbackTtlSeconds: 600, claimLeaseSeconds: 30 },
      'run-1',
      'approval',
      result,
      eventId,
    );
  return { waits, engine, deps, input, callback, advance: (ms: number) => void (clock += ms), now };
}

/**
 * While a callback resumes attempt-1's token, the wait task's retry writes attempt-2 over the item, and Step
 * Functions answers that attempt-1's task is closed (it ended with its attempt).
 */
function retryWritesOverAttempt1(s: ReturnType<typeof setup>) {
  const send = s.engine.resumeTask.bind(s.engine);
  jest.spyOn(s.engine, 'resumeTask').mockImplementation(async (token, result) => {
    if (token !== 'attempt-1') return send(token, result);
    await beginWait(s.deps, s.input({ taskToken: 'attempt-2' }));
    throw new TaskGoneError('Task Timed Out', 'TaskTimedOut');
  });
}

function expectDeliveredToAttempt2(s: ReturnType<typeof setup>, delivered: unknown) {
  expect(delivered).toMatchObject({ outcome: 'resumed', replayed: false });
  expect(s.engine.resumed).toEqual([{ taskToken: 'attempt-2', result: { output: { approved: true } } }]);
  expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'RESUMED', taskToken: 'attempt-2' });
}

type Setup = ReturnType<typeof setup>;

/** The attempt's Lambda context: 10 s left of a 10 s invocation (what retryWritesBy is counted from). */
const tenSecondsLeft = (s: Setup) => ({ endsAt: s.now() + 10_000, lastsMs: 10_000 });

/**
 * The wait's next put is carried out, then `after` says what the function hears: `again` is the SDK's retry of the
 * same put (its first attempt's answer lost), or `after` throws the lost answer itself.
 */
function afterThePutLands(s: Setup, after: (again: () => Promise<boolean>) => Promise<boolean>) {
  const put = s.waits.beginWait.bind(s.waits);
  jest.spyOn(s.waits, 'beginWait').mockImplementationOnce(async (wait, now) => {
    await put(wait, now);
    return after(() => put(wait, now));
  });
}

describe('the wait task (functions/styles/events/wait-for-event.ts)', () => {
  it('stores the token with the TTL attribute: timeout plus WAIT_ITEM_GRACE_SECONDS, in epoch seconds', async () => {
    const s = setup();

    const begun = await beginWait(s.deps, s.input());

    const expected = Date.parse('2026-01-01T00:00:00.000Z') / 1000 + 3600 + GRACE;
    expect(begun).toEqual({ outcome: 'waiting', expiresAt: expected });
    expect(s.waits.expiresAt.get('run-1/approval')).toBe(expected);
    expect(s.waits.tasks.get('run-1/approval')).toEqual({
      ref: 'run-1',
      topic: 'approval',
      taskToken: 'token-1',
      executionArn: EXECUTION,
      enteredTime: '2026-01-01T00:00:00.000Z',
      timeoutSeconds: 3600,
      status: 'WAITING',
    });
    expect(s.engine.resumed).toEqual([]);
  });

  it("stores the state's entry time beside its own when the wait state sends it (what a callback's TaskTimedOut is read by)", async () => {
    // Arrange: the run entered the state 3 s before the function ran.
    const s = setup();
    const entered = new Date(s.now() - 3_000).toISOString();

    // Act
    await beginWait(s.deps, s.input({ enteredTime: entered }));

    // Assert
    expect(s.waits.tasks.get('run-1/approval')).toMatchObject({
      enteredTime: new Date(s.now()).toISOString(),
      stateEnteredTime: entered,
    });
  });

  it("stores until when a retry of its attempt may write (retryWritesBy), from its Lambda context's remaining time", async () => {
    // Arrange: 10 s left in the invocation.
    const s = setup();
    const handler = makeWaitForEventHandler({ ...s.deps, logger: silentLogger });
    const before = Date.now();

    // Act
    await handler(s.input(), { getRemainingTimeInMillis: () => 10_000 });

    // Assert: its end (now + 10 s), the longest interval (64 s), a cold start (10 s), as long again (10 s), 5 s.
    const by = s.waits.tasks.get('run-1/approval')?.retryWritesBy;
    expect(by).toBeGreaterThanOrEqual(before + 99_000);
    expect(by).toBeLessThanOrEqual(Date.now() + 99_000);
  });

  it('stores a run ref that is a UUID in lower case, as the callback route looks it up', async () => {
    const s = setup();
    const handler = makeWaitForEventHandler({ ...s.deps, logger: silentLogger });

    await handler(s.input({ ref: 'C0FFEE00-1234-4ABC-9DEF-0123456789AB' }));

    expect(s.waits.tasks.get('c0ffee00-1234-4abc-9def-0123456789ab/approval')).toMatchObject({ status: 'WAITING' });
  });

  it('lets a callback resume the stored token; after the timeout a late callback gets 410', async () => {
    const s = setup();
    await beginWait(s.deps, s.input());

    expect(await s.callback({ output: { ok: true } })).toMatchObject({ outcome: 'resumed', replayed: false });
    expect(s.engine.resumed).toEqual([{ taskToken: 'token-1', result: { output: { ok: true } } }]);

    const late = setup();
    await beginWait(late.deps, late.input({ timeoutSeconds: 2 }));
    late.advance(2_001);
    expect(await late.callback({ output: {} })).toMatchObject({
      outcome: 'gone',
      message: expect.stringMatching(/expired/),
    });
  });

  it('takes a callback that came first: completes its own token with it, once, and the same callback id replays', async () => {
    const s = setup();
    expect(await s.callback({ output: { approvedBy: 'kevin' } }, 'cb-1')).toMatchObject({ outcome: 'kept' });

    const begun = await beginWait(s.deps, s.input());

    expect(begun).toEqual({ outcome: 'took-early', callbackStatus: 'succeeded' });
    expect(s.engine.resumed).toEqual([{ taskToken: 'token-1', result: { output: { approvedBy: 'kevin' } } }]);
    expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'RESUMED', executionArn: EXECUTION });
    // kept WAIT_ITEM_GRACE_SECONDS for late duplicates, then TTL removes it
    expect(s.waits.expiresAt.get('run-1/approval')).toBe(Date.parse('2026-01-01T00:00:00.000Z') / 1000 + GRACE);
    expect(await s.callback({ output: {} }, 'cb-1')).toEqual({
      outcome: 'resumed',
      executionArn: EXECUTION,
      replayed: true,
    });
    expect(await s.callback({ output: {} }, 'cb-2')).toMatchObject({ outcome: 'already-resumed' });
    expect(s.engine.resumed).toHaveLength(1);
  });

  it("fails the task with an early failure's own error and cause", async () => {
    const s = setup();
    await s.callback({ error: 'Approval.Denied', cause: 'over budget' });

    await beginWait(s.deps, s.input());

    expect(s.engine.resumed).toEqual([
      { taskToken: 'token-1', result: { error: 'Approval.Denied', cause: 'over budget' } },
    ]);
  });

  it('ignores an early callback past its expiry and waits instead', async () => {
    const s = setup();
    await s.callback({ output: { stale: true } });
    s.advance(601_000); // EARLY_CALLBACK_TTL_SECONDS = 600 in this setup

    const begun = await beginWait(s.deps, s.input());

    expect(begun.outcome).toBe('waiting');
    expect(s.engine.resumed).toEqual([]);
    expect(s.waits.tasks.get('run-1/approval')?.status).toBe('WAITING');
  });

  it('gives an early callback back when completing the task fails, so it is not lost', async () => {
    const s = setup();
    await s.callback({ output: { n: 1 } }, 'cb-1');
    s.engine.goneTokens.add('token-1');

    await expect(beginWait(s.deps, s.input())).rejects.toThrow('TaskTimedOut');

    expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'EARLY', resumedBy: 'cb-1' });
    expect(s.waits.tasks.get('run-1/approval')?.executionArn).toBeUndefined();
    // the wait's retry (a new token) takes it
    expect(await beginWait(s.deps, s.input({ taskToken: 'token-2' }))).toMatchObject({ outcome: 'took-early' });
    expect(s.engine.resumed).toEqual([{ taskToken: 'token-2', result: { output: { n: 1 } } }]);
  });

  it("replaces its own earlier attempt's item on a retry (a new token), so callbacks reach the live token", async () => {
    const s = setup();
    await beginWait(s.deps, s.input({ taskToken: 'attempt-1' }));

    await beginWait(s.deps, s.input({ taskToken: 'attempt-2' }));
    await s.callback({ output: {} });

    expect(s.engine.resumed.map((r) => r.taskToken)).toEqual(['attempt-2']);
  });

  it("delivers a callback that claimed a failed attempt's token to the retry's token, never expiring the retry's wait", async () => {
    // Arrange: the first attempt stored its token, then failed (a Lambda service error the state retries). A
    // callback claims that token; while it resumes it, the retry writes its own token over the item, and Step
    // Functions answers that the first token's task is closed.
    const s = setup();
    await beginWait(s.deps, s.input({ taskToken: 'attempt-1' }));
    retryWritesOverAttempt1(s);

    // Act
    const delivered = await s.callback({ output: { approved: true } }, 'cb-1');

    // Assert: resumed through the live token; the item is the retry's, RESUMED, not EXPIRED.
    expectDeliveredToAttempt2(s, delivered);
  });

  describe("a callback between an attempt that failed after storing its token and that attempt's retry", () => {
    /**
     * The first attempt stores its token and learns its invocation's end (10 s from now), then fails with one of
     * Lambda's service errors: Step Functions closes its task and retries the state with a new token.
     */
    async function failedAfterItsPut(s: Setup) {
      const entered = new Date(s.now()).toISOString();
      await beginWait(s.deps, s.input({ taskToken: 'attempt-1', enteredTime: entered }), undefined, tenSecondsLeft(s));
      s.engine.goneTokens.add('attempt-1');
      const retry = () => beginWait(s.deps, s.input({ taskToken: 'attempt-2', enteredTime: entered }));
      return { retry };
    }

    it("is kept (202, not 410) in the dead token's place, and the retry resumes its task with it, once", async () => {
      // Arrange
      const s = setup();
      const { retry } = await failedAfterItsPut(s);

      // Act
      const delivered = await s.callback({ output: { approved: true } }, 'cb-1');
      const again = await s.callback({ output: { approved: true } }, 'cb-1');
      const other = await s.callback({ output: { approved: false } }, 'cb-2');
      s.advance(2_000);
      const retried = await retry();
      const after = await s.callback({ output: { approved: true } }, 'cb-1');

      // Assert: kept; its sender's retry replays it, another callback is refused; the retry takes it.
      expect(delivered).toMatchObject({ outcome: 'kept', replayed: false });
      expect(again).toMatchObject({ outcome: 'kept', replayed: true });
      expect(other).toMatchObject({ outcome: 'already-kept' });
      expect(retried).toEqual({ outcome: 'took-early', callbackStatus: 'succeeded' });
      expect(s.engine.resumed).toEqual([{ taskToken: 'attempt-2', result: { output: { approved: true } } }]);
      expect(after).toMatchObject({ outcome: 'resumed', replayed: true });
    });

    it('keeps it until the latest time a retry could write (retryWritesBy); after that, 410 as before', async () => {
      // Arrange: the attempt's invocation ends in 10 s; a retry follows within 64 s, may start cold (10 s), runs
      // as long (10 s), plus 5 s: 99 s from now.
      const s = setup();
      await failedAfterItsPut(s);
      expect(s.waits.tasks.get('run-1/approval')?.retryWritesBy).toBe(s.now() + 99_000);
      s.advance(99_000);

      // Act
      const delivered = await s.callback({ output: { approved: true } }, 'cb-1');

      // Assert
      expect(delivered).toMatchObject({ outcome: 'gone' });
      expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'EXPIRED' });
      expect(s.engine.resumed).toEqual([]);
    });

    it('an event (never kept early): asked to come again, the claim given back; its redelivery resumes the retry', async () => {
      // Arrange
      const s = setup();
      const { retry } = await failedAfterItsPut(s);
      const event = () =>
        deliverCallback(
          { waits: s.waits, engine: s.engine, now: s.now, earlyCallbackTtlSeconds: 600, claimLeaseSeconds: 30 },
          'run-1',
          'approval',
          { output: { approved: true } },
          'event-1',
          { keepEarly: false },
        );

      // Act
      const first = await event();
      await retry();
      const redelivered = await event();

      // Assert
      expect(first).toMatchObject({ outcome: 'in-progress', retryAfterSeconds: 5 });
      expect(redelivered).toMatchObject({ outcome: 'resumed', replayed: false });
      expect(s.engine.resumed).toEqual([{ taskToken: 'attempt-2', result: { output: { approved: true } } }]);
    });

    it("when the retry writes its token while the callback hears the dead one's TaskTimedOut: delivered to the retry", async () => {
      // Arrange
      const s = setup();
      const { retry } = await failedAfterItsPut(s);
      const send = s.engine.resumeTask.bind(s.engine);
      jest.spyOn(s.engine, 'resumeTask').mockImplementationOnce(async (token, result) => {
        await retry();
        return send(token, result);
      });

      // Act
      const delivered = await s.callback({ output: { approved: true } }, 'cb-1');

      // Assert: the conversion found the claim gone (the retry's put), and the next pass resumed the live token.
      expectDeliveredToAttempt2(s, delivered);
    });

    it("a put that landed unanswered, a callback resumed in between, the SDK's retry of the put: that token stays the callback's, never kept again", async () => {
      // Arrange: the put's first SDK attempt lands (its answer lost); a callback resumes that token before the SDK's
      // second attempt of the same put, which then meets the resumed item.
      const s = setup();
      const entered = new Date(s.now()).toISOString();
      afterThePutLands(s, async (again) => {
        await s.callback({ output: { approved: true } }, 'cb-1');
        return again();
      });

      // Act
      const begun = beginWait(s.deps, s.input({ enteredTime: entered }), undefined, tenSecondsLeft(s));
      await expect(begun).rejects.toBeInstanceOf(WaitContendedError);
      const again = await s.callback({ output: { approved: true } }, 'cb-1');
      const loop = await beginWait(s.deps, s.input({ taskToken: 'token-9', enteredTime: entered }));

      // Assert: the task (closed by the callback) ignores the function's error; the callback again is its replay,
      // and the run's next wait on the same ref and topic waits rather than taking it a second time.
      expect(again).toMatchObject({ outcome: 'resumed', replayed: true });
      expect(loop).toMatchObject({ outcome: 'waiting' });
      expect(s.engine.resumed).toEqual([{ taskToken: 'token-1', result: { output: { approved: true } } }]);
    });

    it('without a time a retry could write by (an item written before it was stored): 410, as before', async () => {
      // Arrange
      const s = setup();
      await beginWait(s.deps, s.input({ taskToken: 'attempt-1', enteredTime: new Date(s.now()).toISOString() }));
      s.engine.goneTokens.add('attempt-1');

      // Act
      const delivered = await s.callback({ output: { approved: true } }, 'cb-1');

      // Assert
      expect(delivered).toMatchObject({ outcome: 'gone' });
    });
  });

  describe("a callback whose own resume went unanswered, then heard TaskTimedOut on the SDK's retry", () => {
    it("counts as delivered (not 410): the wait had not timed out, and its token is still the wait's", async () => {
      // Arrange: a run waiting since now (the state's entry sent), with an hour to go.
      const s = setup();
      await beginWait(s.deps, s.input({ enteredTime: new Date(s.now()).toISOString() }));
      // The callback's first attempt resumes the task, its answer lost; the SDK's retry hears TaskTimedOut.
      s.engine.loseNextAnswer = 'done, retry hears TaskTimedOut';

      // Act
      const delivered = await s.callback({ output: { approved: true } }, 'cb-1');
      const retried = await s.callback({ output: { approved: true } }, 'cb-1');
      const other = await s.callback({ output: { approved: false } }, 'cb-2');

      // Assert: resumed once; the sender's retry replays it, another callback is refused as already resumed.
      expect(delivered).toMatchObject({ outcome: 'resumed', replayed: false });
      expect(retried).toMatchObject({ outcome: 'resumed', replayed: true });
      expect(other).toMatchObject({ outcome: 'already-resumed' });
      expect(s.engine.resumed).toEqual([{ taskToken: 'token-1', result: { output: { approved: true } } }]);
      expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'RESUMED', resumedBy: 'cb-1' });
    });

    it("without the state's entry time (an item written before it was stored): gone, as before", async () => {
      // Arrange
      const s = setup();
      await beginWait(s.deps, s.input());
      s.engine.loseNextAnswer = 'done, retry hears TaskTimedOut';

      // Act
      const delivered = await s.callback({ output: { approved: true } }, 'cb-1');

      // Assert
      expect(delivered).toMatchObject({ outcome: 'gone' });
      expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'EXPIRED' });
    });

    it("when the wait task's retry wrote its own token meanwhile: delivered to that token, not counted on the old", async () => {
      // Arrange: the first attempt's token died with its attempt; the retry's put replaced the claimed item.
      const s = setup();
      const entered = new Date(s.now()).toISOString();
      await beginWait(s.deps, s.input({ taskToken: 'attempt-1', enteredTime: entered }));
      jest.spyOn(s.engine, 'resumeTask').mockImplementationOnce(async (token) => {
        await beginWait(s.deps, s.input({ taskToken: 'attempt-2', enteredTime: entered }));
        s.engine.goneTokens.add(token);
        throw new TaskGoneError('Task Timed Out', 'TaskTimedOut', true);
      });

      // Act
      const delivered = await s.callback({ output: { approved: true } }, 'cb-1');

      // Assert
      expect(delivered).toMatchObject({ outcome: 'resumed', replayed: false });
      expect(s.engine.resumed).toEqual([{ taskToken: 'attempt-2', result: { output: { approved: true } } }]);
      expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'RESUMED', taskToken: 'attempt-2' });
    });
  });

  it("takes over a dead delivery's claim whose token died with its attempt: delivered to the retry's token, never counted on the dead one", async () => {
    // Arrange: a delivery claimed attempt-1's token and died (no resume sent). Its lease runs out. The retry of
    // the wait task writes attempt-2 over the item while the next delivery resumes attempt-1, which is closed.
    const s = setup();
    await beginWait(s.deps, s.input({ taskToken: 'attempt-1' }));
    await s.waits.claim('run-1', 'approval', {
      owner: 'dead-handler',
      taskToken: 'attempt-1',
      eventId: 'cb-1',
      now: s.now(),
      leaseUntil: s.now() + 30_000,
    });
    s.advance(30_000);
    retryWritesOverAttempt1(s);

    // Act: the dead delivery's sender retries.
    const delivered = await s.callback({ output: { approved: true } }, 'cb-1');

    // Assert: the live token got it; the claim on the dead token was not confirmed as a resume.
    expectDeliveredToAttempt2(s, delivered);
  });

  it('fails under its own name when early callbacks keep coming and going between its two writes', async () => {
    // Arrange: every put meets a live early callback, and every take finds it gone.
    const s = setup();
    jest.spyOn(s.waits, 'beginWait').mockResolvedValue(false);
    jest.spyOn(s.waits, 'takeEarly').mockResolvedValue(undefined);

    // Act
    const begun = beginWait(s.deps, s.input());

    // Assert
    await expect(begun).rejects.toBeInstanceOf(WaitContendedError);
    await expect(begun).rejects.toMatchObject({ name: 'WaitForEvent.Contended' });
    expect(s.waits.beginWait).toHaveBeenCalledTimes(3);
    expect(s.engine.resumed).toEqual([]);
  });

  describe('a busy dependency: retried (WaitForEvent.Busy) exactly when the attempt left nothing behind', () => {
    const refused = () => new EngineBusyError('throttled', { refused: true });
    const unanswered = () => new EngineBusyError('no answer');

    it('a put refused on every attempt: Busy, nothing stored, and the retry (a new token) waits', async () => {
      // Arrange
      const s = setup();
      jest.spyOn(s.waits, 'beginWait').mockRejectedValueOnce(refused());

      // Act
      const first = beginWait(s.deps, s.input({ taskToken: 'attempt-1' }));

      // Assert
      await expect(first).rejects.toBeInstanceOf(WaitBusyError);
      await expect(first).rejects.toMatchObject({ name: 'WaitForEvent.Busy' });
      expect(s.waits.tasks.size).toBe(0);
      await beginWait(s.deps, s.input({ taskToken: 'attempt-2' }));
      await s.callback({ output: { ok: 1 } });
      expect(s.engine.resumed.map((r) => r.taskToken)).toEqual(['attempt-2']);
    });

    it("a put that may have been written (no answer), from a payload without the state's entry time: fails the task as it is", async () => {
      const s = setup();
      const error = unanswered();
      jest.spyOn(s.waits, 'beginWait').mockRejectedValueOnce(error);

      await expect(beginWait(s.deps, s.input(), undefined, tenSecondsLeft(s))).rejects.toBe(error);
    });

    it('a put that landed with no answer: Busy; a callback meanwhile is kept, and the retry (a new token) resumes with it', async () => {
      // Arrange: the put lands, but its answer is lost on every SDK attempt; the task fails and is retried.
      const s = setup();
      const entered = new Date(s.now()).toISOString();
      afterThePutLands(s, async () => {
        throw unanswered();
      });

      // Act
      const first = beginWait(
        s.deps,
        s.input({ taskToken: 'attempt-1', enteredTime: entered }),
        undefined,
        tenSecondsLeft(s),
      );
      await expect(first).rejects.toBeInstanceOf(WaitBusyError);
      s.engine.goneTokens.add('attempt-1');
      const delivered = await s.callback({ output: { n: 1 } }, 'cb-1');
      s.advance(2_000);
      const retried = await beginWait(s.deps, s.input({ taskToken: 'attempt-2', enteredTime: entered }));

      // Assert
      expect(delivered).toMatchObject({ outcome: 'kept' });
      expect(retried).toMatchObject({ outcome: 'took-early' });
      expect(s.engine.resumed).toEqual([{ taskToken: 'attempt-2', result: { output: { n: 1 } } }]);
    });

    it('a take that may have gone through: fails the task as it is, never Busy', async () => {
      const s = setup();
      await s.callback({ output: { n: 1 } }, 'cb-1');
      const error = unanswered();
      jest.spyOn(s.waits, 'takeEarly').mockRejectedValueOnce(error);

      await expect(beginWait(s.deps, s.input())).rejects.toBe(error);
    });

    const failTake = (s: Setup, error: Error) => jest.spyOn(s.waits, 'takeEarly').mockRejectedValueOnce(error);
    const failResume = (s: Setup, error: Error) => jest.spyOn(s.engine, 'resumeTask').mockRejectedValueOnce(error);
    it.each([
      ['a take refused on every attempt: the early callback still kept', failTake, refused],
      ['a resume refused, its callback given back', failResume, refused],
      ['a resume unanswered, its callback given back', failResume, unanswered],
    ])('%s: Busy, and the retry (a new token) resumes with it', async (_, fail, busy) => {
      // Arrange
      const s = setup();
      await s.callback({ output: { n: 1 } }, 'cb-1');
      fail(s, busy());

      // Act
      const first = beginWait(s.deps, s.input({ taskToken: 'attempt-1' }));

      // Assert
      await expect(first).rejects.toBeInstanceOf(WaitBusyError);
      expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'EARLY' });
      expect(await beginWait(s.deps, s.input({ taskToken: 'attempt-2' }))).toMatchObject({ outcome: 'took-early' });
      expect(s.engine.resumed).toEqual([{ taskToken: 'attempt-2', result: { output: { n: 1 } } }]);
    });

    it('a resume that failed busy whose callback could not be given back: fails with that error, never Busy', async () => {
      const s = setup();
      await s.callback({ output: { n: 1 } }, 'cb-1');
      const giveBack = unanswered();
      jest.spyOn(s.engine, 'resumeTask').mockRejectedValueOnce(refused());
      jest.spyOn(s.waits, 'returnEarly').mockRejectedValueOnce(giveBack);

      await expect(beginWait(s.deps, s.input())).rejects.toBe(giveBack);
    });

    it('a resume refused for what it carries (not busy): fails as it is, since every retry would too', async () => {
      const s = setup();
      await s.callback({ output: { n: 1 } }, 'cb-1');
      const invalid = Object.assign(new Error('output too large'), { name: 'InvalidOutput' });
      jest.spyOn(s.engine, 'resumeTask').mockRejectedValueOnce(invalid);

      await expect(beginWait(s.deps, s.input())).rejects.toBe(invalid);
      expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'EARLY' });
    });
  });

  describe('an unanswered resume, sent again to learn whether it closed the task (RESUME_RESENDS)', () => {
    const unanswered = () => new EngineBusyError('no answer');
    /** The invocation's deadline, never reached (the handler binds the real one: below). */
    const untilDone: WithinInvocation = async (work) => ({ done: true, value: await work() });
    const enteredNow = (s: ReturnType<typeof setup>) => new Date(s.now()).toISOString();

    it('closed by the first send (TaskTimedOut before the timeout): delivered once, never given back for a later wait to take again', async () => {
      // Arrange: an early callback, then the run's wait, whose resume completes the task without an answer.
      const s = setup();
      await s.callback({ output: { n: 1 } }, 'cb-1');
      // The first send completes the task, and its answer is lost.
      s.engine.loseNextAnswer = 'done, every attempt unanswered';
      const resume = jest.spyOn(s.engine, 'resumeTask');

      // Act
      const begun = await beginWait(s.deps, s.input({ enteredTime: enteredNow(s) }), untilDone);
      // The run loops back to wait on the same ref and topic (a new task, a new token).
      const again = await beginWait(s.deps, s.input({ taskToken: 'loop-2', enteredTime: enteredNow(s) }), untilDone);

      // Assert: sent twice, carried out once; the callback stays taken, so the loop's wait waits for a new one.
      expect(begun).toEqual({ outcome: 'took-early', callbackStatus: 'succeeded' });
      expect(resume).toHaveBeenCalledTimes(2);
      expect(s.engine.resumed).toEqual([{ taskToken: 'token-1', result: { output: { n: 1 } } }]);
      expect(again).toMatchObject({ outcome: 'waiting' });
      expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'WAITING', taskToken: 'loop-2' });
    });

    it.each([
      [
        'after an unanswered attempt of the same call, before the timeout: closed by it, delivered',
        true,
        0,
        'took-early',
      ],
      ['with every earlier attempt answered: nothing of this attempt closed it, given back', false, 0, 'given back'],
      [
        'after an unanswered attempt, past the timeout: it may have timed out, given back',
        true,
        3600 * 1000,
        'given back',
      ],
    ] as const)('TaskTimedOut heard by the SDK retry %s', async (_, afterUnanswered, enteredAgoMs, expected) => {
      // Arrange: the first attempt of the call closed the task (its answer lost); the SDK's retry heard TaskTimedOut.
      const s = setup();
      await s.callback({ output: { n: 1 } }, 'cb-1');
      const send = s.engine.resumeTask.bind(s.engine);
      const resume = jest.spyOn(s.engine, 'resumeTask').mockImplementationOnce(async (token, result) => {
        await send(token, result);
        throw new TaskGoneError('Task Timed Out', 'TaskTimedOut', afterUnanswered);
      });
      const entered = new Date(s.now() - enteredAgoMs).toISOString();

      // Act
      const begun = beginWait(s.deps, s.input({ enteredTime: entered }), untilDone);

      // Assert: settled without sending again; given back only when it cannot be known.
      if (expected === 'took-early') {
        await expect(begun).resolves.toEqual({ outcome: 'took-early', callbackStatus: 'succeeded' });
        expect(s.waits.tasks.get('run-1/approval')?.status).not.toBe('EARLY');
      } else {
        await expect(begun).rejects.toBeInstanceOf(TaskGoneError);
        expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'EARLY' });
      }
      expect(resume).toHaveBeenCalledTimes(1);
    });

    it('not carried out by the first send: the second completes the task, once', async () => {
      // Arrange
      const s = setup();
      await s.callback({ error: 'Rejected', cause: 'no' }, 'cb-1');
      jest.spyOn(s.engine, 'resumeTask').mockRejectedValueOnce(unanswered());

      // Act
      const begun = await beginWait(s.deps, s.input({ enteredTime: enteredNow(s) }), untilDone);

      // Assert
      expect(begun).toEqual({ outcome: 'took-early', callbackStatus: 'failed' });
      expect(s.engine.resumed).toEqual([{ taskToken: 'token-1', result: { error: 'Rejected', cause: 'no' } }]);
    });

    it(`still unanswered after ${RESUME_RESENDS} more sends: unknown, so the callback is given back and the attempt is Busy, as before`, async () => {
      // Arrange
      const s = setup();
      await s.callback({ output: { n: 1 } }, 'cb-1');
      const resume = jest.spyOn(s.engine, 'resumeTask').mockRejectedValue(unanswered());

      // Act
      const first = beginWait(s.deps, s.input({ enteredTime: enteredNow(s) }), untilDone);

      // Assert
      await expect(first).rejects.toBeInstanceOf(WaitBusyError);
      expect(resume).toHaveBeenCalledTimes(1 + RESUME_RESENDS);
      expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'EARLY' });
    });

    it("TaskTimedOut once the task's own timeout may have passed proves nothing: given back", async () => {
      // Arrange: the run entered the wait state a timeout ago (less the clock margin), so the task may have timed out.
      const s = setup();
      await s.callback({ output: { n: 1 } }, 'cb-1');
      s.engine.loseNextAnswer = 'done, every attempt unanswered';
      const entered = new Date(s.now() - 3600 * 1000 + TASK_CLOCK_MARGIN_MS - 1).toISOString();

      // Act
      const first = beginWait(s.deps, s.input({ enteredTime: entered }), untilDone);

      // Assert
      await expect(first).rejects.toBeInstanceOf(WaitBusyError);
      expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'EARLY' });
    });

    it.each([
      ['no entry time (a definition deployed before the wait state sent it)', false, untilDone],
      ['no deadline to bound the sends', true, undefined],
      ['the deadline already reached', true, (async () => ({ done: false })) as WithinInvocation],
    ])('%s: not sent again, the callback given back', async (_, withEntryTime, within) => {
      // Arrange
      const s = setup();
      await s.callback({ output: { n: 1 } }, 'cb-1');
      const resume = jest.spyOn(s.engine, 'resumeTask').mockRejectedValueOnce(unanswered());
      const input = s.input(withEntryTime ? { enteredTime: enteredNow(s) } : {});

      // Act
      const first = beginWait(s.deps, input, within);

      // Assert
      await expect(first).rejects.toBeInstanceOf(WaitBusyError);
      expect(resume).toHaveBeenCalledTimes(1);
      expect(s.waits.tasks.get('run-1/approval')).toMatchObject({ status: 'EARLY' });
    });

    it.each([
      ['time left past ANSWER_RESERVE_MS: sent again, and delivered', 5_000, 1_000, 'took-early'],
      ['less time left than ANSWER_RESERVE_MS: given back', 900, 1_000, 'busy'],
      ['ANSWER_RESERVE_MS 0 (no deadline): given back', 5_000, 0, 'busy'],
    ] as const)('the handler binds the invocation: %s', async (_, remainingMs, reserveMs, expected) => {
      // Arrange: the deadline's own `within` stands in for functions/adapters/aws/invocation-deadline.ts.
      const s = setup();
      await s.callback({ output: { n: 1 } }, 'cb-1');
      jest.spyOn(s.engine, 'resumeTask').mockRejectedValueOnce(unanswered());
      const cutAt: number[] = [];
      const deadline = {
        reserveMs,
        within: async <T>(atMs: number, work: () => Promise<T>) => {
          cutAt.push(atMs);
          return { done: true as const, value: await work() };
        },
      };
      const handler = makeWaitForEventHandler({ ...s.deps, logger: silentLogger, deadline });
      const before = Date.now();

      // Act
      const begun = handler(s.input({ enteredTime: enteredNow(s) }), { getRemainingTimeInMillis: () => remainingMs });

      // Assert
      if (expected === 'took-early') {
        await expect(begun).resolves.toMatchObject({ outcome: 'took-early' });
        expect(cutAt[0]).toBeGreaterThanOrEqual(before + remainingMs - reserveMs);
        expect(cutAt[0]).toBeLessThanOrEqual(Date.now() + remainingMs - reserveMs);
      } else {
        await expect(begun).rejects.toBeInstanceOf(WaitBusyError);
        expect(cutAt).toEqual([]);
      }
    });
  });

  it('refuses a payload the state machine would never send, under its own error name', async () => {
    const s = setup();
    const handler = makeWaitForEventHandler({ ...s.deps, logger: silentLogger });

    for (const bad of [undefined, {}, { ...s.input(), ref: 'a#b' }, { ...s.input(), timeoutSeconds: 0 }]) {
      const failure = handler(bad);
      await expect(failure).rejects.toBeInstanceOf(WaitInputError);
      await expect(failure).rejects.toMatchObject({ name: 'WaitForEvent.InvalidInput' });
    }
    expect(s.waits.tasks.size).toBe(0);
    expect(await handler(s.input())).toMatchObject({ outcome: 'waiting' });
  });
});

describe('callback refusals (functions/styles/events/resume-task.ts)', () => {
  it.each<[DeliveryRefusal, number, string | undefined]>([
    [{ outcome: 'already-kept', message: 'kept' }, 409, undefined],
    [{ outcome: 'already-resumed', message: 'resumed' }, 409, undefined],
    [{ outcome: 'gone', message: 'expired' }, 410, undefined],
    [{ outcome: 'in-progress', message: 'busy', retryAfterSeconds: 7 }, 409, '7'],
  ])('%j answers %i on the callback route', (refusal, status, retryAfter) => {
    const answer = httpAnswerOf(refusalError(refusal));

    expect(answer.statusCode).toBe(status);
    expect(JSON.parse(answer.body!)).toEqual({ error: refusal.message });
    expect(answer.headers?.['retry-after']).toBe(retryAfter);
  });
});
