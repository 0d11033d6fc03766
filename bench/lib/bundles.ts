import { build, type Metafile, type Plugin } from 'esbuild';
import { mkdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { handlers } from '../../functions/routes';

export const root = join(__dirname, '..', '..');

/** The bundle variants the bench builds. `deployed` is what `cdk synth` ships; the others are what-ifs. */
export type BundleVariant = 'deployed' | 'zod-namespace-import';

export interface Bundle {
  readonly name: string;
  readonly variant: BundleVariant;
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  readonly metafile: Metafile;
  /** The packages the bundle leaves to the runtime (the AWS SDK), as it requires them. */
  readonly externals: readonly string[];
}

export const handlerNames = handlers.map((spec) => spec.name);

/**
 * Bundles go under node_modules/.cache (as the local stack's do) so that the external AWS SDK resolves from
 * the project's node_modules when a bundle is required; each bench process gets its own folder.
 */
const outRoot = join(root, 'node_modules', '.cache', 'hookflow-bench', `bundles-${process.pid}`);
let cleanupRegistered = false;

/**
 * What if the handlers imported zod as a namespace (`import * as z from 'zod'`, as zod's docs advise for
 * bundlers) instead of `import { z } from 'zod'`? The source is rewritten in memory; nothing on disk changes.
 */
const zodNamespaceImport: Plugin = {
  name: 'zod-namespace-import',
  setup(build) {
    build.onLoad({ filter: /[\\/]functions[\\/].*\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(
        /import\s*\{\s*z\s*\}\s*from\s*'zod';/g,
        "import * as z from 'zod';",
      ),
      loader: 'ts',
    }));
  },
};

const cache = new Map<string, Promise<Bundle>>();

/**
 * One handler bundled as lib/hookflow-function.ts has NodejsFunction bundle it at `cdk synth`:
 * `esbuild --bundle <entry> --target=node22 --platform=node --format=cjs --outfile=index.js --minify --sourcemap
 * --external:@aws-sdk/*`, run from the project root. Plus a metafile, to say what the bytes are.
 */
export function bundleHandler(name: string, variant: BundleVariant = 'deployed'): Promise<Bundle> {
  const key = `${variant}/${name}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const promise = (async () => {
    if (!cleanupRegistered) {
      cleanupRegistered = true;
      process.once('exit', () => {
        rmSync(outRoot, { recursive: true, force: true });
        try {
          rmdirSync(dirname(outRoot)); // only if no other bench process is using it
        } catch {
          // not empty: another bench run's bundles are there
        }
      });
    }
    const outdir = join(outRoot, variant, name);
    mkdirSync(outdir, { recursive: true });
    const file = join(outdir, 'index.js');
    const result = await build({
      // The entry as routes.ts serves it (functions/styles/<style>/handlers/<name>.ts).
      entryPoints: [join(root, 'functions', handlers.find((h) => h.name === name)!.entry)],
      absWorkingDir: root,
      bundle: true,
      target: 'node22',
      platform: 'node',
      format: 'cjs',
      outfile: file,
      minify: true,
      sourcemap: true,
      external: ['@aws-sdk/*'],
      metafile: true,
      logLevel: 'error',
      plugins: variant === 'zod-namespace-import' ? [zodNamespaceImport] : [],
    });
    const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)!;
    return {
      name,
      variant,
      file,
      bytes: statSync(file).size,
      sourceMapBytes: statSync(`${file}.map`).size,
      metafile: result.metafile,
      externals: [...new Set(output.imports.filter((i) => i.external && !isBuiltin(i.path)).map((i) => i.path))],
    };
  })();
  cache.set(key, promise);
  return promise;
}

/** Bytes in the output per package (node_modules/<pkg>) or per hookflow folder (functions/<dir>). */
export function bytesByOrigin(bundle: Bundle): { origin: string; bytes: number }[] {
  const output = Object.values(bundle.metafile.outputs).find((o) => o.entryPoint !== undefined)!;
  const totals = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const origin = pkg ?? `hookflow ${path.split('/').slice(0, 2).join('/')}/`;
    totals.set(origin, (totals.get(origin) ?? 0) + input.bytesInOutput);
  }
  return [...totals].map(([origin, bytes]) => ({ origin, bytes })).sort((a, b) => b.bytes - a.bytes);
}
