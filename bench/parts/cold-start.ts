import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { handlers as servedHandlers } from '../../functions/routes';
import { type Bundle, bundleHandler, bundleSdkClients, bytesByOrigin, handlerNames, root } from '../lib/bundles';
import { type LoadBreakdown, profileLoad } from '../lib/load-profile';
import { BODY_STORE, HANDLER_ENVIRONMENT } from '../../lib/handler-bundling';
import { log } from '../lib/log';
import { median, round } from '../lib/stats';

const run = promisify(execFile);

export const COLD_START_SETTINGS = {
  /** Pairs per handler (A: the handler's process, B: an empty one, A, B, ...) for the deployed bundle. */
  pairs: 15,
  /** Pairs per handler for issue 18's starting point, the comparison (and for the body store in the one file). */
  beforePairs: 7,
  /** The target: each handler's process at most this many times the CPU of an empty Node process (medians). */
  maxRatio: 2.5,
} as const;

/** Paired processes: medians of each side and their ratio. Wall: spawn to exit; CPU: the child's own, at exit. */
export interface PairedLoad {
  readonly pairs: number;
  readonly handlerMs: number;
  readonly emptyMs: number;
  /** median(handler wall) / median(empty wall): shown; other load on the machine moves it a lot. */
  readonly ratio: number;
  readonly handlerCpuMs: number;
  readonly emptyCpuMs: number;
  /**
   * median(handler CPU) / median(empty CPU): the target's figure. Other load on the machine barely moves it, and
   * at a Lambda function's fractional vCPU (256 MB: about a seventh of one; "at 1,769 MB, a function has the
   * equivalent of one vCPU": https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html) init's
   * wall time follows its CPU.
   */
  readonly cpuRatio: number;
}

export interface ColdStartHandler {
  readonly name: string;
  /** The deployed bundle (lib/handler-bundling.ts): information, not a target (bytes do not predict load time). */
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** The largest contributors to the minified bytes (esbuild metafile, bytesInOutput). */
  readonly origins: { origin: string; bytes: number }[];
  readonly hookflowBytes: number;
  /** The deployed bundle loaded in a fresh Node process, paired with an empty Node process. */
  readonly load: PairedLoad;
  /** Issue 18's starting point, measured the same way in the same run: SDK external, --enable-source-maps. */
  readonly before: { readonly bytes: number; readonly load: PairedLoad };
  /** The S3 body store's second file beside the bundle (lib/handler-bundling.ts BODY_STORE), where there is one. */
  readonly bodyStoreBytes?: number;
  /**
   * The fan-out queue's second file beside the bundle (lib/handler-bundling.ts FANOUT_QUEUE), in the handlers that
   * queue only when the engine is busy: required at the first busy start, so the processes here do not load it.
   */
  readonly fanoutQueueBytes?: number;
  /**
   * Where there is a second file: the same handler with the body store left in its one file (`import()`ed, as
   * before the split), measured the same way in the same run: that lever's comparison.
   */
  readonly oneFile?: { readonly bytes: number; readonly load: PairedLoad };
  /** One load of the deployed bundle under the CPU profiler: ms by origin (profiling inflates them: read the shares). */
  readonly loadProfileMs: LoadBreakdown;
}

export interface ColdStartResult {
  readonly settings: typeof COLD_START_SETTINGS;
  readonly handlers: ColdStartHandler[];
  /**
   * The floor while the SDK loads at init: a bundle of only the DynamoDB and Step Functions clients (what 10 of
   * the 12 handlers load), constructed (deployed options), measured the same way.
   */
  readonly sdkClients?: {
    readonly bytes: number;
    readonly load: PairedLoad;
    /** The same clients with the SDK code hookflow never runs bundled in (SDK_CODE_NEVER_RUN): the comparison. */
    readonly withCodeNeverRun?: { readonly bytes: number; readonly load: PairedLoad };
  };
}

/** The environment a handler reads at cold start (parseConfig), as CDK sets it, minus anything real. */
function coldStartEnv(name: string, nodeOptions: string | undefined): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    REGISTRY_TABLE: 'hookflow-registry',
    DEDUPE_TABLE: 'hookflow-dedupe',
    EXECUTION_LINK_TEMPLATE:
      'https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/{executionArn}',
    // As the construct sets it (lib/hookflow.ts): for the handlers that send to the fan-out queue.
    ...(servedHandlers.find((h) => h.name === name)?.needs.includes('queue:send') === true
      ? { FANOUT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/hookflow-fanout' }
      : {}),
    // As the construct sets it (lib/handler-bundling.ts), NODE_OPTIONS included, unless the variant names its own.
    ...HANDLER_ENVIRONMENT,
    ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
  };
}

/**
 * What both processes of a pair end with: the child's own CPU (user + system, all threads) so far. Shared with
 * bench/support/sdk-alternatives.ts, which measures its variants the same way.
 */
export const REPORT_CPU = 'const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));';

/** A handler's process: requires the bundle, checks that it exports a handler, then reports its CPU. */
export const handlerLoadScript = (bundle: string) =>
  `if (typeof require(${JSON.stringify(bundle)}).handler !== 'function') throw new Error('no handler export'); ${REPORT_CPU}`;

/**
 * One fresh Node process (this process's node: node_modules/.bin/node, v22), timed from spawn to exit by this
 * process. `bundle` undefined: the empty process, which does nothing but report its CPU, as the other does after
 * requiring the bundle and checking that it exports a handler function.
 */
async function timeProcess(bundle: string | undefined, env: NodeJS.ProcessEnv): Promise<{ ms: number; cpuMs: number }> {
  const script = bundle === undefined ? REPORT_CPU : handlerLoadScript(bundle);
  const start = process.hrtime.bigint();
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: root, env });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: Number(stdout) };
}

/** A, B, A, B, ...: the handler's process then an empty one, `pairs` times; medians and their ratios. */
async function pairedLoad(bundle: Bundle, pairs: number): Promise<PairedLoad> {
  const env = coldStartEnv(bundle.name, bundle.nodeOptions);
  const a: { ms: number; cpuMs: number }[] = [];
  const b: { ms: number; cpuMs: number }[] = [];
  for (let i = 0; i < pairs; i++) {
    a.push(await timeProcess(bundle.file, env));
    b.push(await timeProcess(undefined, env));
  }
  const handlerMs = median(a.map((s) => s.ms));
  const emptyMs = median(b.map((s) => s.ms));
  const handlerCpuMs = median(a.map((s) => s.cpuMs));
  const emptyCpuMs = median(b.map((s) => s.cpuMs));
  return {
    pairs,
    handlerMs: round(handlerMs, 1),
    emptyMs: round(emptyMs, 1),
    ratio: round(handlerMs / emptyMs, 2),
    handlerCpuMs: round(handlerCpuMs, 1),
    emptyCpuMs: round(emptyCpuMs, 1),
    cpuRatio: round(handlerCpuMs / emptyCpuMs, 2),
  };
}

/**
 * 3. Cold start: each handler bundled exactly as the construct bundles it (lib/handler-bundling.ts), loaded in
 * fresh Node processes paired with empty Node processes (A, B, A, B, ...); the figure is the ratio of the
 * medians. Issue 18's starting point is measured the same way, for comparison; bytes are shown as information.
 */
export async function runColdStart(): Promise<ColdStartResult> {
  log('coldstart', `bundling ${handlerNames.length} handlers as the construct does (lib/handler-bundling.ts)`);
  const bundles = new Map<string, { deployed: Bundle; before: Bundle }>();
  for (const name of handlerNames) {
    bundles.set(name, { deployed: await bundleHandler(name, 'deployed'), before: await bundleHandler(name, 'before') });
  }
  const handlers: ColdStartHandler[] = [];
  for (const name of handlerNames) {
    const b = bundles.get(name)!;
    log('coldstart', `${name}: ${COLD_START_SETTINGS.pairs} pairs (handler, empty Node), then the 'before' bundle`);
    const load = await pairedLoad(b.deployed, COLD_START_SETTINGS.pairs);
    const before = await pairedLoad(b.before, COLD_START_SETTINGS.beforePairs);
    const oneFileBundle = b.deployed.bodyStore === undefined ? undefined : await bundleHandler(name, 'one-file');
    const oneFile =
      oneFileBundle === undefined
        ? undefined
        : { bytes: oneFileBundle.bytes, load: await pairedLoad(oneFileBundle, COLD_START_SETTINGS.beforePairs) };
    const origins = bytesByOrigin(b.deployed);
    handlers.push({
      name,
      bytes: b.deployed.bytes,
      sourceMapBytes: b.deployed.sourceMapBytes,
      origins: origins.slice(0, 6),
      hookflowBytes: origins.filter((o) => o.origin.startsWith('hookflow ')).reduce((sum, o) => sum + o.bytes, 0),
      load,
      before: { bytes: b.before.bytes, load: before },
      ...(b.deployed.bodyStore === undefined ? {} : { bodyStoreBytes: b.deployed.bodyStore.bytes }),
      ...(b.deployed.fanoutQueue === undefined ? {} : { fanoutQueueBytes: b.deployed.fanoutQueue.bytes }),
      ...(oneFile === undefined ? {} : { oneFile }),
      loadProfileMs: await profileLoad(b.deployed.file, coldStartEnv(name, undefined)),
    });
    log(
      'coldstart',
      `${name}: ${(b.deployed.bytes / 1024).toFixed(0)} KB, ${load.handlerMs} ms vs empty ${load.emptyMs} ms: ` +
        `${load.ratio}x (CPU ${load.cpuRatio}x); before: ${before.ratio}x (CPU ${before.cpuRatio}x)` +
        (oneFile === undefined
          ? ''
          : `; ${BODY_STORE.file} ${(b.deployed.bodyStore!.bytes / 1024).toFixed(0)} KB beside it; the store in ` +
            `the one file (${(oneFile.bytes / 1024).toFixed(0)} KB): ${oneFile.load.ratio}x (CPU ${oneFile.load.cpuRatio}x)`),
    );
  }
  const sdk = await bundleSdkClients();
  log('coldstart', `the AWS SDK clients alone: ${COLD_START_SETTINGS.pairs} pairs`);
  const sdkLoad = await pairedLoad(sdk, COLD_START_SETTINGS.pairs);
  log('coldstart', `the AWS SDK clients alone: ${sdkLoad.ratio}x (CPU ${sdkLoad.cpuRatio}x)`);
  const withNeverRun = await bundleSdkClients(true);
  const withNeverRunLoad = await pairedLoad(withNeverRun, COLD_START_SETTINGS.pairs);
  log('coldstart', `the same with the SDK code never run bundled in: CPU ${withNeverRunLoad.cpuRatio}x`);
  return {
    settings: COLD_START_SETTINGS,
    handlers,
    sdkClients: {
      bytes: sdk.bytes,
      load: sdkLoad,
      withCodeNeverRun: { bytes: withNeverRun.bytes, load: withNeverRunLoad },
    },
  };
}
