/**
 * `npm run integ:update`: re-synthesizes the integ app and rewrites test/integ/integ.hookflow.ts.snapshot/.
 * Run it after a change to lib/ (or a merge that brings one), look at `git diff`, and commit the snapshot.
 * Offline, no credentials. Only a deployment (`npm run integ:deploy`) proves the new templates work in AWS.
 */
import { rmSync } from 'node:fs';
import { SNAPSHOT_DIR, canIsolateNetwork, snapshotOf, synthIntegApp, writeSnapshot } from './snapshot';

async function main(): Promise<void> {
  const outDir = synthIntegApp({ isolateNetwork: canIsolateNetwork() });
  try {
    const snapshot = snapshotOf(outDir);
    await writeSnapshot(snapshot);
    process.stdout.write(`wrote ${Object.keys(snapshot).join(', ')} to ${SNAPSHOT_DIR}\n`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`integ:update: ${(error as Error).message}\n`);
  process.exit(1);
});
