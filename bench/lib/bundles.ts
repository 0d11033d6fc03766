import { build, type BuildOptions, type Metafile } from 'esbuild';
import { mkdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { handlers } from '../../functions/routes';
import { handlerBuildOptions, SDK_CODE_NEVER_RUN } from '../../lib/handler-bundling';

export const root = join(__dirname, '..', '..');

/**
 * The bundle variants the bench builds. `deployed` is what `cdk synth` ships (lib/handler-bundling.ts, the one
 * definition the construct uses); `before` is issue 18's starting point, kept as a comparison in the same run:
 * the AWS SDK left to the runtime's copy, `main` fields only, and NODE_OPTIONS=--enable-source-maps.
 * `sdk-external` is `deployed` with the AWS SDK left external, for handlers required into the bench's own process
 * (bench/lib/in-process.ts): their SDK calls must go through node_modules' SDK classes, the ones
 * bench/support/aws-call-counter.cjs wraps to count them; the SDK's code is the same version either way.
 */
export type BundleVariant = 'deployed' | 'before' | 'sdk-external';

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
}

export const handlerNames = handlers.map((spec) => spec.name);

function buildOptionsOf(variant: BundleVariant): { options: BuildOptions; nodeOptions?: string } {
  if (variant === 'deployed') return { options: handlerBuildOptions() };
  if (variant === 'sdk-external') return { options: { ...handlerBuildOptions(), external: ['@aws-sdk/*'] } };
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
    return {
      name,
      variant,
      file,
      bytes: statSync(file).size,
      sourceMapBytes: statSync(`${file}.map`).size,
      metafile: result.metafile,
      externals: [...new Set(output.imports.filter((i) => i.external && !isBuiltin(i.path)).map((i) => i.path))],
      ...(nodeOptions === undefined ? {} : { nodeOptions }),
    };
  })();
  cache.set(key, promise);
  return promise;
}

/**
 * The floor a handler cannot go under while it loads the AWS SDK at init: only the SDK clients 10 of the 12
 * handlers use, DynamoDB and Step Functions (functions/adapters/aws/clients.ts; inbound's two add SQS),
 * constructed, bundled with the deployed options and nothing else; `withCodeNeverRun`: the same with the SDK code
 * hookflow never runs (lib/handler-bundling.ts, SDK_CODE_NEVER_RUN) bundled in, for comparison.
 */
export async function bundleSdkClients(withCodeNeverRun = false): Promise<Bundle> {
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
