import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createTables } from '../../local/dynamodb/create-tables';
import { startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local';
import { type DynamoDbBackend, dynamoDbBackend } from '../../local/dynamodb/start-dynamodb';

/** Set by the unit tier's global setup: the DynamoDB Local every test file shares, each with its own tables. */
export const SHARED_ENDPOINT_ENV = 'HOOKFLOW_DYNAMODB_LOCAL_ENDPOINT';

/**
 * An in-memory DynamoDB with hookflow's tables: real DynamoDB protocol and condition semantics. dynalite by
 * default; AWS's DynamoDB Local when HOOKFLOW_DYNAMODB=dynamodb-local (npm run test:dynamodb-local runs the
 * unit and e2e tiers that way, inside a private network namespace).
 */
export async function startInMemoryDynamoDb(backend: DynamoDbBackend = dynamoDbBackend()) {
  const shared = backend === 'dynamodb-local' ? process.env[SHARED_ENDPOINT_ENV] : undefined;
  const server =
    shared !== undefined
      ? { endpoint: shared, close: async () => undefined }
      : backend === 'dynamodb-local'
        ? await startDynamoDbLocal()
        : await startDynalite();
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // On a shared database each caller gets tables of its own.
  const suffix = shared === undefined ? '' : `-${randomUUID()}`;
  const tables = { registry: `registry${suffix}`, dedupe: `dedupe${suffix}` };
  await createTables(client, tables);
  return {
    backend,
    endpoint: server.endpoint,
    client,
    tables,
    close: () => {
      client.destroy();
      return server.close();
    },
  };
}

async function startDynalite() {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * For a describe block: starts the in-memory DynamoDB before its tests and closes it after them. Returns a getter
 * (the database exists only once beforeAll has run).
 */
export function useInMemoryDynamoDb(): () => Awaited<ReturnType<typeof startInMemoryDynamoDb>> {
  let db: Awaited<ReturnType<typeof startInMemoryDynamoDb>> | undefined;
  // DynamoDB Local's JVM, when a file runs alone on it, takes 5-30 s to start.
  beforeAll(async () => {
    db = await startInMemoryDynamoDb();
  }, 120_000);
  afterAll(() => db?.close());
  return () => {
    if (db === undefined) throw new Error('the in-memory DynamoDB is not started yet (use it inside a test)');
    return db;
  };
}
