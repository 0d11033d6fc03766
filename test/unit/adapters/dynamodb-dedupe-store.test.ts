import { DynamoDbDedupeStore } from '../../../functions/adapters/aws/dynamodb-dedupe-store';
import { backend } from '../../support/dynamodb-backend';
import { startInMemoryDynamoDb } from '../../support/in-memory-dynamodb';

const NOW = 1_700_000_000_000;
const claimRequest = (overrides: Partial<Parameters<DynamoDbDedupeStore['claim']>[0]> = {}) => ({
  key: 'k1',
  fingerprint: 'f1',
  owner: 'owner-a',
  now: NOW,
  leaseMs: 1_000,
  ttlSeconds: 60,
  ...overrides,
});
const run = {
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:sm:x',
  startDate: '2026-01-01T00:00:00.000Z',
};

describe(`DynamoDbDedupeStore against ${backend}`, () => {
  let db: Awaited<ReturnType<typeof startInMemoryDynamoDb>>;
  let store: DynamoDbDedupeStore;
  let key = 0;
  beforeAll(async () => {
    db = await startInMemoryDynamoDb();
    store = new DynamoDbDedupeStore(db.client, db.tables.dedupe);
  }, 120_000); // DynamoDB Local's JVM, when a file runs alone on it, takes 5-30 s to start
  afterAll(() => db.close());
  // A fresh key per test keeps tests independent on the shared table.
  const nextKey = () => `key-${++key}`;

  it('claims a new key, then reports the live claim as a duplicate', async () => {
    const k = nextKey();

    const first = await store.claim(claimRequest({ key: k }));
    const second = await store.claim(claimRequest({ key: k, owner: 'owner-b' }));

    expect(first.outcome).toBe('claimed');
    expect(second).toEqual({ outcome: 'duplicate', record: first.record });
  });

  it('lets exactly one of 50 concurrent claims win', async () => {
    const k = nextKey();

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.claim(claimRequest({ key: k, owner: `owner-${i}` }))),
    );

    expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(1);
  });

  it('keeps a guarded claim’s state machine for duplicates, with no run recorded on it', async () => {
    // Arrange
    const k = nextKey();
    const guardedBy = 'arn:aws:states:us-east-1:000000000000:stateMachine:echo';

    // Act
    const first = await store.claim(claimRequest({ key: k, guardedStateMachineArn: guardedBy }));
    const duplicate = await store.claim(claimRequest({ key: k, owner: 'owner-b' }));

    // Assert
    expect(first.record.guardedBy).toBe(guardedBy);
    expect(duplicate).toEqual({ outcome: 'duplicate', record: first.record });
    expect(duplicate.record.run).toBeUndefined();
  });

  it('records the run for duplicates to find', async () => {
    const k = nextKey();
    await store.claim(claimRequest({ key: k }));

    await store.complete(k, 'owner-a', run);

    const duplicate = await store.claim(claimRequest({ key: k, owner: 'owner-b', now: NOW + 5_000 }));
    expect(duplicate).toMatchObject({ outcome: 'duplicate', record: { run } });
  });

  it('stores a Standard claim’s execution ARN with the claim itself, for duplicates to find the run by', async () => {
    const k = nextKey();
    const stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:orders';

    const first = await store.claim(claimRequest({ key: k, standardStateMachineArn: stateMachineArn }));
    const duplicate = await store.claim(claimRequest({ key: k, owner: 'owner-b', now: NOW + 5 }));

    expect(first.record.executionArn).toMatch(/^arn:aws:states:us-east-1:000000000000:execution:orders:hf-/);
    expect(duplicate).toEqual({ outcome: 'duplicate', record: first.record });
  });

  it('refuses to record a run for an owner that lost the claim', async () => {
    const k = nextKey();
    await store.claim(claimRequest({ key: k }));

    await expect(store.complete(k, 'owner-b', run)).rejects.toThrow();
  });

  it('releases only the owner’s unrecorded claim', async () => {
    const k = nextKey();
    await store.claim(claimRequest({ key: k }));

    await store.release(k, 'owner-b');
    expect(await store.get(k, NOW)).toBeDefined();
    await store.release(k, 'owner-a');
    expect(await store.get(k, NOW)).toBeUndefined();
  });

  it('treats an expired claim as absent even though TTL has not deleted it', async () => {
    const k = nextKey();
    await store.claim(claimRequest({ key: k }));
    await store.complete(k, 'owner-a', run);
    const afterExpiry = NOW + 61_000;

    expect(await store.get(k, afterExpiry)).toBeUndefined();
    const again = await store.claim(claimRequest({ key: k, owner: 'owner-b', now: afterExpiry }));
    expect(again).toMatchObject({ outcome: 'claimed', record: { owner: 'owner-b', createdAt: afterExpiry } });
  });

  it('takes over a claim whose lease ran out with no run, keeping its creation time', async () => {
    const k = nextKey();
    await store.claim(claimRequest({ key: k }));

    const takeover = await store.claim(claimRequest({ key: k, owner: 'owner-b', now: NOW + 1_000 }));

    expect(takeover).toMatchObject({ outcome: 'claimed', record: { owner: 'owner-b', createdAt: NOW } });
    await expect(store.complete(k, 'owner-a', run)).rejects.toThrow();
  });

  it('never takes over a claim that has recorded its run', async () => {
    const k = nextKey();
    await store.claim(claimRequest({ key: k }));
    await store.complete(k, 'owner-a', run);

    const later = await store.claim(claimRequest({ key: k, owner: 'owner-b', now: NOW + 30_000 }));

    expect(later).toMatchObject({ outcome: 'duplicate', record: { owner: 'owner-a', run } });
  });
});
