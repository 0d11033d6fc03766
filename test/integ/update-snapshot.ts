/**
 * `npm run integ:update`: re-synthesizes the integ app and rewrites test/integ/integ.hookflow.ts.snapshot/.
 * Run it after a change to lib/ (or a merge that brings one), look at `git diff`, and commit the snapshot.
 * Offline, no credentials. Only a deployment (`npm run integ:deploy`) proves the new templates work in AWS.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// Here, not in snapshot.ts: prettier's dynamic imports cannot load inside jest's CommonJS runtime.
import { format, resolveConfig } from 'prettier';
import { SNAPSHOT_DIR, canIsolateNetwork, snapshotOf, synthIntegApp } from './snapshot';

/** Writes the snapshot as `prettier --check .` (npm run lint) wants it. */
async function writeSnapshot(snapshot: Record<string, unknown>): Promise<void> {
  const options = { ...(await resolveConfig(join(SNAPSHOT_DIR, 'x.json'))), parser: 'json' };
  rmSync(SNAPSHOT_DIR, { recursive: true, force: true });
  mkdirSync(SNAPSHOT_DIR, { recursive: true });
  for (const [name, content] of Object.entries(snapshot)) {
    writeFileSync(join(SNAPSHOT_DIR, name), await format(JSON.stringify(content), options));
  }
}

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
