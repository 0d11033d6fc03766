import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalSqs {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts fauxqs on loopback in a child process, persisted (SQLite) under `dataDir`. */
export async function startLocalSqs(host: string, dataDir: string): Promise<LocalSqs> {
  mkdirSync(dataDir, { recursive: true });
  const child = fork(join(__dirname, 'fauxqs-process.mjs'), [host, dataDir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // fauxqs persists through node:sqlite, which Node 22 flags as experimental on every start.
    execArgv: ['--disable-warning=ExperimentalWarning'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fauxqs exited with code ${code} before listening`)));
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
