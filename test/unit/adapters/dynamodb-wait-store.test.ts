import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbWaitStore } from '../../../functions/adapters/aws/dynamodb-wait-store';
import { dedupeTableSchema } from '../../../functions/adapters/aws/table-schemas';
import type { BeginningWait } from '../../../functions/core/ports';
import { startInMemoryDynamoDb } from '../../support/in-memory-dynamodb';

const NOW = Date.now();
const NOW_SECONDS = Math.floor(NOW / 1000);
const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:hookflow-approval:run';

describe('DynamoDbWaitStore: the wait item the wait-for-event function writes (against dynalite)', () => {
  let db: Awaited<ReturnType<typeof startInMemoryDynamoDb>>;
  let store: DynamoDbWaitStore;
  let n = 0;
  beforeAll(async () => {
    db = await startInMemoryDynamoDb();
    store = new DynamoDbWaitStore(db.client, db.tables.dedupe);
  });
  afterAll(() => db.close());
  const nextRef = () => `run-${++n}`;
  const wait = (ref: string, overrides: Partial<BeginningWait> = {}): BeginningWait => ({
    ref,
    topic: 'approval',
    taskToken: 'token-1',
    executionArn: EXECUTION,
    enteredTime: new Date(NOW).toISOString(),
    timeoutSeconds: 60,
    expiresAt: NOW_SECONDS + 60 + 86_400,
    ...overrides,
  });
  const raw = async (ref: string) => {
    const { Item } = await db.client.send(
      new GetItemCommand({ TableName: db.tables.dedupe, Key: { pk: { S: `wait#${ref}#approval` } } }),
    );
    return Item;
  };
  const keep = (ref: string, expiresAt = new Date(NOW + 600_000)) =>
    store.keepEarly(
      ref,
      'approval',
      { callbackStatus: 'succeeded', output: { ok: true }, eventId: 'cb-1', expiresAt },
      NOW,
    );

  it("stores the wait with the table's TTL attribute as a DynamoDB number of epoch seconds", async () => {
    const ref = nextRef();

    expect(await store.beginWait(wait(ref), NOW)).toBe(true);

    const item = await raw(ref);
    expect(dedupeTableSchema.timeToLiveAttribute).toBe('expiresAt');
    expect(item?.expiresAt).toEqual({ N: String(NOW_SECONDS + 60 + 86_400) });
    expect(unmarshall(item!)).toEqual({
      pk: `wait#${ref}#approval`,
      status: 'WAITING',
      taskToken: 'token-1',
      executionArn: EXECUTION,
      enteredTime: new Date(NOW).toISOString(),
      timeoutSeconds: 60,
      expiresAt: NOW_SECONDS + 60 + 86_400,
    });
    expect(await store.get(ref, 'approval')).toMatchObject({ status: 'WAITING', taskToken: 'token-1' });
  });

  it('is kept out by a live early callback, which takeEarly then takes exactly once', async () => {
    const ref = nextRef();
    await keep(ref);

    expect(await store.beginWait(wait(ref), NOW)).toBe(false);
    const taken = await store.takeEarly(ref, 'approval', {
      executionArn: EXECUTION,
      now: NOW,
      retainUntil: NOW_SECONDS + 86_400,
    });
    const again = await store.takeEarly(ref, 'approval', { executionArn: EXECUTION, now: NOW, retainUntil: 0 });

    expect(taken).toEqual({
      callbackStatus: 'succeeded',
      output: { ok: true },
      eventId: 'cb-1',
      expiresAt: new Date(Math.floor((NOW + 600_000) / 1000) * 1000),
    });
    expect(again).toBeUndefined();
    expect(unmarshall((await raw(ref))!)).toMatchObject({
      status: 'RESUMED',
      executionArn: EXECUTION,
      resumedBy: 'cb-1',
      expiresAt: NOW_SECONDS + 86_400,
    });
  });

  it('replaces an expired early callback, and its own earlier attempt, but never a live early one', async () => {
    const stale = nextRef();
    await keep(stale, new Date(NOW - 2_000));
    const retried = nextRef();
    await store.beginWait(wait(retried, { taskToken: 'attempt-1' }), NOW);

    expect(await store.beginWait(wait(stale), NOW)).toBe(true);
    expect(await store.takeEarly(stale, 'approval', { executionArn: EXECUTION, now: NOW, retainUntil: 0 })).toBe(
      undefined,
    );
    expect(await store.beginWait(wait(retried, { taskToken: 'attempt-2' }), NOW)).toBe(true);
    expect((await store.get(retried, 'approval'))?.taskToken).toBe('attempt-2');
  });

  it('gives a taken early callback back as it was kept', async () => {
    const ref = nextRef();
    await keep(ref);
    const taken = await store.takeEarly(ref, 'approval', { executionArn: EXECUTION, now: NOW, retainUntil: 1 });

    await store.returnEarly(ref, 'approval', taken!);

    const item = unmarshall((await raw(ref))!);
    expect(item).toMatchObject({ status: 'EARLY', expiresAt: Math.floor((NOW + 600_000) / 1000), resumedBy: 'cb-1' });
    expect(item.executionArn).toBeUndefined();
    expect(await store.beginWait(wait(ref), NOW)).toBe(false);
  });
});
