import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { forkService } from '../child-service';

export interface LocalDynamoDb {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite on loopback, persisted under `dataDir` (LevelDB), in a child process. */
export async function startLocalDynamoDb(host: string, dataDir: string): Promise<LocalDynamoDb> {
  mkdirSync(dataDir, { recursive: true });
  const service = await forkService('dynalite', join(__dirname, 'dynalite-process.js'), [host, dataDir]).catch(
    (error: Error) => {
      throw new Error(`${error.message} (is ${dataDir} locked by another stack?)`);
    },
  );
  return { endpoint: `http://${host}:${service.port}`, close: service.close };
}
