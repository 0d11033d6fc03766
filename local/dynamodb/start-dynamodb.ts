import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { forkService } from '../child-service';
import { startDynamoDbLocal } from './dynamodb-local';

/** The two DynamoDB stand-ins; docs/dynamodb.md says what each differs in from DynamoDB. */
export const DYNAMODB_BACKENDS = ['dynalite', 'dynamodb-local'] as const;
export type DynamoDbBackend = (typeof DYNAMODB_BACKENDS)[number];

/** HOOKFLOW_DYNAMODB picks the backend: dynalite (the default: pure Node, fast start) or dynamodb-local. */
export function dynamoDbBackend(env: NodeJS.ProcessEnv = process.env): DynamoDbBackend {
  const value = env.HOOKFLOW_DYNAMODB ?? 'dynalite';
  if ((DYNAMODB_BACKENDS as readonly string[]).includes(value)) return value as DynamoDbBackend;
  throw new Error(`HOOKFLOW_DYNAMODB must be one of ${DYNAMODB_BACKENDS.join(', ')}, not "${value}"`);
}

export interface LocalDynamoDb {
  readonly backend: DynamoDbBackend;
  readonly endpoint: string;
  close(): Promise<void>;
  /** Resolves if the backend's process exits on its own (ChildService.crashed). */
  readonly crashed: Promise<string>;
}

/**
 * Starts the local DynamoDB, persisted under `dataDir`: dynalite (LevelDB files) on `host` in a child process,
 * or DynamoDB Local (one SQLite file, shared-local-instance.db, beside them: the names never collide, and each
 * backend sees only its own tables) on every interface of what must be a private network namespace.
 */
export async function startLocalDynamoDb(
  host: string,
  dataDir: string,
  backend: DynamoDbBackend = dynamoDbBackend(),
): Promise<LocalDynamoDb> {
  if (backend === 'dynamodb-local') {
    const jvm = await startDynamoDbLocal({ dbPath: dataDir });
    return { backend, endpoint: jvm.endpoint, close: jvm.close, crashed: jvm.crashed };
  }
  mkdirSync(dataDir, { recursive: true });
  const service = await forkService('dynalite', join(__dirname, 'dynalite-process.js'), [host, dataDir]).catch(
    (error: Error) => {
      throw new Error(`${error.message} (is ${dataDir} locked by another stack?)`);
    },
  );
  return { backend, endpoint: `http://${host}:${service.port}`, close: service.close, crashed: service.crashed };
}
