/**
 * The offline half of the CDK integration test: synthesize test/integ/integ.hookflow.ts and compare its
 * templates with the committed snapshot.
 *
 * Why not `integ-runner` itself: the newest @aws-cdk/integ-runner on npm (2.197.10) bundles a CDK toolkit that
 * reads cloud assembly schema 53 at most, and aws-cdk-lib 2.276 writes schema 55 ("AssemblyVersionMismatch"),
 * even for a snapshot-only run. So the app is synthesized as `cdk synth` would (cdk.json's context), in a
 * child process with no AWS credentials and, where the machine allows it, no network at all (a private network
 * namespace), and the snapshot is kept in integ-runner's layout (`integ.hookflow.ts.snapshot/`) for the day its
 * toolkit catches up. Deploy-and-assert with an account: docs/deploy.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
export const INTEG_APP = join(root, 'test', 'integ', 'integ.hookflow.ts');
export const SNAPSHOT_DIR = join(root, 'test', 'integ', 'integ.hookflow.ts.snapshot');

/** Whether this machine lets an unprivileged process run in a network namespace of its own (loopback only). */
export function canIsolateNetwork(): boolean {
  return spawnSync('unshare', ['-rn', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * Synthesizes the integ app into a fresh folder and returns it. Bundling is skipped (the asset hashes it
 * would produce are not part of the snapshot), which keeps the synth to seconds.
 */
export function synthIntegApp(options: { isolateNetwork: boolean }): string {
  const outDir = mkdtempSync(join(tmpdir(), 'hookflow-integ-'));
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  // Nothing that could reach an AWS account: no credentials, no profile, no region lookup.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')),
  );
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  const command = options.isolateNetwork ? ['unshare', '-rn', tsx, INTEG_APP] : [tsx, INTEG_APP];
  const result = spawnSync(command[0]!, command.slice(1), {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...env,
      // The node@22 devDependency, as npm scripts put it first.
      PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
      CDK_OUTDIR: outDir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, 'aws:cdk:bundling-stacks': [] }),
    },
  });
  if (result.status !== 0) {
    rmSync(outDir, { recursive: true, force: true });
    throw new Error(`synthesizing ${INTEG_APP} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  }
  return outDir;
}

/**
 * What the snapshot holds: every stack template and integ.json (the test cases integ-runner reads), with what
 * changes at every synth taken out: asset hashes (source edits; integ-runner ignores them too unless
 * diffAssets) and integ-tests' per-synth `salt`.
 */
export function snapshotOf(outDir: string): Record<string, unknown> {
  const files = readdirSync(outDir)
    .filter((name) => name.endsWith('.template.json') || name === 'integ.json')
    .sort();
  return Object.fromEntries(
    files.map((name) => [
      name,
      JSON.parse(
        readFileSync(join(outDir, name), 'utf8')
          // Only where an asset hash sits (an S3 key, an asset path): a key hash in an item must still count.
          .replace(/\b[0-9a-f]{64}(\.zip|\.json)\b/g, '<asset-hash>$1')
          .replace(/\basset\.[0-9a-f]{64}\b/g, 'asset.<asset-hash>')
          .replace(/"salt":\s*"\d+"/g, '"salt": "<salt>"'),
      ),
    ]),
  );
}

export function readSnapshot(): Record<string, unknown> {
  let names: string[];
  try {
    names = readdirSync(SNAPSHOT_DIR).filter((name) => name.endsWith('.json'));
  } catch {
    return {};
  }
  return Object.fromEntries(
    names.sort().map((name) => [name, JSON.parse(readFileSync(join(SNAPSHOT_DIR, name), 'utf8')) as unknown]),
  );
}
