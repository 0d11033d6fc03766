/**
 * Builds what `npm pack` ships (package.json `files`): dist/ with
 *
 * - the construct library (lib/ and what it imports) and the CLI compiled to CommonJS with `.d.ts`
 *   (tsconfig.build.json),
 * - the data files the compiled code reads at synth (the example workflows' ASL, the demo registrations),
 * - every handler (its entry: functions/styles/<style>/handlers/<name>.ts) bundled as Lambda runs it, into
 *   `dist/handlers/<name>/index.js`, and beside it, in the handlers that store or read large bodies, the S3 body
 *   store's own bundle, `s3-body-store.js` (lib/handler-bundling.ts `BODY_STORE`), and in the handlers that queue
 *   only when the engine is busy the fan-out queue's, `sqs-fanout-queue.js` (`FANOUT_QUEUE`): the construct deploys these
 *   with `Code.fromAsset` (lib/hookflow-function.ts), so a consumer needs no esbuild, no Docker and no lock file
 *   of ours. The options are the ones the construct gives NodejsFunction when it bundles from source
 *   (lib/handler-bundling.ts): minified, Node 22, CommonJS, AWS SDK bundled in, source map beside the bundle (not
 *   loaded at run time: see docs/performance.md for reading a trace with it).
 *
 * Run by `npm run build` and by `npm pack` (prepack).
 */
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { handlers } from '../functions/routes';
import { handlerBuildOptions, secondFileBuildOptions, secondFilesOf } from '../lib/handler-bundling';

const root = resolve(__dirname, '..');
const dist = join(root, 'dist');

async function main(): Promise<void> {
  rmSync(dist, { recursive: true, force: true });
  // tsc and esbuild side by side: they write different folders.
  const compiled = promisify(execFile)(join(root, 'node_modules', '.bin', 'tsc'), [
    '-p',
    join(root, 'tsconfig.build.json'),
  ]).catch((error: { stdout?: string; message: string }) => {
    throw new Error(`tsc -p tsconfig.build.json failed:\n${error.stdout ?? error.message}`);
  });
  const bundled = Promise.all(
    handlers.flatMap((spec) => [
      build({
        entryPoints: [join(root, 'functions', spec.entry)],
        outfile: join(dist, 'handlers', spec.name, 'index.js'),
        ...handlerBuildOptions(),
        absWorkingDir: root,
        logLevel: 'warning',
      }),
      // The second files beside it (the S3 body store, the fan-out queue), as the construct's afterBundling hook
      // builds them (lib/handler-bundling.ts).
      ...secondFilesOf(spec).map((second) =>
        build({
          entryPoints: [join(root, second.entry)],
          outfile: join(dist, 'handlers', spec.name, second.file),
          ...secondFileBuildOptions(second),
          absWorkingDir: root,
          logLevel: 'warning',
        }),
      ),
    ]),
  );
  await Promise.all([compiled, bundled]);

  // Read at synth by the compiled workflows/manifest.ts (ExampleWorkflows) and lib/hookflow-stack.ts.
  mkdirSync(join(dist, 'workflows'), { recursive: true });
  for (const name of readdirSync(join(root, 'workflows')).filter((file) => file.endsWith('.json'))) {
    cpSync(join(root, 'workflows', name), join(dist, 'workflows', name));
  }
  mkdirSync(join(dist, 'local'), { recursive: true });
  cpSync(join(root, 'local', 'hookflow.local.json'), join(dist, 'local', 'hookflow.local.json'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
