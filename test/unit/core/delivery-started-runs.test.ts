import {
  acceptsStartedRun,
  placeholderIndexOf,
  startedRunKey,
  withStartedRun,
} from '../../../functions/core/deliveries/started-runs';
import type { DeliveryOutcome, DeliveryRun } from '../../../functions/core/deliveries/record';

const arn = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:orders:${name}`;
const expressArn = (name: string, id: string) => `arn:aws:states:us-east-1:123456789012:express:orders:${name}:${id}`;

describe('a queued start entering its delivery record (withStartedRun)', () => {
  it('keys a run by its runRef, else its execution name (an Express run started again keeps it), else its ARN', () => {
    // Arrange / Act / Assert
    expect(startedRunKey({ executionArn: arn('a'), runRef: 'run_1' })).toBe('ref:run_1');
    expect(startedRunKey({ executionArn: expressArn('e', '1') })).toBe(
      startedRunKey({ executionArn: expressArn('e', '2') }),
    );
    expect(startedRunKey({ executionArn: arn('a') })).not.toBe(startedRunKey({ executionArn: arn('b') }));
    expect(startedRunKey({ executionArn: 'not-an-arn' })).toBe('name:not-an-arn');
  });

  it('takes runs on a queued record, or on one the worker marked started; never on any other', () => {
    // Arrange / Act / Assert
    expect(acceptsStartedRun('queued', undefined)).toBe(true);
    expect(acceptsStartedRun('started', ['name:a'])).toBe(true);
    expect(acceptsStartedRun('started', undefined)).toBe(false);
    for (const outcome of ['refused', 'failed', 'deduplicated'] as const) {
      expect(acceptsStartedRun(outcome, ['name:a'])).toBe(false);
    }
  });

  it('appends each run once, after the runs already listed, whatever the order and however often redelivered', () => {
    // Arrange
    const begun = { executionArn: arn('begun') };
    const runs = [{ executionArn: arn('b') }, { executionArn: expressArn('c', '1') }, { executionArn: arn('d') }];
    const deliveries = [runs[1]!, runs[0]!, runs[1]!, { executionArn: expressArn('c', '2') }, runs[2]!, runs[0]!];
    let record: { outcome: DeliveryOutcome; runs: readonly DeliveryRun[] } = { outcome: 'queued', runs: [begun] };
    let keys: readonly string[] | undefined;

    // Act
    const changed = deliveries.map((run) => {
      const next = withStartedRun(record, keys, run);
      if (next === undefined) return false;
      record = { outcome: 'started', runs: next.runs };
      keys = next.startedKeys;
      return true;
    });

    // Assert
    expect(changed).toEqual([true, true, false, false, true, false]);
    expect(record.runs).toEqual([begun, runs[1], runs[0], runs[2]]);
  });

  it('replaces the entry that listed a queued run by its runRef (no ARN), and no other', () => {
    // Arrange
    const listed = [{ runRef: 'run_1' }, { runRef: 'run_2' }, { executionArn: arn('x'), runRef: 'run_3' }];
    const started = { executionArn: arn('two'), runRef: 'run_2' };

    // Act
    const next = withStartedRun({ outcome: 'queued', runs: listed }, undefined, started);

    // Assert
    expect(placeholderIndexOf(listed, started)).toBe(1);
    expect(placeholderIndexOf(listed, { executionArn: arn('y'), runRef: 'run_3' })).toBeUndefined();
    expect(placeholderIndexOf(listed, { executionArn: arn('z') })).toBeUndefined();
    expect(next).toEqual({ runs: [listed[0], listed[2], started], startedKeys: ['ref:run_2'] });
  });

  it('changes nothing on a record that takes no run', () => {
    // Arrange / Act / Assert
    expect(withStartedRun({ outcome: 'started', runs: [] }, undefined, { executionArn: arn('a') })).toBeUndefined();
    expect(withStartedRun({ outcome: 'refused', runs: [] }, [], { executionArn: arn('a') })).toBeUndefined();
  });
});
