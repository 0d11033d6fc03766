import { parseCrashAt } from '../../../functions/core/faults/crash-point';

describe('HOOKFLOW_CRASH_AT', () => {
  it('arms a point at its first hit, or at the n-th', () => {
    expect(parseCrashAt({ HOOKFLOW_CRASH_AT: 'run-started' })).toEqual({ point: 'run-started', hit: 1 });
    expect(parseCrashAt({ HOOKFLOW_CRASH_AT: 'dedupe-claimed:3' })).toEqual({ point: 'dedupe-claimed', hit: 3 });
  });

  it('is unarmed when unset, and never armed inside AWS Lambda', () => {
    expect(parseCrashAt({})).toBeUndefined();
    expect(
      parseCrashAt({ HOOKFLOW_CRASH_AT: 'run-started', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' }),
    ).toBeUndefined();
  });

  it('refuses an unknown point or count, naming the known points (a typo would test nothing)', () => {
    expect(() => parseCrashAt({ HOOKFLOW_CRASH_AT: 'run-startd' })).toThrow(/dedupe-claimed, run-started/);
    expect(() => parseCrashAt({ HOOKFLOW_CRASH_AT: 'run-started:0' })).toThrow(/HOOKFLOW_CRASH_AT/);
  });
});
