import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { forkService } from '../child-service';

export interface LocalSqs {
  readonly endpoint: string;
  close(): Promise<void>;
  /** Resolves if fauxqs's process exits on its own (ChildService.crashed). */
  readonly crashed: Promise<string>;
}

/** Starts fauxqs on loopback in a child process, persisted (SQLite) under `dataDir`. */
export async function startLocalSqs(host: string, dataDir: string): Promise<LocalSqs> {
  mkdirSync(dataDir, { recursive: true });
  const service = await forkService('fauxqs', join(__dirname, 'fauxqs-process.mjs'), [host, dataDir], {
    // fauxqs persists through node:sqlite, which Node 22 flags as experimental on every start.
    execArgv: ['--disable-warning=ExperimentalWarning'],
  });
  return { endpoint: `http://${host}:${service.port}`, close: service.close, crashed: service.crashed };
}
