import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Bundle, bundleHandler, bytesByOrigin, handlerNames, root } from '../lib/bundles';
import { type LoadBreakdown, profileLoad } from '../lib/load-profile';
import { log } from '../lib/log';
import { median, round } from '../lib/stats';

const run = promisify(execFile);

export const COLD_START_SETTINGS = {
  /** Fresh processes per handler for the deployed bundle with source maps on (the target). */
  runs: 7,
  /** Fresh processes per handler for each comparison (no source maps; the zod what-if). */
  comparisonRuns: 3,
} as const;

export interface ColdStartHandler {
  readonly name: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** The largest contributors to the minified bytes (esbuild metafile, bytesInOutput). */
  readonly origins: { origin: string; bytes: number }[];
  readonly hookflowBytes: number;
  readonly externals: readonly string[];
  /** Median ms to require() the bundle in a fresh Node process, NODE_OPTIONS=--enable-source-maps as deployed. */
  readonly loadMs: number;
  readonly loadSamplesMs: number[];
  /** The same without --enable-source-maps. */
  readonly loadMsNoSourceMaps: number;
  /** Median ms for Node to reach the first line of the script (process start, before the require). */
  readonly nodeBootMs: number;
  /** One load under the CPU profiler: ms by origin (profiling inflates them: read the shares). */
  readonly loadProfileMs: LoadBreakdown;
  /** What-if: the same handler with `import * as z from 'zod'` (rewritten in memory at bundling). */
  readonly zodNamespace: { readonly bytes: number; readonly loadMs: number };
}

export interface ColdStartResult {
  readonly settings: typeof COLD_START_SETTINGS;
  readonly handlers: ColdStartHandler[];
  /** Median ms to require only the AWS SDK packages the bundles leave external, in a fresh process. */
  readonly sdkOnly: { readonly modules: readonly string[]; readonly loadMs: number; readonly samplesMs: number[] };
  /** Median ms to require @aws-sdk/client-dynamodb alone (every handler uses DynamoDB): a floor for any handler. */
  readonly dynamodbClientOnlyMs: number;
}

/** The environment a handler reads at cold start (parseConfig), as CDK sets it, minus anything real. */
function coldStartEnv(name: string, sourceMaps: boolean): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    REGISTRY_TABLE: 'hookflow-registry',
    DEDUPE_TABLE: 'hookflow-dedupe',
    EXECUTION_LINK_TEMPLATE:
      'https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/{executionArn}',
    ...(name === 'inbound'
      ? { FANOUT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/hookflow-fanout' }
      : {}),
    POWERTOOLS_SERVICE_NAME: 'hookflow',
    ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
  };
}

/** Requires `modules` in a fresh Node 22 process; returns ms for the requires and ms Node took to get there. */
async function timeLoad(modules: readonly string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; bootMs: number }> {
  const isBundle = modules.length === 1 && modules[0]!.endsWith('.js');
  const script = `
const bootMs = performance.now();
const t0 = performance.now();
let exported;
for (const m of ${JSON.stringify(modules)}) exported = require(m);
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, bootMs, handler: typeof exported?.handler }));`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: root, env });
  const parsed = JSON.parse(stdout) as { ms: number; bootMs: number; handler: string };
  if (isBundle && parsed.handler !== 'function') throw new Error(`${modules[0]} exports no handler function`);
  return parsed;
}

/**
 * 3. Cold start proxy: each handler's bundle as `cdk synth` builds it (minified bytes, and what they are),
 * and the median time to load it in a fresh Node 22 process with the environment a handler needs.
 */
export async function runColdStart(): Promise<ColdStartResult> {
  log('coldstart', `bundling ${handlerNames.length} handlers with esbuild as NodejsFunction does (+ a zod what-if)`);
  const bundles = new Map<string, { deployed: Bundle; zod: Bundle }>();
  for (const name of handlerNames) {
    bundles.set(name, {
      deployed: await bundleHandler(name, 'deployed'),
      zod: await bundleHandler(name, 'zod-namespace-import'),
    });
  }
  const samples = new Map<string, { maps: number[]; noMaps: number[]; zod: number[]; boot: number[] }>(
    handlerNames.map((name) => [name, { maps: [], noMaps: [], zod: [], boot: [] }]),
  );
  const sdkModules = [...new Set([...bundles.values()].flatMap((b) => b.deployed.externals))].sort();
  const sdkSamples: number[] = [];
  const dynamodbSamples: number[] = [];

  // Round-robin over the handlers, so that a noisy moment on the machine spreads over all of them.
  for (let i = 0; i < COLD_START_SETTINGS.runs; i++) {
    log(
      'coldstart',
      `load round ${i + 1}/${COLD_START_SETTINGS.runs}: ${handlerNames.length} handlers in fresh processes`,
    );
    sdkSamples.push((await timeLoad(sdkModules, coldStartEnv('sdk', true))).ms);
    dynamodbSamples.push((await timeLoad(['@aws-sdk/client-dynamodb'], coldStartEnv('sdk', true))).ms);
    for (const name of handlerNames) {
      const b = bundles.get(name)!;
      const s = samples.get(name)!;
      const withMaps = await timeLoad([b.deployed.file], coldStartEnv(name, true));
      s.maps.push(withMaps.ms);
      s.boot.push(withMaps.bootMs);
      if (i < COLD_START_SETTINGS.comparisonRuns) {
        s.noMaps.push((await timeLoad([b.deployed.file], coldStartEnv(name, false))).ms);
        s.zod.push((await timeLoad([b.zod.file], coldStartEnv(name, true))).ms);
      }
    }
  }

  const profiles = new Map<string, LoadBreakdown>();
  log('coldstart', 'one profiled load per handler (V8 CPU profiler, 100 µs), to say where the load time goes');
  for (const name of handlerNames) {
    profiles.set(name, await profileLoad(bundles.get(name)!.deployed.file, coldStartEnv(name, true)));
  }

  const result: ColdStartResult = {
    settings: COLD_START_SETTINGS,
    dynamodbClientOnlyMs: round(median(dynamodbSamples), 1),
    sdkOnly: {
      modules: sdkModules,
      loadMs: round(median(sdkSamples), 1),
      samplesMs: sdkSamples.map((v) => round(v, 1)),
    },
    handlers: handlerNames.map((name) => {
      const b = bundles.get(name)!;
      const s = samples.get(name)!;
      const origins = bytesByOrigin(b.deployed);
      return {
        name,
        bytes: b.deployed.bytes,
        sourceMapBytes: b.deployed.sourceMapBytes,
        origins: origins.slice(0, 6),
        hookflowBytes: origins.filter((o) => o.origin.startsWith('hookflow ')).reduce((sum, o) => sum + o.bytes, 0),
        externals: b.deployed.externals,
        loadMs: round(median(s.maps), 1),
        loadSamplesMs: s.maps.map((v) => round(v, 1)),
        loadMsNoSourceMaps: round(median(s.noMaps), 1),
        nodeBootMs: round(median(s.boot), 1),
        loadProfileMs: profiles.get(name)!,
        zodNamespace: { bytes: b.zod.bytes, loadMs: round(median(s.zod), 1) },
      };
    }),
  };
  for (const h of result.handlers) {
    log(
      'coldstart',
      `${h.name}: ${(h.bytes / 1024).toFixed(0)} KB, load ${h.loadMs} ms (no maps ${h.loadMsNoSourceMaps} ms; ` +
        `zod namespace: ${(h.zodNamespace.bytes / 1024).toFixed(0)} KB, ${h.zodNamespace.loadMs} ms)`,
    );
  }
  log('coldstart', `AWS SDK alone (${sdkModules.join(', ')}): ${result.sdkOnly.loadMs} ms`);
  return result;
}
