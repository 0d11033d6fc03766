import { build, type BuildOptions, type Metafile } from 'esbuild';
import { mkdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { handlers } from '../../functions/routes';
import {
  BODY_STORE,
  FANOUT_QUEUE,
  handlerBuildOptions,
  SDK_CODE_NEVER_RUN,
  type SecondFile,
  secondFileBuildOptions,
  secondFilesOf,
} from '../../lib/handler-bundling';

export const root = join(__dirname, '..', '..');

/**
 * The bundle variants the bench builds. `deployed` is what `cdk synth` ships (lib/handler-bundling.ts, the one
 * definition the construct uses); `before` is issue 18's starting point, kept as a comparison in the same run:
 * the AWS SDK left to the runtime's copy, `main` fields only, and NODE_OPTIONS=--enable-source-maps (and the S3
 * body store in the one file, as then). `deployed` and `sdk-external` carry the body store as a second file beside
 * index.js where the construct puts one (lib/handler-bundling.ts `BODY_STORE`). `sdk-external` is `deployed` with the AWS SDK left external, for handlers required into the bench's own process
 * (bench/lib/in-process.ts): their SDK calls must go through node_modules' SDK classes, the ones
 * bench/support/aws-call-counter.cjs wraps to count them; the SDK's code is the same version either way.
 * `one-file` is `deployed` with the body store left in the one file (loaded with `import()`, as before it became a
 * second file): the comparison for that lever, in the same run.
 */
export type BundleVariant = 'deployed' | 'before' | 'sdk-external' | 'one-file';

export interface Bundle {
  readonly name: string;
  readonly variant: BundleVariant;
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  readonly metafile: Metafile;
  /** The packages the bundle leaves to the runtime (the `before` variant: the AWS SDK), as it requires them. */
  readonly externals: readonly string[];
  /** NODE_OPTIONS the function runs with (the `before` variant: --enable-source-maps). */
  readonly nodeOptions?: string;
  /** The S3 body store's second file beside `file` (lib/handler-bundling.ts `BODY_STORE`), where there is one. */
  readonly bodyStore?: SecondFileBundle;
  /** The fan-out queue's second file beside `file` (lib/handler-bundling.ts `FANOUT_QUEUE`), where there is one. */
  readonly fanoutQueue?: SecondFileBundle;
}

export interface SecondFileBundle {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

export const handlerNames = handlers.map((spec) => spec.name);

function buildOptionsOf(variant: BundleVariant): { options: BuildOptions; nodeOptions?: string } {
  if (variant === 'deployed') return { options: handlerBuildOptions() };
  if (variant === 'one-file') {
    const { external, ...deployed } = handlerBuildOptions();
    return { options: { ...deployed, external: external.filter((path) => path !== BODY_STORE.importPath) } };
  }
  if (variant === 'sdk-external') {
    return {
      options: { ...handlerBuildOptions(), external: ['@aws-sdk/*', BODY_STORE.importPath, FANOUT_QUEUE.importPath] },
    };
  }
  const { mainFields: _moduleFirst, ...deployed } = handlerBuildOptions();
  return { options: { ...deployed, external: ['@aws-sdk/*'] }, nodeOptions: '--enable-source-maps' };
}

/**
 * Bundles go under node_modules/.cache (as the local stack's do) so that an external AWS SDK (the `before`
 * variant) resolves from the project's node_modules, as the Lambda runtime resolves its own copy; each bench
 * process gets its own folder.
 */
const outRoot = join(root, 'node_modules', '.cache', 'hookflow-bench', `bundles-${process.pid}`);
let cleanupRegistered = false;

/** Removes this process's bundles when it exits (every function that writes under outRoot calls it first). */
function removeBundlesAtExit(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  removeAtExit(outRoot);
}

/**
 * Removes a bench process's own folder under node_modules/.cache when the process exits, and the folder above it
 * if that is then empty (no other bench process is using it).
 */
export function removeAtExit(folder: string): void {
  process.once('exit', () => {
    rmSync(folder, { recursive: true, force: true });
    try {
      rmdirSync(dirname(folder));
    } catch {
      // not empty: another bench run's files are there
    }
  });
}

const cache = new Map<string, Promise<Bundle>>();

/**
 * One handler bundled as lib/hookflow-function.ts has NodejsFunction bundle it at `cdk synth`: the options of
 * lib/handler-bundling.ts (`esbuild --bundle <entry> --platform=node --target=node22 --format=cjs --minify
 * --sourcemap --sources-content=false --main-fields=module,main --external:<the credential chain's later links>
 * --supported:dynamic-import=false --outfile=index.js`; the externals also hold the SDK code never run), run
 * from the project root,
 * plus a metafile (which changes nothing in the output) to say what the bytes are.
 */
export function bundleHandler(name: string, variant: BundleVariant = 'deployed'): Promise<Bundle> {
  const key = `${variant}/${name}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const spec = handlers.find((h) => h.name === name);
  if (spec === undefined) throw new Error(`no handler named ${name}`);
  const promise = (async () => {
    removeBundlesAtExit();
    const outdir = join(outRoot, variant, name);
    mkdirSync(outdir, { recursive: true });
    const file = join(outdir, 'index.js');
    const { options, nodeOptions } = buildOptionsOf(variant);
    const result = await build({
      // The entry as routes.ts serves it (functions/styles/<style>/handlers/<name>.ts).
      ...options,
      entryPoints: [join(root, 'functions', spec.entry)],
      absWorkingDir: root,
      outfile: file,
      metafile: true,
      logLevel: 'error',
    });
    const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)!;
    const externals = [...new Set(output.imports.filter((i) => i.external && !isBuiltin(i.path)).map((i) => i.path))];
    // The construct ships the second files by the handler's spec: a bundle that requires one must have it, and
    // one that ships it must require it. The one-file variant keeps the body store in the bundle.
    const carried = secondFilesOf(spec).filter(
      (second) => variant !== 'before' && !(variant === 'one-file' && second === BODY_STORE),
    );
    for (const second of [BODY_STORE, FANOUT_QUEUE]) {
      const requires = externals.includes(second.importPath);
      if (requires !== carried.includes(second)) {
        throw new Error(
          `${name} (${variant}): the bundle ${requires ? 'requires' : 'does not require'} ${second.importPath}, ` +
            'against its spec (lib/handler-bundling.ts secondFilesOf, which decides where the second files go)',
        );
      }
    }
    const bodyStore = carried.includes(BODY_STORE) ? await bundleSecondFile(outdir, BODY_STORE, options) : undefined;
    const fanoutQueue = carried.includes(FANOUT_QUEUE)
      ? await bundleSecondFile(outdir, FANOUT_QUEUE, options)
      : undefined;
    return {
      name,
      variant,
      file,
      bytes: statSync(file).size,
      sourceMapBytes: statSync(`${file}.map`).size,
      metafile: result.metafile,
      externals: externals.filter((path) => path !== BODY_STORE.importPath && path !== FANOUT_QUEUE.importPath),
      ...(nodeOptions === undefined ? {} : { nodeOptions }),
      ...(bodyStore === undefined ? {} : { bodyStore }),
      ...(fanoutQueue === undefined ? {} : { fanoutQueue }),
    };
  })();
  cache.set(key, promise);
  return promise;
}

/**
 * A second file, beside a handler's index.js in `outdir`, built with the handler's options and the file's own
 * externals (lib/handler-bundling.ts secondFileBuildOptions: the store bundles the SDK code the handlers leave
 * out, its S3 client imports it); with the SDK external where the handler leaves it so (`sdk-external`).
 */
async function bundleSecondFile(outdir: string, second: SecondFile, options: BuildOptions): Promise<SecondFileBundle> {
  const file = join(outdir, second.file);
  const sdkExternal = (options.external ?? []).includes('@aws-sdk/*');
  const { external } = secondFileBuildOptions(second);
  const result = await build({
    ...options,
    external: sdkExternal ? [...external, '@aws-sdk/*'] : external,
    entryPoints: [join(root, second.entry)],
    absWorkingDir: root,
    outfile: file,
    metafile: true,
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size, metafile: result.metafile };
}

/**
 * The floor a handler cannot go under while it loads the AWS SDK at init: only the SDK clients 10 of the 12
 * handlers use, DynamoDB and Step Functions (functions/adapters/aws/clients.ts; inbound adds SQS),
 * constructed, bundled with the deployed options and nothing else; `withCodeNeverRun`: the same with the SDK code
 * hookflow never runs (lib/handler-bundling.ts, SDK_CODE_NEVER_RUN) bundled in, for comparison.
 */
export async function bundleSdkClients(withCodeNeverRun = false): Promise<Bundle> {
  removeBundlesAtExit();
  const outdir = join(outRoot, withCodeNeverRun ? 'sdk-clients-with-code-never-run' : 'sdk-clients');
  mkdirSync(outdir, { recursive: true });
  const file = join(outdir, 'index.js');
  const options = handlerBuildOptions();
  const neverRun: readonly string[] = SDK_CODE_NEVER_RUN;
  const result = await build({
    ...options,
    // The comparison: the SDK code hookflow never runs bundled in, as before lib/handler-bundling.ts left it out.
    ...(withCodeNeverRun ? { external: options.external.filter((e) => !neverRun.includes(e)) } : {}),
    stdin: {
      contents: [
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        "import { SFNClient } from '@aws-sdk/client-sfn';",
        'const clients = [new DynamoDBClient({}), new SFNClient({})];',
        'export const handler = async () => clients.length;',
      ].join('\n'),
      resolveDir: root,
      sourcefile: 'sdk-clients.ts',
      loader: 'ts',
    },
    absWorkingDir: root,
    outfile: file,
    metafile: true,
    logLevel: 'error',
  });
  return {
    name: 'aws-sdk-clients',
    variant: 'deployed',
    file,
    bytes: statSync(file).size,
    sourceMapBytes: statSync(`${file}.map`).size,
    metafile: result.metafile,
    externals: [],
  };
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
