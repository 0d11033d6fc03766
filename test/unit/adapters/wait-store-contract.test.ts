import { DynamoDbWaitStore } from '../../../functions/adapters/aws/dynamodb-wait-store';
import type { BeginningWait, EarlyCallback, WaitStore } from '../../../functions/core/ports';
import { backend } from '../../support/dynamodb-backend';
import { InMemoryWaitStore } from '../../support/fakes';
import { useInMemoryDynamoDb } from '../../support/in-memory-dynamodb';

/**
 * The wait item's rules (functions/styles/events/wait-rules.ts) hold the same in the DynamoDB wait store, which
 * writes them as condition expressions, and in the in-memory one the unit tests use, which calls them: every case
 * runs through both, and both must observe the same answers, which are the expected ones.
 */
const NOW = Date.now();
const SECOND = 1000;
const TOPIC = 'approval';

const wait = (ref: string, expiresInSeconds = 3600): BeginningWait => ({
  ref,
  topic: TOPIC,
  taskToken: 'token-1',
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:hookflow-approval:run',
  enteredTime: new Date(NOW).toISOString(),
  timeoutSeconds: 60,
  expiresAt: Math.floor(NOW / SECOND) + expiresInSeconds,
});
const early = (expiresInMs: number): EarlyCallback => ({
  callbackStatus: 'succeeded',
  output: { ok: true },
  eventId: 'cb-1',
  expiresAt: new Date(NOW + expiresInMs),
});
const claim = (owner: string, at: number, token = 'token-1') => ({
  owner,
  taskToken: token,
  now: at,
  leaseUntil: at + 30 * SECOND,
});

/** Each case drives one store for one ref and returns what it observed, in order. */
type Case = (store: WaitStore, ref: string) => Promise<unknown[]>;
const status = async (store: WaitStore, ref: string) => (await store.get(ref, TOPIC))?.status ?? 'none';

const cases: readonly (readonly [string, Case, unknown[]])[] = [
  [
    'a waiting task is claimed once, with its own token only; a live claim keeps others out until its lease ends',
    async (store, ref) => [
      await store.claim(ref, TOPIC, claim('a', NOW)), // nothing waits yet
      await store.beginWait(wait(ref), NOW),
      await store.claim(ref, TOPIC, claim('a', NOW, 'another-token')),
      await store.claim(ref, TOPIC, claim('a', NOW)),
      await store.claim(ref, TOPIC, claim('b', NOW + 30 * SECOND - 1)),
      await store.claim(ref, TOPIC, claim('c', NOW + 30 * SECOND)),
      await status(store, ref),
    ],
    [false, true, false, true, false, true, 'CLAIMED'],
  ],
  [
    'only the claim holder confirms or releases; a released task can be claimed again, a resumed one cannot',
    async (store, ref) => {
      await store.beginWait(wait(ref), NOW);
      await store.claim(ref, TOPIC, claim('a', NOW));
      await store.release(ref, TOPIC, 'b');
      const afterForeignRelease = await status(store, ref);
      await store.release(ref, TOPIC, 'a');
      const afterRelease = await status(store, ref);
      await store.claim(ref, TOPIC, claim('c', NOW));
      const foreignConfirm = await store.confirm(ref, TOPIC, 'a');
      const afterForeignConfirm = await status(store, ref);
      const confirmed = await store.confirm(ref, TOPIC, 'c', 'cb-9');
      return [
        afterForeignRelease,
        afterRelease,
        foreignConfirm,
        afterForeignConfirm,
        confirmed,
        await status(store, ref),
        await store.claim(ref, TOPIC, claim('d', NOW + 3600 * SECOND)),
      ];
    },
    ['CLAIMED', 'WAITING', false, 'CLAIMED', true, 'RESUMED', false],
  ],
  [
    "a claim the wait task's retry wrote over is not confirmed; the state's entry time is kept when the state sent it",
    async (store, ref) => {
      const entered = new Date(NOW - 5 * SECOND).toISOString();
      await store.beginWait({ ...wait(ref), stateEnteredTime: entered }, NOW);
      await store.claim(ref, TOPIC, claim('a', NOW));
      await store.beginWait({ ...wait(ref), taskToken: 'token-2', stateEnteredTime: entered }, NOW);
      await store.beginWait(wait(`${ref}-old`), NOW);
      return [
        await store.confirm(ref, TOPIC, 'a', 'cb-1'),
        await status(store, ref),
        (await store.get(ref, TOPIC))?.stateEnteredTime,
        (await store.get(`${ref}-old`, TOPIC))?.stateEnteredTime,
      ];
    },
    [false, 'WAITING', new Date(NOW - 5 * SECOND).toISOString(), undefined],
  ],
  [
    'a callback is kept early only where nothing live is: not over a live wait, over an expired one',
    async (store, ref) => [
      await store.keepEarly(ref, TOPIC, early(600 * SECOND), NOW),
      await store.keepEarly(ref, TOPIC, early(600 * SECOND), NOW + SECOND), // the first is still live
      await store
        .keepEarly(`${ref}-b`, TOPIC, early(600 * SECOND), NOW)
        .then(() => store.beginWait(wait(`${ref}-b`), NOW)), // a live early callback keeps the wait out
      await store.beginWait(wait(`${ref}-c`, 10), NOW),
      await store.keepEarly(`${ref}-c`, TOPIC, early(600 * SECOND), NOW + 5 * SECOND), // live wait
      await store.keepEarly(`${ref}-c`, TOPIC, early(600 * SECOND), NOW + 12 * SECOND), // expired wait
    ],
    [true, false, false, true, false, true],
  ],
  [
    'a beginning wait takes a live early callback once; a taker gives it back; an expired one is not taken',
    async (store, ref) => {
      await store.keepEarly(ref, TOPIC, early(600 * SECOND), NOW);
      const taker = { executionArn: 'arn:run', now: NOW, retainUntil: Math.floor(NOW / SECOND) + 60 };
      const taken = await store.takeEarly(ref, TOPIC, taker);
      const again = await store.takeEarly(ref, TOPIC, taker);
      await store.returnEarly(ref, TOPIC, early(600 * SECOND));
      const returned = await status(store, ref);
      const retaken = await store.takeEarly(ref, TOPIC, taker);
      await store.keepEarly(`${ref}-x`, TOPIC, early(2 * SECOND), NOW);
      const late = await store.takeEarly(`${ref}-x`, TOPIC, { ...taker, now: NOW + 3 * SECOND });
      return [
        taken?.eventId,
        again,
        returned,
        retaken?.eventId,
        late,
        await store.beginWait(wait(`${ref}-x`), NOW + 3 * SECOND),
      ];
    },
    ['cb-1', undefined, 'EARLY', 'cb-1', undefined, true],
  ],
  [
    "a callback is kept in a dead token's place only by its claim's holder, as keepEarly keeps one, until a retry writes over it",
    async (store, ref) => {
      await store.beginWait({ ...wait(ref), retryWritesBy: NOW + 99 * SECOND }, NOW);
      const stored = (await store.get(ref, TOPIC))?.retryWritesBy;
      await store.claim(ref, TOPIC, claim('a', NOW));
      const foreign = await store.keepEarlyInstead(ref, TOPIC, 'b', early(600 * SECOND));
      const held = await store.keepEarlyInstead(ref, TOPIC, 'a', early(600 * SECOND));
      const kept = await store.get(ref, TOPIC);
      const again = await store.keepEarlyInstead(ref, TOPIC, 'a', early(600 * SECOND));
      // The retry's wait is kept out, and takes it instead.
      const retryWaits = await store.beginWait({ ...wait(ref), taskToken: 'token-2' }, NOW + SECOND);
      const taken = await store.takeEarly(ref, TOPIC, {
        executionArn: 'arn:run',
        now: NOW + SECOND,
        retainUntil: Math.floor(NOW / SECOND) + 60,
      });
      // A claim the retry's put wrote over is not kept.
      await store.beginWait(wait(`${ref}-r`), NOW);
      await store.claim(`${ref}-r`, TOPIC, claim('c', NOW));
      await store.beginWait({ ...wait(`${ref}-r`), taskToken: 'token-2' }, NOW);
      const overwritten = await store.keepEarlyInstead(`${ref}-r`, TOPIC, 'c', early(600 * SECOND));
      // A callback without an id, over a claim whose delivery carried one: no id is left on the kept callback.
      await store.beginWait(wait(`${ref}-n`), NOW);
      await store.claim(`${ref}-n`, TOPIC, { ...claim('d', NOW), eventId: 'cb-9' });
      const { eventId: _none, ...anonymous } = early(600 * SECOND);
      await store.keepEarlyInstead(`${ref}-n`, TOPIC, 'd', anonymous);
      const keptAnonymous = await store.get(`${ref}-n`, TOPIC);
      return [
        stored,
        foreign,
        held,
        kept?.status,
        kept?.taskToken,
        kept?.resumedBy,
        kept?.expiresAtIso,
        again,
        retryWaits,
        // The expiry comes back in the TTL attribute's whole seconds from DynamoDB.
        taken && { callbackStatus: taken.callbackStatus, output: taken.output, eventId: taken.eventId },
        overwritten,
        await status(store, `${ref}-r`),
        keptAnonymous?.status,
        keptAnonymous?.resumedBy,
      ];
    },
    [
      NOW + 99 * SECOND,
      false,
      true,
      'EARLY',
      undefined,
      'cb-1',
      new Date(NOW + 600 * SECOND).toISOString(),
      false,
      false,
      { callbackStatus: 'succeeded', output: { ok: true }, eventId: 'cb-1' },
      false,
      'WAITING',
      'EARLY',
      undefined,
    ],
  ],
  [
    "a wait's put again (the SDK's retry of one that landed) leaves its token in a callback's hands; its own waiting item it rewrites",
    async (store, ref) => {
      await store.beginWait(wait(ref), NOW);
      const again = await store.beginWait(wait(ref), NOW); // still WAITING: the same item again
      await store.claim(ref, TOPIC, claim('a', NOW));
      const overClaim = await store.beginWait(wait(ref), NOW);
      await store.confirm(ref, TOPIC, 'a', 'cb-1');
      const overResumed = await store.beginWait(wait(ref), NOW);
      const resumed = await store.get(ref, TOPIC);
      await store.markExpired(ref, TOPIC, 'token-1');
      const overExpired = await store.beginWait(wait(ref), NOW);
      // Another token (the state's retry, or a loop's next wait) replaces any of them.
      const retry = await store.beginWait({ ...wait(ref), taskToken: 'token-2' }, NOW);
      return [
        again,
        overClaim,
        overResumed,
        resumed?.status,
        resumed?.resumedBy,
        overExpired,
        retry,
        await status(store, ref),
      ];
    },
    [true, false, false, 'RESUMED', 'cb-1', false, true, 'WAITING'],
  ],
  [
    'a put stored earlier than the wait already there (it landed after its attempt gave it up) does not replace it',
    async (store, ref) => {
      const later = { ...wait(ref), taskToken: 'token-2', enteredTime: new Date(NOW + 2 * SECOND).toISOString() };
      await store.beginWait(later, NOW);
      const stale = await store.beginWait(wait(ref), NOW);
      const same = await store.beginWait(later, NOW);
      return [stale, same, (await store.get(ref, TOPIC))?.taskToken];
    },
    [false, true, 'token-2'],
  ],
  [
    'a task is marked expired from a wait with that token, never from a callback kept early nor a newer token',
    async (store, ref) => {
      await store.beginWait(wait(ref), NOW);
      const marked = await store.markExpired(ref, TOPIC, 'token-1');
      await store.keepEarly(`${ref}-e`, TOPIC, early(600 * SECOND), NOW);
      const markedEarly = await store.markExpired(`${ref}-e`, TOPIC, 'token-1');
      // The wait task's retry wrote a new token over its failed attempt's item: that one is not expired.
      await store.beginWait({ ...wait(`${ref}-r`), taskToken: 'token-2' }, NOW);
      const markedRetry = await store.markExpired(`${ref}-r`, TOPIC, 'token-1');
      return [
        marked,
        await status(store, ref),
        await store.claim(ref, TOPIC, claim('a', NOW)),
        markedEarly,
        await status(store, `${ref}-e`),
        markedRetry,
        await status(store, `${ref}-r`),
      ];
    },
    [true, 'EXPIRED', false, false, 'EARLY', false, 'WAITING'],
  ],
];

describe(`the wait item's rules, in DynamoDB (${backend}) and in memory alike`, () => {
  const database = useInMemoryDynamoDb();
  let n = 0;

  it.each(cases)('%s', async (_, drive, expected) => {
    // Arrange: refs of their own per case on the shared table.
    const ref = `contract-${++n}`;

    // Act
    const inMemory = await drive(new InMemoryWaitStore(), ref);
    const inDynamoDb = await drive(new DynamoDbWaitStore(database().client, database().tables.dedupe), ref);

    // Assert
    expect(inMemory).toEqual(expected);
    expect(inDynamoDb).toEqual(expected);
  });
});
