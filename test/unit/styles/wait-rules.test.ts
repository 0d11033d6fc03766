import {
  LONGEST_WAIT_RETRY_INTERVAL_MS,
  TASK_CLOCK_MARGIN_MS,
  closedRatherThanTimedOut,
  retryMayStillWrite,
  retryWritesBy,
} from '../../../functions/styles/events/wait-rules';
import { LAMBDA_TRANSIENT_RETRY, WAIT_BUSY_RETRY } from '../../../workflows/wait-for-event-states';

describe('wait-rules: a TaskTimedOut that proves the task was closed, not timed out', () => {
  const entered = '2026-01-01T00:00:00.000Z';
  const at = (ms: number) => Date.parse(entered) + ms;

  it.each([
    ['well before the timeout', entered, 60, at(5_000), true],
    ['at the clock margin before the timeout', entered, 60, at(60_000 - TASK_CLOCK_MARGIN_MS - 1), true],
    ['within the clock margin of the timeout', entered, 60, at(60_000 - TASK_CLOCK_MARGIN_MS), false],
    ['past the timeout', entered, 60, at(61_000), false],
    ['with no entry time (an item or payload from before it was sent)', undefined, 60, at(0), false],
    ['with an entry time that is not a time', 'soon', 60, at(0), false],
    ['with no timeout', entered, undefined, at(0), false],
  ] as const)('%s', (_, stateEnteredTime, timeoutSeconds, nowMs, expected) => {
    // Act
    const closed = closedRatherThanTimedOut(stateEnteredTime, timeoutSeconds, nowMs);

    // Assert
    expect(closed).toBe(expected);
  });
});

describe('wait-rules: how long a retry of a wait attempt that stored its token may still come', () => {
  it("holds the longest interval of the Retry that can follow a stored token (Lambda's service errors), with no jitter", () => {
    // Arrange: Step Functions waits IntervalSeconds, then multiplies it by BackoffRate before each next attempt.
    const { IntervalSeconds, BackoffRate, MaxAttempts } = LAMBDA_TRANSIENT_RETRY;

    // Act
    const longest = IntervalSeconds * BackoffRate ** (MaxAttempts - 1) * 1000;

    // Assert: the rule's constant is the Retry's own; neither Retry of the wait state is jittered or capped.
    expect(LONGEST_WAIT_RETRY_INTERVAL_MS).toBe(longest);
    for (const retry of [LAMBDA_TRANSIENT_RETRY, WAIT_BUSY_RETRY]) {
      expect(Object.keys(retry).sort()).toEqual(['BackoffRate', 'ErrorEquals', 'IntervalSeconds', 'MaxAttempts']);
    }
  });

  it('is the invocation end, the longest interval, a cold start, a whole invocation and a margin', () => {
    // Act
    const by = retryWritesBy({ endsAt: 1_000_000, lastsMs: 10_000 });

    // Assert: 1,000,000 + 64,000 + 10,000 + 10,000 + 5,000.
    expect(by).toBe(1_089_000);
  });

  it.each([
    ['before it', 1_088_999, true],
    ['at it', 1_089_000, false],
    ['with no time stored (an item written before it was)', undefined, false],
  ] as const)('a retry may still write %s', (_, nowOrUndefined, expected) => {
    // Arrange
    const by = nowOrUndefined === undefined ? undefined : 1_089_000;

    // Act
    const may = retryMayStillWrite(by, nowOrUndefined ?? 0);

    // Assert
    expect(may).toBe(expected);
  });
});
