import { BatchWriteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTables } from '../../../local/dynamodb/create-tables';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../local/dynamodb/start-dynamodb';
import { localClientConfig } from '../../support/local-stack';

/**
 * The local stack's dynalite holds its writes in a 64 MiB LevelDB write buffer (local/dynamodb/dynalite-process.js),
 * not LevelDB's 4 MiB: with 4 MiB, merging the table files it wrote cost more per write the more was stored, and
 * the stack slowed down as it ran (docs/performance.md). Pinned by what LevelDB leaves on disk, not by timing:
 * 8 MB of writes make no table file (`*.ldb`) yet, where a 4 MiB buffer writes one out; and nothing is lost
 * across a restart, since every write is in LevelDB's log first.
 */
describe('the local dynalite write buffer', () => {
  const dirs: string[] = [];
  const servers: LocalDynamoDb[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (dir: string) => {
    const server = await startLocalDynamoDb('127.0.0.1', dir, 'dynalite');
    servers.push(server);
    return { server, client: new DynamoDBClient(localClientConfig(server.endpoint)) };
  };
  const tables = { registry: 'hookflow-registry', dedupe: 'hookflow-dedupe' };
  const ITEMS = 800;
  const filler = 'x'.repeat(10_000); // 800 items of about 10 KB: 8 MB, twice LevelDB's default buffer
  const pk = (i: number) => `flow-trigger#hello#local-dev#key-${i}`;

  it('keeps 8 MB of writes in memory (no table file yet) and loses none of them across a restart', async () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-dynalite-'));
    dirs.push(dir);
    const first = await start(dir);
    await createTables(first.client, tables);

    // Act: 8 MB of claims, 25 to a batch
    for (let at = 0; at < ITEMS; at += 25) {
      const batch = Array.from({ length: 25 }, (_, j) => ({
        PutRequest: { Item: marshall({ pk: pk(at + j), owner: 'o', filler }) },
      }));
      await first.client.send(new BatchWriteItemCommand({ RequestItems: { [tables.dedupe]: batch } }));
    }
    const tableFiles = readdirSync(dir).filter((name) => name.endsWith('.ldb'));
    first.client.destroy();
    await first.server.close();
    const second = await start(dir);
    const { Item } = await second.client.send(
      new GetItemCommand({ TableName: tables.dedupe, Key: marshall({ pk: pk(ITEMS - 1) }), ConsistentRead: true }),
    );
    second.client.destroy();

    // Assert
    expect(tableFiles).toEqual([]);
    expect(unmarshall(Item!)).toEqual({ pk: pk(ITEMS - 1), owner: 'o', filler });
  });
});
