import type { ClaimRequest, DedupeRecord } from '../../../functions/core/ports';
import {
  isExpired,
  mayComplete,
  mayRelease,
  mayTakeOver,
  newClaim,
  takenOver,
} from '../../../functions/core/runs/dedupe-claim';

const request = (owner: string, now: number): ClaimRequest => ({
  key: 'k',
  fingerprint: 'f',
  owner,
  now,
  leaseMs: 5_000,
  ttlSeconds: 60,
});
const run = { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:sm:n', startDate: '2026-01-01T00:00:00Z' };

describe('the dedupe claim and lease rules (one place, used by the DynamoDB adapter and the fake alike)', () => {
  it('a first claim holds its lease from now and expires ttlSeconds later, in whole seconds', () => {
    expect(newClaim(request('a', 10_500))).toEqual({
      key: 'k',
      fingerprint: 'f',
      owner: 'a',
      createdAt: 10_500,
      leaseUntil: 15_500,
      expiresAt: 70,
    });
  });

  it('a record expires at its expiresAt second, not a millisecond later', () => {
    const record = newClaim(request('a', 0));

    expect(isExpired(record, 59_999)).toBe(false);
    expect(isExpired(record, 60_000)).toBe(true);
  });

  it('a claim is taken over only once its lease ran out, and never once its run is recorded', () => {
    const record = newClaim(request('a', 0));

    expect(mayTakeOver(record, 4_999)).toBe(false);
    expect(mayTakeOver(record, 5_000)).toBe(true);
    expect(mayTakeOver({ ...record, run }, 50_000)).toBe(false);
  });

  it('a take-over keeps createdAt (so the same execution name) and gives the new owner a fresh lease', () => {
    const record = newClaim(request('a', 0));

    const replacement = takenOver(record, request('b', 6_000));

    expect(replacement).toEqual({ ...record, owner: 'b', leaseUntil: 11_000 });
  });

  it('only the owner completes; only the owner releases, and only before a run is recorded', () => {
    const record: DedupeRecord = newClaim(request('a', 0));

    expect([mayComplete(record, 'a'), mayComplete(record, 'b')]).toEqual([true, false]);
    expect([mayRelease(record, 'a'), mayRelease(record, 'b'), mayRelease({ ...record, run }, 'a')]).toEqual([
      true,
      false,
      false,
    ]);
  });
});
