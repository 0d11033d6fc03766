import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DELIVERIES_INDEX,
  dedupeTableSchema,
  deliveriesIndexSchema,
} from '../../../functions/adapters/aws/table-schemas';
import { createTables } from '../../../local/dynamodb/create-tables';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../local/dynamodb/start-dynamodb';
import {
  deletableByTtl,
  TTL_MAX_AGE_SECONDS,
  type TtlSweepSettings,
  TtlSweeper,
} from '../../../local/dynamodb/ttl-sweeper';
import { localClientConfig } from '../../support/local-stack';

/**
 * The local stack applies DynamoDB's TTL to the dedupe table, which dynalite leaves to grow forever. Pinned here as
 * AWS documents it (local/dynamodb/ttl-sweeper.ts cites the pages): a Number of epoch seconds below the current
 * time expires; any other type, or a time more than five years past, is ignored; a deletion leaves the index too.
 * And as the local stack adds to it: an hour's grace after expiry, and no deletion of an item written again since
 * the scan saw it.
 */
describe('deletableByTtl (DynamoDB TTL rules)', () => {
  const now = 2_000_000_000;

  it.each([
    ['a Number a second past', { N: String(now - 1) }, 0, true],
    ['a Number equal to now (not less than it)', { N: String(now) }, 0, false],
    ['a Number in the future', { N: String(now + 60) }, 0, false],
    ['a decimal Number past', { N: `${now - 1}.5` }, 0, true],
    ['a String holding a past time (other formats are ignored)', { S: String(now - 60) }, 0, false],
    ['no attribute', undefined, 0, false],
    ['exactly five years past', { N: String(now - TTL_MAX_AGE_SECONDS) }, 0, true],
    ['more than five years past', { N: String(now - TTL_MAX_AGE_SECONDS - 1) }, 0, false],
    ['milliseconds by mistake (far in the future as seconds)', { N: String(now * 1000) }, 0, false],
    ['past, but inside the grace', { N: String(now - 60) }, 3600, false],
    ['past the grace', { N: String(now - 3601) }, 3600, true],
  ])('%s', (_name, value, after, expected) => {
    // Arrange, Act, Assert
    expect(deletableByTtl(value as AttributeValue | undefined, now, after)).toBe(expected);
  });
});

describe('the local TTL sweeper on dynalite', () => {
  const table = 'hookflow-dedupe';
  const ttl = dedupeTableSchema.timeToLiveAttribute;
  const pk = dedupeTableSchema.partitionKey;
  const now = Math.floor(Date.now() / 1000);
  let dir: string;
  let server: LocalDynamoDb;
  let client: DynamoDBClient;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hookflow-ttl-'));
    server = await startLocalDynamoDb('127.0.0.1', dir, 'dynalite');
    client = new DynamoDBClient(localClientConfig(server.endpoint));
    await createTables(client, { registry: 'hookflow-registry', dedupe: table });
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const put = (key: string, extra: Record<string, AttributeValue>) =>
    client.send(new PutItemCommand({ TableName: table, Item: { [pk]: { S: key }, ...extra } }));
  const keysLeft = async () =>
    ((await client.send(new ScanCommand({ TableName: table }))).Items ?? []).map((item) => item[pk]!.S).sort();
  const sweeper = (settings: Partial<TtlSweepSettings> = {}) =>
    new TtlSweeper(
      client,
      { name: table, keyAttributes: [pk], ttlAttribute: ttl },
      { everySeconds: 10, deleteAfterSeconds: 3600, pageSize: 100, ...settings },
      () => now,
    );

  it('deletes what TTL would have deleted an hour past expiry, and only that', async () => {
    // Arrange
    await put('expired-long-ago', { [ttl]: { N: String(now - 7200) } });
    await put('expired-inside-the-grace', { [ttl]: { N: String(now - 60) } });
    await put('live', { [ttl]: { N: String(now + 3600) } });
    await put('string-ttl', { [ttl]: { S: String(now - 7200) } });
    await put('no-ttl', {});
    await put('six-years-past', { [ttl]: { N: String(now - TTL_MAX_AGE_SECONDS - 86_400) } });

    // Act
    const swept = await sweeper().sweepPage();

    // Assert
    expect(swept).toEqual({ examined: 6, deleted: 1, wrapped: true });
    expect(await keysLeft()).toEqual(['expired-inside-the-grace', 'live', 'no-ttl', 'six-years-past', 'string-ttl']);
  });

  it("removes a deleted record's entry from the deliveries index too", async () => {
    // Arrange: a record with its index keys, long expired.
    await put('record', {
      [ttl]: { N: String(now - 7200) },
      [deliveriesIndexSchema.partitionKey]: { S: 'deliveries#flow#hello' },
      [deliveriesIndexSchema.sortKey]: { S: '01J0000000000000000000000' },
    });
    const indexed = () =>
      client.send(
        new QueryCommand({
          TableName: table,
          IndexName: DELIVERIES_INDEX,
          KeyConditionExpression: '#p = :p',
          ExpressionAttributeNames: { '#p': deliveriesIndexSchema.partitionKey },
          ExpressionAttributeValues: { ':p': { S: 'deliveries#flow#hello' } },
        }),
      );
    expect((await indexed()).Count).toBe(1);

    // Act
    await sweeper().sweepPage();

    // Assert
    expect((await indexed()).Count).toBe(0);
  });

  it('keeps an item written again between the scan and the delete (a claim taken over)', async () => {
    // Arrange: the item is rewritten with a fresh expiry just before the sweeper's DeleteItem reaches DynamoDB.
    await put('taken-over', { [ttl]: { N: String(now - 7200) } });
    const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
    jest.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
      if (command instanceof DeleteItemCommand) await put('taken-over', { [ttl]: { N: String(now + 3600) } });
      return send(command);
    }) as never);

    // Act
    const swept = await sweeper().sweepPage();

    // Assert
    expect(swept.deleted).toBe(0);
    expect(await keysLeft()).toEqual(['taken-over']);
  });

  it('walks a table larger than a page, page by page, and starts again from its beginning', async () => {
    // Arrange: 5 expired items, pages of 2.
    for (let i = 0; i < 5; i++) await put(`expired-${i}`, { [ttl]: { N: String(now - 7200) } });
    const sweep = sweeper({ pageSize: 2 });

    // Act
    const pages = [await sweep.sweepPage(), await sweep.sweepPage(), await sweep.sweepPage()];
    await put('expired-again', { [ttl]: { N: String(now - 7200) } });
    const afterWrap = await sweep.sweepPage();

    // Assert
    expect(pages.map((p) => [p.examined, p.deleted])).toEqual([
      [2, 2],
      [2, 2],
      [1, 1],
    ]);
    expect(pages.filter((p) => p.wrapped)).toHaveLength(1);
    expect(afterWrap).toEqual({ examined: 1, deleted: 1, wrapped: true });
    expect(await keysLeft()).toEqual([]);
  });

  it('once started, sweeps on its own until stopped', async () => {
    // Arrange
    await put('expired', { [ttl]: { N: String(now - 7200) } });
    const sweep = sweeper({ everySeconds: 0.01 });

    // Act
    sweep.start(() => undefined);
    while ((await keysLeft()).length > 0) await new Promise((tick) => setTimeout(tick, 10));
    await sweep.stop();

    // Assert
    expect(await keysLeft()).toEqual([]);
  });

  it('deletes nothing when turned off (everySeconds 0), and start and stop are safe', async () => {
    // Arrange
    await put('expired', { [ttl]: { N: String(now - 7200) } });
    const sweep = sweeper({ everySeconds: 0 });

    // Act
    sweep.start(() => undefined);
    await sweep.stop();

    // Assert
    expect(await keysLeft()).toEqual(['expired']);
  });
});
