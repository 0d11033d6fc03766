import { AssetStaging } from 'aws-cdk-lib';
import { type BundlingOptions, type ICommandHooks, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { join, posix } from 'node:path';

/**
 * How every handler is bundled, in one place: the construct (NodejsFunction at `cdk synth`), the package build
 * (scripts/build-package.ts, dist/handlers/), the local stack (local/handlers/bundle-handlers.ts, with the two
 * differences named in {@link localHandlerBuildOptions}) and the cold-start bench (bench/lib/bundles.ts) all read
 * it, so "the handler as synthesized" is one thing. Why each choice (measured: `npx tsx bench/run.ts coldstart`,
 * docs/performance.md "Cold start"):
 *
 * - **The AWS SDK bundled in**, not left to the runtime's copy: the runtime's SDK is hundreds of unbundled files
 *   resolved, read and compiled one by one at every cold start, while esbuild inlines (and tree-shakes) only what
 *   a handler uses, and the version deployed is the version tested. The runtime includes SDK v3
 *   (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html, "Runtime-included SDK versions"); the SDK
 *   team recommends bundling it when cold starts matter
 *   (https://aws.amazon.com/blogs/developer/reduce-lambda-cold-start-times-migrate-to-aws-sdk-for-javascript-v3/)
 *   and explains why the runtime's copy is slower (https://github.com/aws/aws-cdk/issues/25492).
 * - **`module` before `main`**: the SDK and Powertools publish ES modules beside CommonJS; esbuild tree-shakes
 *   only ES modules, so preferring them drops the commands and helpers a handler never calls (a third of the
 *   bytes).
 * - **CommonJS output**: Node loads one CommonJS file faster than the same code as an ES module (measured).
 * - **Minified, with a source map beside the bundle (index.js.map) but no `--enable-source-maps`**: Node then
 *   never reads the map at load time (the flag cost about 10% of the load) and a stack trace names
 *   `index.js:1:<column>`; the map deployed with the same code turns it back into file and line:
 *   `npm run symbolicate -- <index.js.map> < trace.txt` (scripts/symbolicate.ts, docs/performance.md). No
 *   sources in the map (`sourcesContent: false`): file and line need only the mappings.
 * - **The SDK's default credential chain past its first link left to the runtime's copy.** In Lambda the
 *   execution role's keys are always in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *   AWS_SESSION_TOKEN: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 *   so the chain's first link (`fromEnv`) answers and the rest (SSO, shared files, process, web identity,
 *   container and instance metadata, with the STS and SSO clients they use) never runs. The SDK already loads
 *   each of those links with `import()`, but bundled they are still read and compiled at every cold start:
 *   about 130 KB of each bundle. Left external ({@link CREDENTIAL_CHAIN_FALLBACK}), a function whose credentials
 *   come some other way still finds the rest of the chain, in the runtime's own SDK (Lambda's NODE_PATH holds
 *   /var/runtime/node_modules, same page; the runtime includes SDK v3:
 *   https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html). `import()` is compiled to `require()`
 *   (`supported: { 'dynamic-import': false }`) because Node resolves an `import()` without NODE_PATH.
 * - **The S3 body store as a second file in the same asset** ({@link BODY_STORE}): `s3-body-store.js` beside
 *   `index.js`, in the handlers that store or read large bodies. functions/adapters/aws/body-store.ts loads it
 *   at the first large body; inside the one-file bundle, V8 still read and pre-parsed the S3 client at every
 *   cold start (about 0.6x of an empty Node process). Bundled with the same options, so the S3 code deployed is
 *   the code tested, and handed the handler's own error classes (a second bundle has its own copy of every
 *   module it imports: functions/adapters/aws/s3-body-store.ts, `S3BodyStoreDeps`).
 * - **The SQS fan-out queue as a second file too** ({@link FANOUT_QUEUE}), in the handlers that send to it only when
 *   the engine is busy ({@link QUEUE_WHEN_BUSY_HANDLERS}): `sqs-fanout-queue.js`, loaded at the first busy start.
 *   In their bundle the SQS client was read, pre-parsed and run at every cold start for a path most instances
 *   never take (0.13x of an empty Node process on average, paired: docs/performance.md). Inbound keeps it in index.js: its batches use it on any
 *   request.
 */
/**
 * The links of the SDK's default credential chain (@aws-sdk/credential-provider-node's `defaultProvider`) after
 * `fromEnv`, each of which it loads with `import()`: left to the runtime's copy of the SDK (see above).
 */
export const CREDENTIAL_CHAIN_FALLBACK = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
] as const;

/**
 * SDK code hookflow's clients never run, left out of the bundle: the Smithy event-stream support. The SDK's
 * protocols load it with `import()` (compiled to a `require()` that would search NODE_PATH, as for the chain's
 * links above) only for an operation whose input or output has an event-stream member (@smithy/core's
 * HttpProtocol.loadEventStreamCapability), and no command hookflow sends has one: test/infra/handler-bundling.test.ts
 * checks every command functions/ imports against the SDK's schemas, and runs bundled clients without it.
 * Bundled, it cost more than its own bytes: esbuild evaluates a module loaded with `import()` lazily, wrapping it
 * and every module it imports (most of @smithy/core) in initialisers, and a wrapped module is kept whole, never
 * tree-shaken. Left out (esbuild's `external`, https://esbuild.github.io/api/#external), the DynamoDB and Step
 * Functions clients alone went from 220 KB to 200 KB and from about 2.8x to 2.5x the CPU of an empty Node
 * process (paired runs: docs/performance.md, "Cold start").
 */
export const SDK_CODE_NEVER_RUN = ['@smithy/core/event-streams'] as const;

/**
 * What the second file leaves external: the credential chain's links past the environment, as every handler
 * does, but not {@link SDK_CODE_NEVER_RUN}. The S3 client imports the event-stream support at its top level
 * (@aws-sdk/client-s3's S3Client.js, for S3's event-stream operations such as SelectObjectContent), so the store
 * would `require()` it at load: it is bundled here, where it costs the first large body, not every cold start.
 */
export const BODY_STORE_EXTERNALS: readonly string[] = [...CREDENTIAL_CHAIN_FALLBACK];

/**
 * What the fan-out queue's file leaves external: what every handler does (the SQS client loads the event-stream
 * support only as the other clients do, for an operation with an event-stream member, and SQS has none).
 */
export const FANOUT_QUEUE_EXTERNALS: readonly string[] = [...CREDENTIAL_CHAIN_FALLBACK, ...SDK_CODE_NEVER_RUN];

/**
 * The S3 body store, bundled on its own as a second file of the handlers that carry it ({@link carriesBodyStore}),
 * beside their index.js. Its import path is left external in every handler bundle (esbuild matches an external
 * against the import path as written, before resolving it, and keeps that path: `require("./s3-body-store")`),
 * so the handler requires the file beside it at run time (Node resolves a relative `require` from the requiring
 * file's folder, trying `.js`), while from source (tests, tsx) the same `import()` finds the TypeScript module.
 * The second file is built from {@link BODY_STORE.entry} with the handlers' own options: by the construct's
 * afterBundling hook ({@link nodejsBundlingOptions}), the package build, the local stack and the bench.
 */
export const BODY_STORE = {
  /** The module, from the project root. */
  entry: 'functions/adapters/aws/s3-body-store.ts',
  /** As functions/adapters/aws/body-store.ts imports it (the one module that does). */
  importPath: './s3-body-store',
  /** The second file, beside index.js (its source map: `s3-body-store.js.map`). */
  file: 's3-body-store.js',
  /** What it leaves external ({@link BODY_STORE_EXTERNALS}). */
  external: BODY_STORE_EXTERNALS,
} as const;

/**
 * The SQS fan-out queue, bundled on its own as a second file (as {@link BODY_STORE}) of the handlers that send to it
 * only when the engine is busy ({@link QUEUE_WHEN_BUSY_HANDLERS}): functions/adapters/aws/fanout-queue.ts'
 * `fanoutQueueWhenBusy` loads it with `import()` at the first send. Its import path is external in every handler
 * bundle, as the body store's is.
 */
export const FANOUT_QUEUE = {
  /** The module, from the project root. */
  entry: 'functions/adapters/aws/sqs-fanout-queue.ts',
  /** As functions/adapters/aws/fanout-queue.ts imports it (the one module that does). */
  importPath: './sqs-fanout-queue',
  /** The second file, beside index.js (its source map: `sqs-fanout-queue.js.map`). */
  file: 'sqs-fanout-queue.js',
  /** What it leaves external ({@link FANOUT_QUEUE_EXTERNALS}). */
  external: FANOUT_QUEUE_EXTERNALS,
} as const;

/**
 * The handlers whose requests send to the fan-out queue only when the engine is busy (queue when busy,
 * docs/deliveries.md; the worker's requeue of a busy item), and so carry {@link FANOUT_QUEUE} as a second file.
 * Not inbound, whose batches go to the queue on any request: its SQS client stays in index.js, built at load.
 * The bench's bundling (bench/lib/bundles.ts) and test/infra/handler-bundling.test.ts check this list against what
 * each bundle requires.
 */
export const QUEUE_WHEN_BUSY_HANDLERS: readonly string[] = [
  'flow-trigger',
  'client-webhook',
  'event-webhook',
  'event-intake',
  'webhook-trigger',
  'inbound-fanout',
];

/** A module a handler loads with `import()` at its first use, bundled on its own as a file beside index.js. */
export type SecondFile = typeof BODY_STORE | typeof FANOUT_QUEUE;

/** The second files a handler's asset holds beside index.js, by its spec (functions/routes.ts). */
export function secondFilesOf(spec: { readonly name: string; readonly needs: readonly string[] }): SecondFile[] {
  return [
    ...(carriesBodyStore(spec.needs) ? [BODY_STORE] : []),
    ...(QUEUE_WHEN_BUSY_HANDLERS.includes(spec.name) ? [FANOUT_QUEUE] : []),
  ];
}

/** Whether a handler with these needs (functions/routes.ts) loads the body store, and so ships the second file. */
export function carriesBodyStore(needs: readonly string[]): boolean {
  return needs.includes('bodies:write') || needs.includes('bodies:read');
}

export const HANDLER_BUNDLING = {
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  /**
   * The AWS SDK is bundled in, but for the credential chain's links past the environment and the code never run
   * (see above); the S3 body store and, where only a busy engine uses it, the fan-out queue are second files
   * ({@link BODY_STORE}, {@link FANOUT_QUEUE}).
   */
  externalModules: [
    ...CREDENTIAL_CHAIN_FALLBACK,
    ...SDK_CODE_NEVER_RUN,
    BODY_STORE.importPath,
    FANOUT_QUEUE.importPath,
  ] as string[],
  /** `import()` of an external compiled to `require()`, which honours Lambda's NODE_PATH (see above). */
  supported: { 'dynamic-import': false },
} as const;

/** The environment every handler gets from the construct besides its settings: no NODE_OPTIONS (see above). */
export const HANDLER_ENVIRONMENT = {
  POWERTOOLS_SERVICE_NAME: 'hookflow',
  // Node 22's AsyncLocalStorage on async context frames instead of async_hooks (the default from Node 24): each
  // AWS call finds its invocation's deadline through it (functions/adapters/aws/invocation-deadline.ts), at no
  // measurable CPU this way and about 9% more per SDK call without it (bench/support/async-context-cost.ts).
  // NODE_OPTIONS takes the flag (https://nodejs.org/api/cli.html#--experimental-async-context-frame). Node 22 only,
  // from 22.9 (22.7 and 22.8 threw in AsyncLocalStorage.run under it: nodejs/node#54503); Node 24 has this by
  // default and names its option otherwise (--no-async-context-frame turns it off): moving the runtime
  // (lib/hookflow-function.ts, NODEJS_22_X) means dropping the flag, which test/infra/handler-bundling.test.ts holds.
  NODE_OPTIONS: '--experimental-async-context-frame',
} as const;

/**
 * {@link HANDLER_BUNDLING} as NodejsFunction's bundling props (it runs esbuild's CLI with these flags). With
 * second files (a handler's {@link secondFilesOf}), an afterBundling command hook builds them.
 */
export function nodejsBundlingOptions(secondFiles: readonly SecondFile[] = []): BundlingOptions {
  return {
    target: HANDLER_BUNDLING.target,
    format: OutputFormat.CJS,
    minify: HANDLER_BUNDLING.minify,
    sourceMap: HANDLER_BUNDLING.sourceMap,
    sourcesContent: HANDLER_BUNDLING.sourcesContent,
    mainFields: [...HANDLER_BUNDLING.mainFields],
    // Given, not undefined: NodejsFunction's default for Node 18+ runtimes is `@aws-sdk/*` external.
    externalModules: [...HANDLER_BUNDLING.externalModules],
    // NodejsFunction has no prop for esbuild's `supported`: its CLI flag.
    esbuildArgs: Object.fromEntries(
      Object.entries(HANDLER_BUNDLING.supported).map(([feature, on]) => [`--supported:${feature}`, String(on)]),
    ),
    ...(secondFiles.length > 0 ? { commandHooks: secondFilesCommandHooks(secondFiles) } : {}),
  };
}

/**
 * NodejsFunction bundles one entry (`esbuild --bundle <entry> … --outfile=<asset>/index.js`); its command hooks
 * run shell commands before and after, in the same place ("on the host OS for local bundling", inside the
 * container for Docker bundling; "Commands are chained with &&":
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_nodejs.ICommandHooks.html). afterBundling
 * runs esbuild once more for each second file ({@link BODY_STORE}, {@link FANOUT_QUEUE}), on its entry, with the
 * very flags NodejsFunction gives the handler (aws-cdk-lib's bundling.ts, `buildEsbuildArgs`, for the props
 * {@link nodejsBundlingOptions} sets), and through the same esbuild it runs: `esbuild` in its Docker image, else
 * `npx --no-install esbuild` (the project's own, as NodejsFunction runs it for an npm project), its flags written
 * from {@link secondFileBuildOptions}. test/infra/handler-bundling.test.ts checks every file of the asset is byte
 * for byte what the bench builds.
 */
function secondFilesCommandHooks(secondFiles: readonly SecondFile[]): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir, outputDir) => {
      const docker = inputDir === AssetStaging.BUNDLING_INPUT_DIR;
      const pathJoin = docker ? posix.join : join;
      const esbuild = docker ? ['esbuild'] : ['npx', '--no-install', 'esbuild'];
      return secondFiles.map((file) => {
        // Each file's esbuild options as flags: the package build, the bench and the tests build it from the same object.
        const options = secondFileBuildOptions(file);
        const sourcemap =
          options.sourcemap === true ? ['--sourcemap'] : options.sourcemap ? [`--sourcemap=${options.sourcemap}`] : [];
        const args = [
          ...esbuild,
          '--bundle',
          pathJoin(inputDir, file.entry),
          `--target=${options.target}`,
          `--platform=${options.platform}`,
          `--format=${options.format}`,
          `--outfile=${pathJoin(outputDir, file.file)}`,
          ...(options.minify ? ['--minify'] : []),
          ...sourcemap,
          ...(options.sourcesContent === undefined ? [] : [`--sources-content=${String(options.sourcesContent)}`]),
          ...options.external.map((external) => `--external:${external}`),
          `--main-fields=${options.mainFields.join(',')}`,
          ...Object.entries(options.supported).map(([feature, on]) => `--supported:${feature}=${String(on)}`),
        ];
        return args.map(shellQuoted).join(' ');
      });
    },
  };
}

/** One word for bash (the hook's commands run in `bash -c`), quoted only when it needs to be. */
function shellQuoted(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * The esbuild options hookflow sets, typed here rather than as esbuild's `BuildOptions` so that the published
 * construct's types need no esbuild (a consumer has none); assignable to `BuildOptions`.
 */
export interface HandlerBuildOptions {
  readonly bundle: true;
  readonly platform: 'node';
  readonly target: string;
  readonly format: 'cjs';
  readonly minify: boolean;
  readonly sourcemap: boolean | 'inline';
  readonly sourcesContent?: boolean;
  readonly mainFields: string[];
  readonly external: string[];
  readonly supported: Record<string, boolean>;
}

/**
 * {@link HANDLER_BUNDLING} as esbuild's JavaScript API options, the same flags NodejsFunction passes to its CLI
 * (`--bundle --platform=node --target --format --minify --sourcemap --sources-content=false --main-fields
 * --external:… --supported:dynamic-import=false`).
 */
/** The body store's options ({@link BODY_STORE}): a handler's, with the store's own externals. */
export function bodyStoreBuildOptions(): HandlerBuildOptions {
  return secondFileBuildOptions(BODY_STORE);
}

/** A second file's options: a handler's, with the file's own externals. */
export function secondFileBuildOptions(file: SecondFile): HandlerBuildOptions {
  return { ...handlerBuildOptions(), external: [...file.external] };
}

export function handlerBuildOptions(): HandlerBuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: HANDLER_BUNDLING.target,
    format: HANDLER_BUNDLING.format,
    minify: HANDLER_BUNDLING.minify,
    sourcemap: HANDLER_BUNDLING.sourceMap,
    sourcesContent: HANDLER_BUNDLING.sourcesContent,
    mainFields: [...HANDLER_BUNDLING.mainFields],
    external: [...HANDLER_BUNDLING.externalModules],
    supported: { ...HANDLER_BUNDLING.supported },
  };
}

/**
 * The local stack's build: {@link handlerBuildOptions} with three differences. The AWS SDK stays external: all
 * handlers share one Node process there, so every bundle uses the one copy in node_modules (loaded once, and the
 * classes the bench's call counter wraps: bench/support/aws-call-counter.cjs). The body store is a second file
 * there too ({@link BODY_STORE}), one beside all the handlers' bundles; the fan-out queue ({@link FANOUT_QUEUE}) is
 * not: with the SDK external there it is a few KB, so each bundle keeps it (loaded at the first send all the
 * same), and the queue-when-busy suites run the same code. And the code is not minified, with
 * its source map inline (tsx, which runs the stack, applies it): there a readable trace matters more than load
 * time.
 */
export function localHandlerBuildOptions(): HandlerBuildOptions {
  const { sourcesContent: _deployedOnly, ...deployed } = handlerBuildOptions();
  return { ...deployed, minify: false, sourcemap: 'inline', external: ['@aws-sdk/*', BODY_STORE.importPath] };
}
