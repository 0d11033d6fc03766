import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BODY_STORE, localHandlerBuildOptions } from '../../lib/handler-bundling';

const BODY_STORE_NAME = BODY_STORE.file.replace(/\.js$/, '');

/**
 * Bundles each Lambda entry with esbuild, with the construct's options (lib/handler-bundling.ts: same target,
 * CommonJS output, `module` first) minus the two local differences named there (AWS SDK external, not
 * minified), so the local stack runs the handler code in the shape Lambda runs it. It also resolves ESM-only
 * packages (@middy/core) exactly as the deployed bundle does.
 *
 * Bundles go under node_modules/.cache so that the external AWS SDK resolves from the project's node_modules;
 * each process gets its own folder, so parallel stacks (the e2e tests) never overwrite each other's bundles.
 * Each bundle is named after its handler: the AWS call recorder (functions/adapters/aws/clients.ts) reads the
 * handler's name from the bundle's file name, since all bundles share this one process.
 */
export async function bundleHandlers(
  root: string,
  entries: readonly { readonly name: string; readonly entry: string }[],
): Promise<Map<string, string>> {
  const names = entries.map(({ name }) => name);
  const outdir = join(root, 'node_modules', '.cache', 'hookflow', `handlers-${process.pid}`);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  if (names.includes(BODY_STORE_NAME)) throw new Error(`a handler may not be named ${BODY_STORE_NAME}`);
  await build({
    // And the S3 body store, as the second file the deployed handlers carry (lib/handler-bundling.ts BODY_STORE):
    // one beside all the bundles here, each requiring it as `./s3-body-store`.
    entryPoints: {
      ...Object.fromEntries(entries.map(({ name, entry }) => [name, join(root, 'functions', entry)])),
      [BODY_STORE_NAME]: join(root, BODY_STORE.entry),
    },
    outdir,
    ...localHandlerBuildOptions(),
    absWorkingDir: root,
    logLevel: 'warning',
  });
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  return new Map(names.map((name) => [name, join(outdir, `${name}.js`)]));
}
