import { runGuardsOf, withGuardedRuns } from '../../../functions/core/deliveries/guarded-runs';
import { runGuardKey } from '../../../functions/core/runs/run-guard';

/**
 * How a record a guarded claim carries reads its run (docs/deliveries.md, "Records"): off the run guard's item
 * while it is there; without it, not started yet within the claim's dedupe window, and by execution name only after
 * it (the item's TTL is the window's end, the name's expiry field, while the record is kept longer).
 */
const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:hello';
const WINDOW_END = 1_770_000_060;
const NAME = `hf-${WINDOW_END}-AbC_dEf-123`;
const GUARD = runGuardKey(MACHINE, NAME);
const ARN = `arn:aws:states:us-east-1:000000000000:express:hello:${NAME}:1`;
const record = { runs: [{ runGuard: GUARD }] };

describe('withGuardedRuns', () => {
  it("reads the run's ARN off the guard's item, before and after the window alike", () => {
    // Arrange
    const named = new Map([[GUARD, ARN]]);

    // Act
    const within = withGuardedRuns(record, named, WINDOW_END * 1000 - 1);
    const after = withGuardedRuns(record, named, WINDOW_END * 1000 + 86_400_000);

    // Assert
    expect(within.runs).toEqual([{ executionArn: ARN }]);
    expect(after.runs).toEqual([{ executionArn: ARN }]);
  });

  it('lists a run once when the record also names it by its ARN (a queued start the worker added)', () => {
    // Arrange: the claim's record named the guard; the fan-out worker's start of the queued run then added its ARN
    const queued = { runs: [{ runGuard: GUARD }, { executionArn: ARN }] };

    // Act
    const resolved = withGuardedRuns(queued, new Map([[GUARD, ARN]]), WINDOW_END * 1000 - 1);
    const unresolved = withGuardedRuns(queued, new Map(), WINDOW_END * 1000 + 1);

    // Assert
    expect(resolved.runs).toEqual([{ executionArn: ARN }]);
    expect(unresolved.runs).toEqual([{ executionArn: ARN }]);
  });

  it('leaves the run out while the guard item is missing within the window: the run has not reached its guard yet', () => {
    // Act
    const read = withGuardedRuns(record, new Map(), WINDOW_END * 1000 - 1);

    // Assert
    expect(read.runs).toEqual([]);
  });

  it("names the run by its execution name once the window has ended and the guard's item is gone", () => {
    // Act
    const atEnd = withGuardedRuns(record, new Map(), WINDOW_END * 1000);
    const later = withGuardedRuns(record, new Map(), WINDOW_END * 1000 + 7 * 86_400_000);

    // Assert: no ARN (an Express ARN ends with an id AWS picks), the name the construct's log lines carry
    expect(atEnd.runs).toEqual([{ executionName: NAME }]);
    expect(later.runs).toEqual([{ executionName: NAME }]);
  });

  it('keeps runs that name no guard as they are, and a guard whose name carries no window reads as not started', () => {
    // Arrange
    const plain = { runs: [{ executionArn: ARN }, { runRef: 'u_1' }] };
    const odd = { runs: [{ runGuard: runGuardKey(MACHINE, 'not-deduped') }] };

    // Act
    const readPlain = withGuardedRuns(plain, new Map(), WINDOW_END * 1000 + 1);
    const readOdd = withGuardedRuns(odd, new Map(), WINDOW_END * 1000 + 1);

    // Assert
    expect(readPlain).toBe(plain);
    expect(readOdd.runs).toEqual([]);
  });
});

describe('runGuardsOf', () => {
  it('asks for each guard once, and not for runs that already hold their ARN', () => {
    // Act
    const keys = runGuardsOf([record, record, { runs: [{ runGuard: GUARD, executionArn: ARN }] }]);

    // Assert
    expect(keys).toEqual([GUARD]);
  });
});
