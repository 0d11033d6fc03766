import { TASK_CLOCK_MARGIN_MS, closedRatherThanTimedOut } from '../../../functions/styles/events/wait-rules';

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
