import { DynamoDbDeliveryLog } from '../../../functions/adapters/aws/dynamodb-delivery-log';
import { newDeliveryId } from '../../../functions/core/deliveries/ids';
import type { DeliveryLog, DeliveryQuery, DeliverySummary } from '../../../functions/core/deliveries/log';
import type { DeliveryRecord } from '../../../functions/core/deliveries/record';
import { backend } from '../../support/dynamodb-backend';
import { InMemoryDeliveryLog } from '../../support/in-memory-delivery-log';
import { useInMemoryDynamoDb } from '../../support/in-memory-dynamodb';

/**
 * The deliveries port answers alike in DynamoDB (records on the dedupe table, listed off the `deliveries` index,
 * shard by shard) and in memory (the fake the unit tests use): every case runs through both. Each case lives in a
 * time window of its own on the shared table, so cases never see each other's records.
 */
const NOW = 1_760_000_000_000;
const HOUR = 3_600_000;
let window = 0;
// Ids come from one monotonic ULID factory: each case's window is later than the last one's, so that its ids carry
// its own times (an earlier time after a later one would get the later one's).

function recordAt(at: number, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    id: newDeliveryId(at),
    style: 'flow-trigger',
    registration: 'orders',
    receivedAt: new Date(at).toISOString(),
    method: 'POST',
    path: '/flows/orders/trigger',
    outcome: 'started',
    status: 202,
    runs: [{ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:orders:run-1' }],
    headers: { 'content-type': 'application/json', 'x-api-key': '[redacted]' },
    body: { bytes: 2, sha256: 'a'.repeat(64), inline: Buffer.from('{}').toString('base64') },
    expiresAt: Math.floor(NOW / 1000) + 7 * 86_400,
    ...overrides,
  };
}

/** Every page of a query, following `next`, as ids. */
async function allPages(log: DeliveryLog, query: DeliveryQuery): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await log.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    ids.push(...page.items.map((item: DeliverySummary) => item.id));
    cursor = page.next;
    pages += 1;
  } while (cursor !== undefined && pages < 1_000);
  return { ids, pages };
}

describe(`the deliveries log, in DynamoDB (${backend}) and in memory alike`, () => {
  const database = useInMemoryDynamoDb();
  const logs = (maxItemsRead = 2_000) => ({
    memory: new InMemoryDeliveryLog(() => NOW),
    dynamodb: new DynamoDbDeliveryLog(database().client, database().tables.dedupe, {
      shards: 4,
      maxItemsRead,
      now: () => NOW,
    }),
  });
  /** A time window of its own: [start, start + HOUR). */
  const nextWindow = () => NOW - 100 * HOUR + ++window * HOUR;

  it('keeps a record whole: get by id returns headers, body and the key id (not indexed) as put', async () => {
    // Arrange
    const record = recordAt(nextWindow(), { correlationId: 'evt_1', org: 'acme', apiKeyId: 'k1', reason: undefined });
    for (const log of Object.values(logs())) {
      // Act
      await log.put(record);
      // Assert
      expect(await log.get(record.id)).toEqual(JSON.parse(JSON.stringify(record)));
    }
  });

  it('answers undefined for an unknown id, a malformed one and an expired record', async () => {
    // Arrange
    const start = nextWindow();
    const expired = recordAt(start, { expiresAt: Math.floor(NOW / 1000) - 1 });
    const unknown = newDeliveryId(start + 1);
    for (const log of Object.values(logs())) {
      await log.put(expired);
      // Act / Assert
      expect(await log.get(unknown)).toBeUndefined();
      expect(await log.get('not-a-delivery')).toBeUndefined();
      expect(await log.get(expired.id)).toBeUndefined();
    }
  });

  it('marks a queued record started with its run, once, and nothing else', async () => {
    // Arrange: a queued delivery (the engine was busy), a started one, and an id never recorded
    const start = nextWindow();
    const queued = recordAt(start, { outcome: 'queued', runs: [] });
    const started = recordAt(start + 1);
    const unknown = newDeliveryId(start + 2);
    const run = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:orders:hf-1-abc' };
    for (const log of Object.values(logs())) {
      await log.put(queued);
      await log.put(started);

      // Act
      const marked = await log.markStarted(queued.id, run);
      // The same message delivered again: the same run (its start deduped).
      const again = await log.markStarted(queued.id, run);
      const others = [await log.markStarted(started.id, run), await log.markStarted(unknown, run)];

      // Assert
      expect(marked).toBe(true);
      expect(again).toBe(false);
      expect(others).toEqual([false, false]);
      expect(await log.get(queued.id)).toMatchObject({ outcome: 'started', status: 202, runs: [run] });
      expect((await log.get(started.id))?.runs).toEqual(started.runs);
      expect(await log.get(unknown)).toBeUndefined();
    }
  });

  it('writes a record never written from the queued message (rebuilt), started, found by id and listed; leaves a written one as written', async () => {
    // Arrange: a delivery whose handler died after queueing (no record), and one whose queued record was written
    const start = nextWindow();
    const rebuiltOf = (at: number) =>
      recordAt(at, { outcome: 'queued', runs: [], headers: {}, body: { bytes: 9, sha256: 'b'.repeat(64) } });
    const lost = rebuiltOf(start);
    const written = recordAt(start + 1, { outcome: 'queued', runs: [] });
    const run = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:orders:hf-1-def' };
    for (const log of Object.values(logs())) {
      await log.put(written);

      // Act
      const created = await log.markStarted(lost.id, run, lost);
      const again = await log.markStarted(lost.id, run, lost);
      const marked = await log.markStarted(written.id, run, rebuiltOf(start + 1));
      const listed = await allPages(log, { from: start, to: start + 10, limit: 10 });

      // Assert
      expect([created, again, marked]).toEqual([true, false, true]);
      expect(await log.get(lost.id)).toEqual({ ...lost, outcome: 'started', runs: [run] });
      expect(await log.get(written.id)).toEqual({ ...written, outcome: 'started', runs: [run] });
      expect(listed.ids.sort()).toEqual([lost.id, written.id].sort());
    }
  });

  it("keeps the record the worker wrote first: the handler's put of its queued record changes nothing", async () => {
    // Arrange: the handler queued the start, the worker started it and wrote the record from the message (rebuilt)
    // before the handler's own write of the queued record landed
    const start = nextWindow();
    const queued = recordAt(start, { outcome: 'queued', runs: [] });
    const rebuilt = { ...queued, headers: {}, body: { bytes: 2, sha256: 'a'.repeat(64) } };
    const run = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:orders:hf-race' };
    const second = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:orders:hf-race-2' };
    for (const log of Object.values(logs())) {
      const created = await log.markStarted(queued.id, run, rebuilt);

      // Act
      const written = await log.put(queued);
      const again = await log.put(queued);
      // A second queued start of the same request still adds its run to the kept record.
      const added = await log.markStarted(queued.id, second, rebuilt);

      // Assert
      expect([created, written, again, added]).toEqual([true, false, false, true]);
      expect(await log.get(queued.id)).toEqual({ ...rebuilt, outcome: 'started', runs: [run, second] });
    }
  });

  it('lists every queued start of one request once, in any order, redelivered or not, next to the runs it started', async () => {
    // Arrange: a CloudEvents delivery that started one subscriber's run and queued three more; each message is
    // delivered twice (one of them an Express run started again under its name: an ARN of its own)
    const start = nextWindow();
    const begun = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:a:evt-a' };
    const queued = recordAt(start, { outcome: 'queued', runs: [begun] });
    const lost = recordAt(start + 1, { outcome: 'queued', runs: [], headers: {} });
    const b = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:b:evt-b' };
    const c = { executionArn: 'arn:aws:states:us-east-1:123456789012:express:c:evt-c:1111' };
    const cAgain = { executionArn: 'arn:aws:states:us-east-1:123456789012:express:c:evt-c:2222' };
    const d = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:d:evt-d' };
    for (const log of Object.values(logs())) {
      await log.put(queued);

      // Act: sequentially on the written record, concurrently on the one never written (rebuilt by every message)
      const marks = [
        await log.markStarted(queued.id, c),
        await log.markStarted(queued.id, b),
        await log.markStarted(queued.id, cAgain),
        await log.markStarted(queued.id, d),
        await log.markStarted(queued.id, b),
      ];
      const rebuilt = await Promise.all(
        [b, c, d, b, cAgain, d].map((run) => log.markStarted(lost.id, run, { ...lost, runs: [] })),
      );

      // Assert
      expect(marks).toEqual([true, true, false, true, false]);
      expect(await log.get(queued.id)).toMatchObject({ outcome: 'started', runs: [begun, c, b, d] });
      expect(rebuilt.filter(Boolean)).toHaveLength(3);
      const lostRuns = (await log.get(lost.id))!.runs;
      expect(lostRuns).toHaveLength(3);
      expect(lostRuns.map((run) => run.executionArn?.split(':')[7]).sort()).toEqual(['evt-b', 'evt-c', 'evt-d']);
    }
  });

  it('replaces the entry a queued run was listed by (its runRef, no ARN yet) with the started run', async () => {
    // Arrange: an inbound batch whose two items were queued, listed by runRef
    const start = nextWindow();
    const queued = recordAt(start, { outcome: 'queued', runs: [{ runRef: 'run_1' }, { runRef: 'run_2' }] });
    const first = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:in:uid-1', runRef: 'run_1' };
    const second = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:in:uid-2', runRef: 'run_2' };
    for (const log of Object.values(logs())) {
      await log.put(queued);

      // Act
      const marks = [await log.markStarted(queued.id, second)];
      const halfway = (await log.get(queued.id))?.runs;
      marks.push(await log.markStarted(queued.id, first), await log.markStarted(queued.id, second));

      // Assert
      expect(marks).toEqual([true, true, false]);
      expect(halfway).toEqual([{ runRef: 'run_1' }, second]);
      expect(await log.get(queued.id)).toMatchObject({ outcome: 'started', runs: [second, first] });
    }
  });

  it('replaces every placeholder once when the queued items of a batch start all at once, each delivered twice', async () => {
    // Arrange: six queued items, listed by runRef
    const start = nextWindow();
    const refs = Array.from({ length: 6 }, (_, i) => `run_${i}`);
    const queued = recordAt(start, { outcome: 'queued', runs: refs.map((runRef) => ({ runRef })) });
    const runOf = (runRef: string) => ({
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:in:${runRef}`,
      runRef,
    });
    for (const log of Object.values(logs())) {
      await log.put(queued);

      // Act
      const marks = await Promise.all([...refs, ...refs].map((runRef) => log.markStarted(queued.id, runOf(runRef))));

      // Assert
      expect(marks.filter(Boolean)).toHaveLength(6);
      const { runs } = (await log.get(queued.id))!;
      expect([...runs].sort((a, b) => a.runRef!.localeCompare(b.runRef!))).toEqual(refs.map(runOf));
    }
  });

  it('leaves a record the worker never marked as it is: a started one, a refused one', async () => {
    // Arrange
    const start = nextWindow();
    const started = recordAt(start);
    const refused = recordAt(start + 1, { outcome: 'refused', status: 401, runs: [] });
    const run = { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:orders:hf-x' };
    for (const log of Object.values(logs())) {
      await log.put(started);
      await log.put(refused);

      // Act
      const marks = [
        await log.markStarted(started.id, run),
        await log.markStarted(refused.id, run),
        await log.markStarted(refused.id, run, refused),
      ];

      // Assert
      expect(marks).toEqual([false, false, false]);
      expect(await log.get(started.id)).toEqual(JSON.parse(JSON.stringify(started)));
      expect(await log.get(refused.id)).toEqual(JSON.parse(JSON.stringify(refused)));
    }
  });

  it('lists newest first within the time range, filtered, in pages that lose nothing and repeat nothing', async () => {
    // Arrange: 30 records a minute apart, every third one refused
    const start = nextWindow();
    const records = Array.from({ length: 30 }, (_, i) =>
      recordAt(start + i * 60_000, i % 3 === 0 ? { outcome: 'refused', status: 401, reason: 'bad key' } : {}),
    );
    const both = logs();
    for (const log of Object.values(both)) for (const record of records) await log.put(record);
    const query: DeliveryQuery = { from: start + 5 * 60_000, to: start + 25 * 60_000, limit: 4 };

    // Act
    const results = await Promise.all(Object.values(both).map((log) => allPages(log, query)));
    const refused = await Promise.all(
      Object.values(both).map((log) => allPages(log, { ...query, outcome: 'refused', limit: 100 })),
    );

    // Assert
    const expected = records
      .slice(5, 26)
      .map((record) => record.id)
      .reverse();
    for (const result of results) expect(result.ids).toEqual(expected);
    const expectedRefused = records
      .slice(5, 26)
      .filter((record) => record.outcome === 'refused')
      .map((record) => record.id)
      .reverse();
    for (const result of refused) expect(result.ids).toEqual(expectedRefused);
    // A summary never carries headers or body, only the body's size.
    const [first] = (await both.dynamodb.list({ ...query, limit: 1 })).items;
    expect(first).toEqual(
      expect.objectContaining({ id: expected[0], bodyBytes: 2, runs: records[25]!.runs, outcome: 'started' }),
    );
    expect(first).not.toHaveProperty('headers');
    expect(first).not.toHaveProperty('body');
  });

  it('filters by style, registration, correlation id and organisation', async () => {
    // Arrange
    const start = nextWindow();
    const records = [
      recordAt(start, { style: 'inbound', registration: 'wf-1', correlationId: 'uid-1' }),
      recordAt(start + 1, { style: 'registered-webhooks', registration: 'wh-1', org: 'acme' }),
      recordAt(start + 2, { style: 'registered-webhooks', registration: 'wh-2', org: 'other' }),
      recordAt(start + 3),
    ];
    const both = logs();
    for (const log of Object.values(both)) for (const record of records) await log.put(record);
    const range = { from: start, to: start + HOUR - 1, limit: 10 };
    const queries: [DeliveryQuery, string[]][] = [
      [{ ...range, style: 'inbound' }, [records[0]!.id]],
      [{ ...range, registration: 'wh-2' }, [records[2]!.id]],
      [{ ...range, correlationId: 'uid-1' }, [records[0]!.id]],
      [{ ...range, orgs: ['acme'] }, [records[1]!.id]],
      [{ ...range, flows: ['orders'] }, [records[3]!.id]],
    ];

    for (const [query, ids] of queries) {
      for (const log of Object.values(both)) {
        // Act
        const page = await log.list(query);
        // Assert
        expect(page.items.map((item) => item.id)).toEqual(ids);
        expect(page.next).toBeUndefined();
      }
    }
  });

  it('DynamoDB: a narrow filter over many records stops at its read budget with a next cursor, and paging still finds every match', async () => {
    // Arrange: 120 records, 3 of them refused, and a budget of 20 items read per call
    const start = nextWindow();
    const records = Array.from({ length: 120 }, (_, i) =>
      recordAt(start + i * 1_000, [7, 64, 113].includes(i) ? { outcome: 'refused', status: 403 } : {}),
    );
    const { memory, dynamodb } = logs(20);
    for (const log of [memory, dynamodb]) for (const record of records) await log.put(record);
    const query: DeliveryQuery = { from: start, to: start + HOUR - 1, limit: 10, outcome: 'refused' };

    // Act
    const firstPage = await dynamodb.list(query);
    const paged = await allPages(dynamodb, query);

    // Assert: the first call could not read all 120, so it says where to go on
    expect(firstPage.next).toBeDefined();
    expect(firstPage.items.length).toBeLessThan(3);
    expect(paged.ids).toEqual((await allPages(memory, query)).ids);
    expect(paged.ids).toHaveLength(3);
    expect(paged.pages).toBeGreaterThan(1);
  });
});
