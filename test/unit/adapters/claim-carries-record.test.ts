import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbDedupeStore } from '../../../functions/adapters/aws/dynamodb-dedupe-store';
import { DynamoDbDeliveryLog } from '../../../functions/adapters/aws/dynamodb-delivery-log';
import { newDeliveryId } from '../../../functions/core/deliveries/ids';
import type { DeliveryRecord } from '../../../functions/core/deliveries/record';
import type { DeliveryLog } from '../../../functions/core/deliveries/log';
import type { ClaimRequest, DedupeStore } from '../../../functions/core/ports';
import { executionNameFor } from '../../../functions/core/runs/execution-name';
import { runGuardKey } from '../../../functions/core/runs/run-guard';
import { backend } from '../../support/dynamodb-backend';
import { InMemoryDedupeStore } from '../../support/fakes';
import { InMemoryDeliveryLog } from '../../support/in-memory-delivery-log';
import { useInMemoryDynamoDb } from '../../support/in-memory-dynamodb';

/**
 * The claim is the record (docs/deliveries.md): a keyed request's delivery record rides on its dedupe claim's one
 * PutItem, outlives the claim's dedupe window, and is kept when a later request reuses the key after that window.
 * Each case runs through the DynamoDB store (dynalite or DynamoDB Local) and the in-memory one, which must agree.
 */
const NOW = 1_770_000_000_000;
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:orders';
let key = 0;

function recordAt(at: number): DeliveryRecord {
  return {
    id: newDeliveryId(at),
    style: 'flow-trigger',
    registration: 'orders',
    receivedAt: new Date(at).toISOString(),
    method: 'POST',
    path: '/flows/orders/trigger',
    outcome: 'started',
    status: 202,
    runs: [],
    headers: { 'idempotency-key': 'k' },
    body: { bytes: 2, sha256: 'b'.repeat(64), inline: 'e30=' },
    // Kept 7 days: far past the claim's 60 s window.
    expiresAt: Math.floor(at / 1000) + 7 * 86_400,
  };
}

describe(`a dedupe claim carries its delivery record, in DynamoDB (${backend}) and in memory alike`, () => {
  const database = useInMemoryDynamoDb();
  const stores = () => {
    const memory = new InMemoryDedupeStore();
    const dynamodb = new DynamoDbDedupeStore(database().client, database().tables.dedupe, { deliveryShards: 4 });
    const log = new DynamoDbDeliveryLog(database().client, database().tables.dedupe, {
      shards: 4,
      maxItemsRead: 100,
      now: () => NOW,
    });
    return { memory, dynamodb, log };
  };
  const request = (k: string, at: number, delivery?: DeliveryRecord): ClaimRequest => ({
    key: k,
    fingerprint: 'f',
    owner: `owner-${at}`,
    now: at,
    leaseMs: 1_000,
    ttlSeconds: 60,
    standardStateMachineArn: STATE_MACHINE,
    ...(delivery === undefined ? {} : { delivery }),
  });

  it('writes the record with the claim, naming the Standard run, and the log finds it by id', async () => {
    // Arrange
    const { memory, dynamodb, log } = stores();
    const k = `carry-${++key}`;
    const delivery = recordAt(NOW);

    // Act
    const claims = await Promise.all(
      ([memory, dynamodb] as DedupeStore[]).map((store) => store.claim(request(k, NOW, delivery))),
    );

    // Assert
    for (const claim of claims) {
      expect(claim.outcome).toBe('claimed');
      expect(claim.record.delivery).toEqual({ ...delivery, runs: [{ executionArn: claim.record.executionArn }] });
    }
    expect(await log.get(delivery.id)).toEqual(claims[1]!.record.delivery);
    expect(await dynamodb.get(k, NOW)).toEqual(claims[1]!.record);
  });

  it('keeps the item past the dedupe window for the record, yet frees the key when the window ends', async () => {
    // Arrange
    const { dynamodb, memory } = stores();
    const k = `window-${++key}`;
    const first = recordAt(NOW);
    const firstClaim = await dynamodb.claim(request(k, NOW, first));
    await memory.claim(request(k, NOW, first));
    const { Item } = await database().client.send(
      new GetItemCommand({ TableName: database().tables.dedupe, Key: marshall({ pk: k }) }),
    );

    // Act: the same key, after the 60 s window
    const later = NOW + 61_000;
    const second = recordAt(later);
    const again = await Promise.all([
      dynamodb.claim(request(k, later, second)),
      memory.claim(request(k, later, second)),
    ]);

    // Assert: the item lives as long as the record; the claim's own expiry is the window's end
    expect(unmarshall(Item!)).toMatchObject({ expiresAt: first.expiresAt, dedupeUntil: Math.floor(NOW / 1000) + 60 });
    for (const claim of again) expect(claim.outcome).toBe('claimed');
    // The earlier delivery's record is kept on an item of its own, and the new claim carries the new one.
    const { log } = stores();
    expect(await log.get(first.id)).toEqual({ ...first, runs: [{ executionArn: firstClaim.record.executionArn }] });
    expect(again[0]!.record.executionArn).not.toBe(firstClaim.record.executionArn);
    expect((await log.get(second.id))?.id).toBe(second.id);
    expect(memory.archived.get(first.id)?.id).toBe(first.id);
  });

  it('reads a claim written by the previous version (no dedupeUntil: its expiresAt is its expiry)', async () => {
    // Arrange: as the previous version wrote it, live for 60 s
    const { dynamodb } = stores();
    const k = `legacy-${++key}`;
    await database().client.send(
      new PutItemCommand({
        TableName: database().tables.dedupe,
        Item: marshall({
          pk: k,
          fingerprint: 'f',
          owner: 'old-owner',
          createdAt: NOW,
          leaseUntil: NOW + 1_000,
          expiresAt: Math.floor(NOW / 1000) + 60,
          run: { executionArn: `${STATE_MACHINE}:x`, startDate: '2026-01-01T00:00:00.000Z' },
        }),
      }),
    );

    // Act
    const during = await dynamodb.claim(request(k, NOW + 30_000));
    const after = await dynamodb.claim(request(k, NOW + 61_000));

    // Assert
    expect(during.outcome).toBe('duplicate');
    expect(during.record.expiresAt).toBe(Math.floor(NOW / 1000) + 60);
    expect(after.outcome).toBe('claimed');
  });

  it('an Express claim names its run in the record when the run is recorded (the same UpdateItem)', async () => {
    // Arrange
    const { memory, dynamodb, log } = stores();
    const k = `express-${++key}`;
    const delivery = recordAt(NOW);
    const express = { ...request(k, NOW, delivery) };
    delete (express as { standardStateMachineArn?: string }).standardStateMachineArn;
    const run = { executionArn: `${STATE_MACHINE}:run-1:abc`, startDate: '2026-01-01T00:00:00.000Z' };

    // Act
    for (const store of [memory, dynamodb] as DedupeStore[]) {
      await store.claim(express);
      await store.complete(k, express.owner, run);
    }

    // Assert
    expect((await log.get(delivery.id))?.runs).toEqual([{ executionArn: run.executionArn }]);
    expect((await memory.get(k, NOW))?.delivery?.runs).toEqual([{ executionArn: run.executionArn }]);
  });

  describe('a guarded Express claim: the record names its run guard, and the log reads the run off it', () => {
    const GUARDED = 'arn:aws:states:us-east-1:000000000000:stateMachine:hello';
    /** As `request`, for a guarded Express workflow instead of a Standard one. */
    const guardedRequest = (k: string, at: number, delivery: DeliveryRecord): ClaimRequest => {
      const { standardStateMachineArn: _standard, ...claim } = request(k, at, delivery);
      return { ...claim, guardedStateMachineArn: GUARDED };
    };
    /** What the run guard's first state writes as the run begins (workflows/express-run-guard.ts). */
    const guardWrites = async (guardKey: string, executionArn: string) => {
      const expiresAt = Number(guardKey.split('#')[2]!.split('-')[1]);
      await database().client.send(
        new PutItemCommand({
          TableName: database().tables.dedupe,
          Item: marshall({ pk: guardKey, executionArn, startTime: '2026-01-01T00:00:00.000Z', expiresAt }),
        }),
      );
    };
    const guardOf = (record: DeliveryRecord | undefined) => record?.runs[0]?.runGuard;

    it('reads as the claim wrote it (started, no run) until the run reaches its guard, then with its run, by id and listed', async () => {
      // Arrange
      const { dynamodb, log } = stores();
      const delivery = recordAt(NOW);
      const claim = await dynamodb.claim(guardedRequest(`guarded-${++key}`, NOW, delivery));
      const guardKey = guardOf(claim.record.delivery)!;
      // Ids are monotonic across this file's records (an earlier case made one 61 s later): a range that holds it.
      const list = () => log.list({ from: NOW - 1, to: NOW + 600_000, limit: 100 });

      // Act
      const before = { byId: await log.get(delivery.id), listed: (await list()).items };
      await guardWrites(guardKey, `${GUARDED.replace(':stateMachine:', ':express:')}:run:1`);
      const after = { byId: await log.get(delivery.id), listed: (await list()).items };

      // Assert
      expect(guardKey).toMatch(/^run#arn:aws:states:us-east-1:000000000000:stateMachine:hello#hf-/);
      expect(before.byId).toEqual(delivery);
      expect(before.listed.find((item) => item.id === delivery.id)).toMatchObject({ outcome: 'started', runs: [] });
      const run = [{ executionArn: `${GUARDED.replace(':stateMachine:', ':express:')}:run:1` }];
      expect(after.byId).toEqual({ ...delivery, runs: run });
      expect(after.listed.find((item) => item.id === delivery.id)?.runs).toEqual(run);
    });

    it("names the run by the claim's own window (as every version of the code does), the guard item's TTL", async () => {
      // Arrange
      const { dynamodb, memory } = stores();
      const delivery = recordAt(NOW);

      // Act
      const claims = await Promise.all(
        ([dynamodb, memory] as DedupeStore[]).map((store) =>
          store.claim(guardedRequest(`guarded-ttl-${++key}`, NOW, delivery)),
        ),
      );

      // Assert: hf-<the claim's expiry>-…, whatever the record's retention
      for (const claim of claims) {
        expect(claim.record.expiresAt).toBe(Math.floor(NOW / 1000) + 60);
        expect(guardOf(claim.record.delivery)).toContain(`#hf-${claim.record.expiresAt}-`);
        expect(guardOf(claim.record.delivery)).toBe(
          runGuardKey(GUARDED, executionNameFor(claim.record.key, NOW, claim.record.expiresAt)),
        );
      }
    });

    it("reads the run by its execution name once the window ended and the guard's item is gone, in DynamoDB and in memory", async () => {
      // Arrange: a claim whose run reached its guard, whose item DynamoDB's TTL then removed (absent here)
      const { dynamodb, memory } = stores();
      const delivery = recordAt(NOW);
      const k = `guarded-expired-${++key}`;
      const claims = await Promise.all(
        ([dynamodb, memory] as DedupeStore[]).map((store) => store.claim(guardedRequest(k, NOW, delivery))),
      );
      const pastWindow = NOW + 61_000;
      const logAt = (at: number) =>
        new DynamoDbDeliveryLog(database().client, database().tables.dedupe, {
          shards: 4,
          maxItemsRead: 100,
          now: () => at,
        });
      const inMemoryAt = async (at: number) => {
        const fake = new InMemoryDeliveryLog(() => at, (memory as InMemoryDedupeStore).guardRuns);
        await fake.put(claims[1]!.record.delivery!);
        return fake;
      };
      const list = async (log: { list: DeliveryLog['list'] }) =>
        (await log.list({ from: NOW - 1, to: NOW + 600_000, limit: 100 })).items.find((item) => item.id === delivery.id)
          ?.runs;

      // Act
      const within = {
        byId: await logAt(NOW + 59_000).get(delivery.id),
        memory: await (await inMemoryAt(NOW + 59_000)).get(delivery.id),
      };
      const after = {
        byId: await logAt(pastWindow).get(delivery.id),
        listed: await list(logAt(pastWindow)),
        memory: await (await inMemoryAt(pastWindow)).get(delivery.id),
        memoryListed: await list(await inMemoryAt(pastWindow)),
      };

      // Assert: not started yet within the window; after it, the run by its name (no ARN: AWS picks its id)
      const name = executionNameFor(claims[0]!.record.key, NOW, claims[0]!.record.expiresAt);
      expect(within.byId?.runs).toEqual([]);
      expect(within.memory?.runs).toEqual([]);
      expect(after.byId).toEqual({ ...delivery, runs: [{ executionName: name }] });
      expect(after.listed).toEqual([{ executionName: name }]);
      expect(after.memory).toEqual(after.byId);
      expect(after.memoryListed).toEqual(after.listed);
    });

    it('a record moved off its claim when the key is reused after the window still reads its run', async () => {
      // Arrange
      const { dynamodb, log } = stores();
      const k = `guarded-reused-${++key}`;
      const first = recordAt(NOW);
      const claim = await dynamodb.claim(guardedRequest(k, NOW, first));
      const executionArn = `${GUARDED.replace(':stateMachine:', ':express:')}:run:first`;
      await guardWrites(guardOf(claim.record.delivery)!, executionArn);

      // Act: the same key after the 60 s window: the earlier record moves to a dlv# item of its own
      const later = NOW + 61_000;
      await dynamodb.claim(guardedRequest(k, later, recordAt(later)));

      // Assert
      expect(await log.get(first.id)).toEqual({ ...first, runs: [{ executionArn }] });
    });
  });
});
