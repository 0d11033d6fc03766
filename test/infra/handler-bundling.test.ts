import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type BuildOptions, build } from 'esbuild';
import { execFile, execFileSync } from 'node:child_process';
import { NormalizedSchema } from '@smithy/core/schema';
import dynalite from 'dynalite';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { handlers } from '../../functions/routes';
import {
  BODY_STORE,
  bodyStoreBuildOptions,
  CREDENTIAL_CHAIN_FALLBACK,
  carriesBodyStore,
  FANOUT_QUEUE,
  HANDLER_ENVIRONMENT,
  handlerBuildOptions,
  QUEUE_WHEN_BUSY_HANDLERS,
  SDK_CODE_NEVER_RUN,
  secondFileBuildOptions,
  secondFilesOf,
} from '../../lib/handler-bundling';
import { HookflowFunction } from '../../lib/hookflow-function';

const root = join(__dirname, '..', '..');

// esbuild builds and child processes on a shared machine: seconds each.
jest.setTimeout(120_000);

/** Source text bundled as a handler is (the deployed options), into `outfile`. */
const buildSource = (contents: string, outfile: string) =>
  build({
    ...handlerBuildOptions(),
    stdin: { contents, resolveDir: root, loader: 'ts' },
    absWorkingDir: root,
    outfile,
    logLevel: 'error',
  });

/** The body store's second file (lib/handler-bundling.ts BODY_STORE), built as the bench and the package build do. */
const buildBodyStore = (outfile: string, more: Pick<BuildOptions, 'write' | 'metafile'> = {}) =>
  build({
    ...bodyStoreBuildOptions(),
    entryPoints: [join(root, BODY_STORE.entry)],
    absWorkingDir: root,
    outfile,
    logLevel: 'error',
    ...more,
  });

/** The fan-out queue's second file (lib/handler-bundling.ts FANOUT_QUEUE), built as the bench and the package build do. */
const buildFanoutQueue = (outfile: string, more: Pick<BuildOptions, 'write' | 'metafile'> = {}) =>
  build({
    ...secondFileBuildOptions(FANOUT_QUEUE),
    entryPoints: [join(root, FANOUT_QUEUE.entry)],
    absWorkingDir: root,
    outfile,
    logLevel: 'error',
    ...more,
  });

/** A handler's index.js built with the deployed options (not written, not minified): what it requires. */
async function requiredExternals(entry: string, name: string): Promise<string[]> {
  const result = await build({
    ...handlerBuildOptions(),
    entryPoints: [join(root, 'functions', entry)],
    absWorkingDir: root,
    outfile: join(tmpdir(), 'hookflow-requires', name, 'index.js'),
    write: false,
    metafile: true,
    minify: false,
    logLevel: 'error',
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)!;
  return output.imports.filter((i) => i.external).map((i) => i.path);
}

/** Region and made-up keys for built code run against a local server standing in for AWS. */
const LOCAL_AWS = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' } as const;

/** Writes `lines` as `task/<name>`, runs it in a fresh Node process with `env` (and PATH), and parses its output. */
function runInTask(task: string, name: string, lines: readonly string[], env: NodeJS.ProcessEnv): unknown {
  writeFileSync(join(task, name), lines.join('\n'));
  const output = execFileSync(process.execPath, [join(task, name)], {
    cwd: task,
    env: { PATH: process.env.PATH, ...env },
  });
  return JSON.parse(output.toString());
}

/**
 * One handler synthesized with bundling on (the other infra tests skip esbuild): the code the construct ships is
 * the code the bench measures and the package build prebuilds, because all three take their options from
 * lib/handler-bundling.ts.
 */
describe('a handler as synthesized', () => {
  const spec = handlers.find((h) => h.name === 'flow-trigger')!;
  const outdir = mkdtempSync(join(tmpdir(), 'hookflow-bundling-'));
  let assetDir: string;
  let template: Template;

  beforeAll(() => {
    // Arrange
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundling');
    new HookflowFunction(stack, 'FlowTrigger', {
      spec,
      environment: {},
      logRetention: RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Act
    const assembly = app.synth();
    template = Template.fromStack(stack);
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0]!;
    // The code asset is staged as asset.<hash>/ and uploaded as <hash>.zip.
    const hash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
    assetDir = join(assembly.directory, `asset.${hash}`);
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles the AWS SDK in and runs without --enable-source-maps, its source map beside it', () => {
    // Assert
    const code = readFileSync(join(assetDir, 'index.js'), 'utf8');
    // (The SDK's own error text mentions `require("@aws-sdk/signature-v4-crt")`: look for the clients only.)
    const requiredClients = code.match(/require\(["']@aws-sdk\/client-[a-z0-9-]+["']\)/g) ?? [];
    expect(requiredClients).toEqual([]);
    expect(code).toContain('DynamoDB_20120810'); // the DynamoDB client's service target: bundled in
    expect(existsSync(join(assetDir, 'index.js.map'))).toBe(true);
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0]!;
    // Node's flag for AsyncLocalStorage on context frames alone (functions/adapters/aws/invocation-deadline.ts).
    expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--experimental-async-context-frame');
  });

  it('sets the async-context flag only on the Node 22 runtime it is made for', () => {
    // Assert: Node 22 (from 22.9) takes the flag; Node 24 has its implementation by default and names the option
    // otherwise, so a runtime upgrade must drop it (lib/handler-bundling.ts, HANDLER_ENVIRONMENT) and this test.
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0]!;
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(HANDLER_ENVIRONMENT.NODE_OPTIONS).toBe('--experimental-async-context-frame');
  });

  it('is byte for byte what esbuild builds from lib/handler-bundling.ts (the bench, the package build), every file', async () => {
    // Arrange
    const benchDir = mkdtempSync(join(tmpdir(), 'hookflow-bundling-api-'));
    try {
      // Act
      await build({
        ...handlerBuildOptions(),
        entryPoints: [join(root, 'functions', spec.entry)],
        absWorkingDir: root,
        outfile: join(benchDir, 'index.js'),
        logLevel: 'error',
      });
      await buildBodyStore(join(benchDir, BODY_STORE.file));
      await buildFanoutQueue(join(benchDir, FANOUT_QUEUE.file));
      // Assert
      // Compared as booleans: a failure would otherwise print two half-megabyte bundles.
      const same = (file: string) =>
        readFileSync(join(benchDir, file), 'utf8') === readFileSync(join(assetDir, file), 'utf8');
      expect(secondFilesOf(spec)).toEqual([BODY_STORE, FANOUT_QUEUE]);
      expect(same('index.js')).toBe(true);
      expect(same(BODY_STORE.file)).toBe(true);
      expect(same(FANOUT_QUEUE.file)).toBe(true);
      // (The maps name the sources relative to where they were written: not compared.)
      expect(existsSync(join(assetDir, `${BODY_STORE.file}.map`))).toBe(true);
      expect(existsSync(join(assetDir, `${FANOUT_QUEUE.file}.map`))).toBe(true);
      expect(
        readdirSync(assetDir)
          .filter((file) => file.endsWith('.js'))
          .sort(),
      ).toEqual(['index.js', BODY_STORE.file, FANOUT_QUEUE.file].sort());
    } finally {
      rmSync(benchDir, { recursive: true, force: true });
    }
  });

  it('keeps the S3 client out of index.js: the body store is the second file beside it, required from there', () => {
    // Assert
    const code = readFileSync(join(assetDir, 'index.js'), 'utf8');
    const store = readFileSync(join(assetDir, BODY_STORE.file), 'utf8');
    expect(code).toContain(`require("${BODY_STORE.importPath}")`);
    // The S3 client names itself in its bundle (its commands' `.n("S3Client", …)`), not in index.js.
    expect(store).toContain('"S3Client"');
    expect(code).not.toContain('"S3Client"');
  });

  it('keeps the SQS client out of index.js: the fan-out queue is the second file beside it, required from there', () => {
    // Assert
    const code = readFileSync(join(assetDir, 'index.js'), 'utf8');
    const queue = readFileSync(join(assetDir, FANOUT_QUEUE.file), 'utf8');
    expect(code).toContain(`require("${FANOUT_QUEUE.importPath}")`);
    // SQS's JSON protocol names the service in every request's X-Amz-Target (`AmazonSQS.SendMessage`).
    expect(queue).toContain('AmazonSQS');
    expect(code).not.toContain('AmazonSQS');
  });

  it('leaves the credential chain past the environment to the runtime, required (not imported) so NODE_PATH finds it', () => {
    // Assert
    const code = readFileSync(join(assetDir, 'index.js'), 'utf8');
    for (const link of CREDENTIAL_CHAIN_FALLBACK) {
      expect(code).toContain(`require("${link}")`);
      expect(code).not.toContain(`import("${link}")`);
    }
  });

  it('leaves the SDK code hookflow never runs out, required only where it would run', () => {
    // Assert
    const code = readFileSync(join(assetDir, 'index.js'), 'utf8');
    for (const module of SDK_CODE_NEVER_RUN) {
      expect(code).toContain(`require("${module}")`);
      expect(code).not.toContain(`import("${module}")`);
    }
  });
});

/** Every `…Command` functions/ imports from an AWS SDK client package, as [package, command name]. */
function commandsHookflowSends(): [string, string][] {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
    });
  const commands = new Map<string, [string, string]>();
  for (const file of files(join(root, 'functions'))) {
    for (const [, names, pkg] of readFileSync(file, 'utf8').matchAll(
      /import \{([^}]*)\} from '(@aws-sdk\/client-[a-z0-9-]+)'/g,
    )) {
      for (const name of names!.split(',').map((n) => n.trim().replace(/^type /, ''))) {
        if (name.endsWith('Command')) commands.set(`${pkg}/${name}`, [pkg!, name]);
      }
    }
  }
  return [...commands.values()];
}

/** The operations of a client package whose input or output has an event-stream member. */
function eventStreamOperations(pkg: string): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package named by the caller
  const exported = require(pkg) as Record<string, unknown>;
  return Object.entries(exported)
    .filter(([name, schema]) => name.endsWith('$') && Array.isArray(schema) && schema[0] === 9) // operation schemas
    .filter(([, schema]) => {
      const [, , , , input, output] = schema as unknown[];
      return [input, output].some((s) => NormalizedSchema.of(s as never).getEventStreamMember() !== '');
    })
    .map(([name]) => name.replace(/\$$/, ''));
}

/**
 * The guarantee behind SDK_CODE_NEVER_RUN: the SDK loads its event-stream support only for an operation with an
 * event-stream member (@smithy/core's HttpProtocol.loadEventStreamCapability, from RpcProtocol and
 * HttpBindingProtocol), and no command hookflow sends has one.
 */
describe('the SDK code left out of the bundles', () => {
  it('is reached by no command hookflow sends: none has an event-stream member', () => {
    // Arrange
    const commands = commandsHookflowSends();
    // Act
    const streaming = commands.filter(([pkg, name]) =>
      eventStreamOperations(pkg).includes(name.replace(/Command$/, '')),
    );
    // Assert
    expect(commands.map(([, name]) => name)).toEqual(expect.arrayContaining(['PutItemCommand', 'PutObjectCommand']));
    expect(streaming).toEqual([]);
    // The check does find one where there is one (S3's SelectObjectContent, which hookflow never sends).
    expect(eventStreamOperations('@aws-sdk/client-s3')).toEqual(['SelectObjectContent']);
  });

  it('is not needed to load the clients or to make their calls, answers and errors included', async () => {
    // Arrange: DynamoDB (dynalite) and a Step Functions endpoint answering StartExecution, then refusing it.
    const task = mkdtempSync(join(tmpdir(), 'hookflow-task-'));
    const dynamodb = dynalite({ createTableMs: 0 });
    let starts = 0;
    const sfn = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        starts += 1;
        res.writeHead(starts === 1 ? 200 : 400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          starts === 1
            ? JSON.stringify({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:run-1', startDate: 1 })
            : JSON.stringify({ __type: 'ExecutionAlreadyExists', message: 'already started' }),
        );
      });
    });
    try {
      await new Promise<void>((resolve) => dynamodb.listen(0, '127.0.0.1', resolve));
      await new Promise<void>((resolve) => sfn.listen(0, '127.0.0.1', resolve));
      const port = (server: { address(): unknown }) => (server.address() as AddressInfo).port;
      // Bundled with the deployed options into a folder outside the project, run without NODE_PATH: a require of
      // anything left out would fail.
      await build({
        ...handlerBuildOptions(),
        stdin: {
          contents: [
            "import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';",
            "import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';",
            "import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';",
            'const ddb = new DynamoDBClient({});',
            'const sfn = new SFNClient({ endpoint: process.env.SFN_ENDPOINT });',
            "const TableName = 'bundled';",
            "const Key = { pk: { S: 'a' } };",
            "const ConditionExpression = 'attribute_not_exists(pk)';",
            'const put = new PutItemCommand({ TableName, Item: Key, ConditionExpression });',
            "const machine = 'arn:aws:states:us-east-1:000000000000:stateMachine:m';",
            "const start = new StartExecutionCommand({ stateMachineArn: machine, name: 'run-1' });",
            'const failure = (p) => p.then(() => "none", (e) => e.name);',
            'export const run = async () => {',
            '  await ddb.send(new CreateTableCommand({',
            "    TableName, BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],",
            "    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],",
            '  }));',
            '  await ddb.send(put);',
            '  const again = await failure(ddb.send(put));',
            '  const item = (await ddb.send(new GetItemCommand({ TableName, Key }))).Item;',
            '  const started = (await sfn.send(start)).executionArn;',
            '  const restart = await failure(sfn.send(start));',
            '  return { again, item, started, restart };',
            '};',
          ].join('\n'),
          resolveDir: root,
          loader: 'js',
        },
        outfile: join(task, 'index.js'),
        logLevel: 'error',
      });
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: task,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port(dynamodb)}`,
        SFN_ENDPOINT: `http://127.0.0.1:${port(sfn)}`,
      };
      // Act
      const script = "require('./index.js').run().then((r) => process.stdout.write(JSON.stringify(r)))";
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: task, env });
      // Assert
      expect(JSON.parse(stdout)).toEqual({
        again: 'ConditionalCheckFailedException',
        item: { pk: { S: 'a' } },
        started: 'arn:aws:states:us-east-1:000000000000:execution:m:run-1',
        restart: 'ExecutionAlreadyExists',
      });
    } finally {
      sfn.close();
      await new Promise<void>((resolve) => dynamodb.close(() => resolve()));
      rmSync(task, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * The body store as a second bundle (lib/handler-bundling.ts BODY_STORE) has its own copy of every module it
 * imports. An error class of its own would fail the handler's `instanceof DomainError`, and S3 down would be
 * answered 500 instead of 503: so it imports no hookflow module, and the handler hands it its busy error.
 */
describe('the S3 body store as a second file', () => {
  it('holds no hookflow module but its own (every other one is handed in from the handler bundle)', async () => {
    // Act
    const result = await buildBodyStore(join(tmpdir(), 'hookflow-store-meta', BODY_STORE.file), {
      write: false,
      metafile: true,
    });
    // Assert
    const output = Object.values(result.metafile!.outputs).find((o) => o.entryPoint !== undefined)!;
    const hookflow = Object.keys(output.inputs).filter((path) => !path.includes('node_modules/'));
    expect(hookflow).toEqual([BODY_STORE.entry]);
  });

  it('is required by exactly the handlers that ship it (their needs: bodies:write or bodies:read)', async () => {
    // Act
    const requiring = await Promise.all(
      handlers.map(async (handler) =>
        (await requiredExternals(handler.entry, handler.name)).includes(BODY_STORE.importPath),
      ),
    );
    // Assert
    expect(requiring).toEqual(handlers.map((handler) => carriesBodyStore(handler.needs)));
    expect(requiring.filter(Boolean)).toHaveLength(8);
  });

  it('answers 503 with Retry-After when S3 is busy, through the built files (index.js requiring the store beside it)', async () => {
    // Arrange: the handler side (body-store.ts and the error-to-HTTP mapping, as http-handler.ts applies it) built
    // as a handler is, with the second file built as the construct ships it, side by side in a folder of their own.
    const task = mkdtempSync(join(tmpdir(), 'hookflow-split-'));
    try {
      await buildSource(
        [
          "import { lazyS3BodyStore } from './functions/adapters/aws/body-store';",
          "import { DomainError } from './functions/core/outcomes';",
          "import { httpAnswerOf } from './functions/http/outcome-to-http';",
          'export async function storeOneBody() {',
          "  try { await lazyS3BodyStore('hookflow-bodies').put('dlv_01KBX0000000000000000000AB', Buffer.alloc(300 * 1024)); return { statusCode: 201 }; }",
          '  catch (error) { return error instanceof DomainError ? httpAnswerOf(error) : { statusCode: 500, body: String(error) }; }',
          '}',
        ].join('\n'),
        join(task, 'index.js'),
      );
      await buildBodyStore(join(task, BODY_STORE.file));
      // S3 answering as it does when it sheds load: 503 SlowDown
      // (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList).
      // Act
      const out = runInTask(
        task,
        'store.js',
        [
          'let calls = 0;',
          "const server = require('node:http').createServer((req, res) => { calls++; req.resume(); req.on('end', () => {",
          "  res.writeHead(503, { 'content-type': 'application/xml' });",
          "  res.end('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'); }); });",
          "server.listen(0, '127.0.0.1', async () => {",
          '  process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${server.address().port}`;',
          "  const answer = await require('./index.js').storeOneBody();",
          "  const loaded = Object.keys(require.cache).map((f) => require('node:path').basename(f));",
          '  process.stdout.write(JSON.stringify({ answer, calls, loaded }));',
          '  server.close();',
          '});',
        ],
        { ...LOCAL_AWS, AWS_MAX_ATTEMPTS: '1' },
      ) as { answer: { statusCode: number; headers?: Record<string, string> }; calls: number; loaded: string[] };
      // Assert
      expect(out.loaded).toEqual(expect.arrayContaining(['index.js', BODY_STORE.file]));
      expect(out.calls).toBe(1);
      expect(out.answer.statusCode).toBe(503);
      expect(out.answer.headers?.['retry-after']).toMatch(/^\d+$/);
    } finally {
      rmSync(task, { recursive: true, force: true });
    }
  });
});

/**
 * The fan-out queue as a second bundle (lib/handler-bundling.ts FANOUT_QUEUE), in the handlers that send to it
 * only when the engine is busy: their index.js holds no SQS client, and the file beside it is loaded at the first
 * send. It has its own copy of every module it imports: none may be a class the handler checks with `instanceof`.
 */
describe('the fan-out queue as a second file', () => {
  it('holds no hookflow module but the queue itself and the crash points it reaches (the SQS client comes in as deps)', async () => {
    // Act
    const result = await buildFanoutQueue(join(tmpdir(), 'hookflow-queue-meta', FANOUT_QUEUE.file), {
      write: false,
      metafile: true,
    });
    // Assert
    const output = Object.values(result.metafile!.outputs).find((o) => o.entryPoint !== undefined)!;
    const hookflow = Object.keys(output.inputs).filter((path) => !path.includes('node_modules/'));
    expect(hookflow.sort()).toEqual(
      [FANOUT_QUEUE.entry, 'functions/adapters/aws/sqs-work-queue.ts', 'functions/core/faults/crash-point.ts'].sort(),
    );
  });

  it('is required by exactly the handlers that queue only when busy; inbound, which queues any batch, keeps SQS in index.js', async () => {
    // Act
    const requires = await Promise.all(handlers.map((handler) => requiredExternals(handler.entry, handler.name)));
    // Assert
    const requiring = handlers.filter((_, i) => requires[i]!.includes(FANOUT_QUEUE.importPath)).map((h) => h.name);
    expect([...requiring].sort()).toEqual([...QUEUE_WHEN_BUSY_HANDLERS].sort());
    expect(handlers.filter((h) => secondFilesOf(h).includes(FANOUT_QUEUE)).map((h) => h.name)).toEqual(requiring);
    // Every handler that may send to the queue either carries the file or is inbound, whose bundle has the client.
    const senders = handlers.filter((h) => h.needs.includes('queue:send')).map((h) => h.name);
    expect(senders.sort()).toEqual([...QUEUE_WHEN_BUSY_HANDLERS, 'inbound'].sort());
  });

  it('is loaded at the first send, not with index.js, and sends through the built files (index.js requiring it)', async () => {
    // Arrange: fanout-queue.ts built as a handler is, with the second file built as the construct ships it.
    const task = mkdtempSync(join(tmpdir(), 'hookflow-queue-split-'));
    try {
      await buildSource(
        [
          "import { fanoutQueueWhenBusy } from './functions/adapters/aws/fanout-queue';",
          'export const queue = fanoutQueueWhenBusy({ FANOUT_QUEUE_URL: process.env.FANOUT_QUEUE_URL });',
        ].join('\n'),
        join(task, 'index.js'),
      );
      await buildFanoutQueue(join(task, FANOUT_QUEUE.file));
      // SQS answering SendMessage (JSON protocol; the client checks MD5OfMessageBody against what it sent:
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
      const queueUrl = 'https://sqs.us-east-1.amazonaws.com/000000000000/hookflow-fanout';
      // Act
      const out = runInTask(
        task,
        'send.js',
        [
          'const seen = [];',
          "const server = require('node:http').createServer((req, res) => { let body = ''; req.on('data', (c) => (body += c)); req.on('end', () => {",
          "  const input = JSON.parse(body); seen.push({ target: req.headers['x-amz-target'], delay: input.DelaySeconds, url: input.QueueUrl });",
          "  const md5 = require('node:crypto').createHash('md5').update(input.MessageBody).digest('hex');",
          "  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });",
          "  res.end(JSON.stringify({ MessageId: 'm-1', MD5OfMessageBody: md5 })); }); });",
          "server.listen(0, '127.0.0.1', async () => {",
          '  process.env.AWS_ENDPOINT_URL_SQS = `http://127.0.0.1:${server.address().port}`;',
          "  const loaded = () => Object.keys(require.cache).map((f) => require('node:path').basename(f));",
          "  const { queue } = require('./index.js');",
          '  const atLoad = loaded();',
          "  await queue.sendDelayed({ id: 'a', body: '{\"v\":1}' }, 7);",
          '  process.stdout.write(JSON.stringify({ atLoad, afterSend: loaded(), seen }));',
          '  server.close();',
          '});',
        ],
        { ...LOCAL_AWS, FANOUT_QUEUE_URL: queueUrl },
      ) as { atLoad: string[]; afterSend: string[]; seen: { target: string; delay: number; url: string }[] };
      // Assert
      expect(out.atLoad).toContain('index.js');
      expect(out.atLoad).not.toContain(FANOUT_QUEUE.file);
      expect(out.afterSend).toContain(FANOUT_QUEUE.file);
      expect(out.seen).toEqual([{ target: 'AmazonSQS.SendMessage', delay: 7, url: queueUrl }]);
    } finally {
      rmSync(task, { recursive: true, force: true });
    }
  });
});

/**
 * The guarantee behind leaving the credential chain's later links external: a function whose credentials are not
 * in its environment still gets them, from the SDK found through NODE_PATH (in Lambda, the runtime's copy in
 * /var/runtime/node_modules; here, the project's node_modules), never a load failure.
 */
describe('an SDK client bundled as a handler is', () => {
  it('still finds credentials that are not in the environment (container credentials, through NODE_PATH)', async () => {
    // Arrange: a client bundled with the deployed options, alone in a folder outside the project (as /var/task).
    const task = mkdtempSync(join(tmpdir(), 'hookflow-task-'));
    try {
      await buildSource(
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; export const client = new DynamoDBClient({ region: 'us-east-1' });",
        join(task, 'index.js'),
      );
      // A container credentials endpoint (the chain's remote link), then the client asked for its credentials.
      writeFileSync(
        join(task, 'resolve.js'),
        [
          "const server = require('node:http').createServer((req, res) => res.end(JSON.stringify({",
          "  AccessKeyId: 'AKIDFROMCONTAINER', SecretAccessKey: 'secret', Token: 'token',",
          '  Expiration: new Date(Date.now() + 3600e3).toISOString() })));',
          "server.listen(0, '127.0.0.1', async () => {",
          '  process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${server.address().port}/creds`;',
          "  const { client } = require('./index.js');",
          '  try { process.stdout.write((await client.config.credentials()).accessKeyId); }',
          '  catch (error) { process.stdout.write(`failed: ${error.message}`); }',
          '  server.close();',
          '});',
        ].join('\n'),
      );
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NODE_PATH: join(root, 'node_modules'), HOME: task };
      // Act
      const resolved = execFileSync(process.execPath, [join(task, 'resolve.js')], { cwd: task, env }).toString();
      // Assert
      expect(resolved).toBe('AKIDFROMCONTAINER');
    } finally {
      rmSync(task, { recursive: true, force: true });
    }
  });
});
