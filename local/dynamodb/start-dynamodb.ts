import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalDynamoDb {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite on loopback, persisted under `dataDir` (LevelDB), in a child process. */
export async function startLocalDynamoDb(host: string, dataDir: string): Promise<LocalDynamoDb> {
  mkdirSync(dataDir, { recursive: true });
  const child = fork(join(__dirname, 'dynalite-process.js'), [host, dataDir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`dynalite exited with code ${code} before listening (is ${dataDir} locked by another stack?)`)),
    );
  });
  return {
    endpoint: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}
