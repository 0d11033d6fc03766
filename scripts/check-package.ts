/**
 * The package check (issue 17): what a CDK app gets from `npm install hookflow` synthesizes with no other step.
 *
 *   1. `npm pack` (prepack builds dist/: compiled lib with .d.ts, prebuilt handler bundles);
 *   2. a copy of examples/consumer-app (plain CommonJS, no TypeScript) in a temporary folder;
 *   3. the tarball installed there, and only what its package.json declares besides it;
 *   4. `node app.js` with CDK_OUTDIR, the way `cdk synth` runs the app, with no esbuild, tsx or Docker on the PATH;
 *   5. the template must have every route of functions/routes.ts, one Lambda function per handler deployed from
 *      its prebuilt bundle, and the `orders` flow bound to the app's Express state machine;
 *   6. the package's `hookflow` command (bin) must run: it prints its usage.
 *
 * How the tarball is installed (step 3). By default the tarball is unpacked into node_modules/hookflow, as npm
 * would, and each package its package.json names (dependencies and peerDependencies) plus the app's own
 * dependencies are linked from this repository's node_modules: nothing else is there, so a run-time import of a
 * devDependency (cdk-nag, esbuild, tsx) fails exactly as in a consumer's app. Why not `npm install --offline`:
 * `npm ci` caches tarballs but not the registry metadata npm needs to resolve version ranges, so it fails here
 * with ENOTCACHED; an online install takes about 40 s more and needs the registry. `--npm` runs the real one
 * (`npm install --prefer-offline <tarball>`), for a machine that reaches the registry.
 *
 * `npm run test:package`; part of `npm test`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { handlers } from '../functions/routes';

const root = resolve(__dirname, '..');
const useNpm = process.argv.includes('--npm');
const started = Date.now();
const step = (what: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'hookflow-package-'));
  try {
    check(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function check(work: string): void {
  step('npm pack (builds dist/)');
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  ) as { filename: string; size: number; unpackedSize: number; entryCount: number }[];
  const pack = packed[0]!;
  const tarball = join(work, pack.filename);
  console.log(`${pack.filename}: ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked, ${pack.entryCount} files`);

  const app = join(work, 'app');
  cpSync(join(root, 'examples', 'consumer-app'), app, { recursive: true });
  if (useNpm) {
    step('npm install <tarball>');
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: app,
      stdio: 'inherit',
    });
  } else {
    step('unpack the tarball into node_modules/hookflow, link what it and the app declare');
    const target = join(app, 'node_modules', 'hookflow');
    mkdirSync(target, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
    const manifest = readJson(join(target, 'package.json')) as Record<string, Record<string, string> | undefined>;
    const appManifest = readJson(join(app, 'package.json')) as { dependencies: Record<string, string> };
    const names = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...Object.keys(appManifest.dependencies).filter((name) => name !== 'hookflow'),
    ]);
    for (const name of names) {
      const link = join(app, 'node_modules', name);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(root, 'node_modules', name), link, 'dir');
    }
    console.log(`node_modules: hookflow (the tarball), ${[...names].sort().join(', ')}`);
  }

  step('node app.js (cdk synth)');
  const out = join(work, 'cdk.out');
  // Node 22 (the node devDependency), the runtime hookflow supports; a PATH with no esbuild, tsx or Docker.
  const node = realNode();
  const result = spawnSync(node, ['app.js'], {
    cwd: app,
    encoding: 'utf8',
    env: {
      PATH: '/usr/bin:/bin',
      HOME: process.env.HOME ?? work,
      CDK_OUTDIR: out,
      CDK_DEFAULT_REGION: 'eu-west-1',
      CDK_DEFAULT_ACCOUNT: '123456789012',
    },
  });
  if (result.status !== 0) throw new Error(`synth failed (${result.status}):\n${result.stderr}${result.stdout}`);

  step('check the template');
  const template = readJson(join(out, 'Orders.template.json')) as Template;
  const resources = Object.entries(template.Resources);
  const problems: string[] = [];

  const routeKeys = new Set(
    resources.filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route').map(([, r]) => String(r.Properties?.RouteKey)),
  );
  const expected = handlers.flatMap((spec) => spec.routes.map((route) => `${route.method} ${route.path}`));
  for (const key of expected) if (!routeKeys.has(key)) problems.push(`route missing: ${key}`);
  for (const key of routeKeys) if (!expected.includes(key)) problems.push(`route not in functions/routes.ts: ${key}`);

  // Each handler's function runs its prebuilt bundle: Code from an asset folder holding index.js, handler index.handler.
  const functions = resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function');
  for (const spec of handlers) {
    const found = functions.find(([, r]) => r.Properties?.Description === spec.description);
    if (found === undefined) {
      problems.push(`no Lambda function for handler ${spec.name}`);
      continue;
    }
    const [id, fn] = found;
    if (fn.Properties?.Handler !== 'index.handler' || fn.Properties?.Runtime !== 'nodejs22.x') {
      problems.push(
        `${spec.name} (${id}): handler ${String(fn.Properties?.Handler)}, ${String(fn.Properties?.Runtime)}`,
      );
    }
    const assetDir = readdirSync(out).find((name) => {
      const key = JSON.stringify(fn.Properties?.Code);
      return name.startsWith('asset.') && key.includes(name.slice('asset.'.length));
    });
    if (assetDir === undefined || !existsSync(join(out, assetDir, 'index.js'))) {
      problems.push(`${spec.name} (${id}): its code is not a prebuilt bundle (asset ${assetDir ?? 'not found'})`);
    }
  }

  // The orders flow: a registry item FLOW#orders naming the app's state machine, which flow-trigger may start.
  const machine = resources.find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')?.[0];
  const ref = JSON.stringify({ Ref: machine });
  const binding = resources.find(([, r]) => {
    const text = JSON.stringify(r.Properties ?? {});
    return text.includes('FLOW#orders') && text.includes(ref.slice(1, -1));
  });
  if (machine === undefined || binding === undefined)
    problems.push('no registry item binds flow orders to OrdersWorkflow');
  const startGrant = resources.some(([, r]) => {
    const text = JSON.stringify(r.Properties ?? {});
    return r.Type === 'AWS::IAM::Policy' && text.includes('states:StartExecution') && text.includes(ref.slice(1, -1));
  });
  if (!startGrant) problems.push('no IAM policy lets a handler start OrdersWorkflow');

  // The package's `bin` runs the compiled CLI (no tsx in a consumer's app).
  const cli = spawnSync(node, [join(app, 'node_modules', 'hookflow', 'cli', 'hookflow.cjs'), '--help'], {
    cwd: app,
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin' },
  });
  if (cli.status !== 0 || !cli.stdout.startsWith('usage: hookflow')) {
    problems.push(`the hookflow CLI does not run from the package (${cli.status}): ${cli.stderr}`);
  }

  // The workflow helper's entry (`hookflow/body`, for Lambda tasks reading claim-checked bodies) loads with what the
  // package declares: no ULID, no SDK until a reference is read (the Lambda runtime has the SDK).
  const body = spawnSync(
    node,
    ['-e', "const b = require('hookflow/body'); if (typeof b.readHookflowBody !== 'function') process.exit(3)"],
    { cwd: app, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } },
  );
  if (body.status !== 0) problems.push(`require('hookflow/body') fails in the app (${body.status}): ${body.stderr}`);

  if (problems.length > 0) throw new Error(`the consumer app's template is wrong:\n- ${problems.join('\n- ')}`);
  step(
    `ok: ${expected.length} routes, ${handlers.length} handlers from prebuilt bundles, flow orders bound (${binding![0]})`,
  );
}

/** The node 22 binary of the node devDependency (node_modules/.bin/node is a wrapper script on some installs). */
function realNode(): string {
  const bin = join(root, 'node_modules', 'node', 'bin', 'node');
  return existsSync(bin) ? bin : process.execPath;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

main();
