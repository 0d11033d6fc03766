/**
 * What the AWS SDK v3 clients cost a handler's cold start, against two lighter clients (issue 18, target 1). The
 * figures back a product decision (docs/performance.md, "What remains, and why": the SDK's module code is most of
 * what a handler loads that it cannot leave out): keep SDK v3, or move the handlers' DynamoDB and Step Functions
 * calls to a lighter client. A measurement only; nothing of it is deployed.
 *
 *   npx tsx bench/support/sdk-alternatives.ts                    ROUNDS rounds (default 21), RUNS runs (default 1)
 *   ROUNDS=31 RUNS=3 npx tsx bench/support/sdk-alternatives.ts
 *
 * The variants, each bundled with the deployed options (lib/handler-bundling.ts handlerBuildOptions):
 *   S0  the bench's floor, the DynamoDB and Step Functions clients built at load (bench/lib/bundles.ts
 *       bundleSdkClients, the figure part coldstart gives as "SDK clients");
 *   S   the same two clients as functions/adapters/aws/clients.ts configures them, with PutItem and StartExecution
 *       (sdk-alternatives/sdk.ts);
 *   A   aws4 (a SigV4 signer) and node:https: signing, endpoint, timeout, retries and error names that hookflow
 *       would own (sdk-alternatives/aws4.ts);
 *   L   @aws-lite/client with @aws-lite/dynamodb, Step Functions by its raw request (sdk-alternatives/aws-lite.ts);
 *   H   a reference, not a client: node:https alone, one unsigned POST (sdk-alternatives/https.ts): what the
 *       transport costs a first call. Not a floor for the load (the file says why A measures under it).
 * How: fresh Node processes (this process's node: node_modules' Node 22, as part coldstart), each followed by an
 * empty Node process in the same environment (paired: variant, empty, variant, empty ...), the order of the nine
 * (variant, mode) slots rotated at each round so that none always runs first (interleaved). Two modes: `load`
 * (require the bundle and await its `ready`) and `call` (load, then one PutItem with attribute_not_exists, a fresh
 * key each time, to an in-memory dynalite in this process over TLS, with a certificate made for the run and trusted
 * through NODE_EXTRA_CA_CERTS: a function's first call pays a TLS handshake too). CPU is the child's own
 * process.cpuUsage() (user + system) at its end, as part coldstart measures it (bench/parts/cold-start.ts); wall is
 * spawn to exit. Figures are medians over the rounds: ratio = median(variant) / median(its paired empties), "over
 * empty" = their difference in ms. The environment is Lambda's as far as these clients read it (fake keys).
 * Then, once, each client's errors: a condition that fails (dynalite), throttles every time (a stub server:
 * how many requests each client sends) and Step Functions' StartExecution (what each sends and how it names errors).
 *
 * Prints its tables to stdout and writes nothing under docs/ or in bench/results.json. The bundles and the
 * certificate go under node_modules/.cache/hookflow-sdk-alternatives/<pid>/, removed at exit; S0's under
 * node_modules/.cache/hookflow-bench/ (bundleSdkClients), removed likewise. Needs `openssl` for the certificate.
 * aws4, @aws-lite/client and @aws-lite/dynamodb are devDependencies for this measurement only: nothing under
 * functions/, lib/ or local/ imports them.
 */
import aws4 from 'aws4';
import dynalite from 'dynalite';
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire, isBuiltin } from 'node:module';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { handlerBuildOptions } from '../../lib/handler-bundling';
import { handlerLoadScript, REPORT_CPU } from '../parts/cold-start';
import { type Bundle, bundleSdkClients, bytesByOrigin, removeAtExit, root } from '../lib/bundles';
import { median, round } from '../lib/stats';

const run = promisify(execFile);
const ROUNDS = Number(process.env.ROUNDS ?? 21);
const RUNS = Number(process.env.RUNS ?? 1);
const TABLE = 'sdk-alternatives';
const outRoot = join(root, 'node_modules', '.cache', 'hookflow-sdk-alternatives', `${process.pid}`);
const rootRequire = createRequire(join(root, 'package.json'));

type Variant = 'S0' | 'S' | 'A' | 'L' | 'H';
type Mode = 'load' | 'call';
type Client = Exclude<Variant, 'S0' | 'H'>;

const VARIANTS: Record<Variant, { readonly entry?: string; readonly about: string }> = {
  S0: { about: 'the bench floor: SDK v3 DynamoDB + SFN clients built (bundleSdkClients)' },
  S: { entry: 'sdk.ts', about: 'SDK v3 clients as clients.ts configures them, PutItemCommand, StartExecutionCommand' },
  A: { entry: 'aws4.ts', about: 'aws4 + node:https keep-alive Agent, ~150 lines hookflow would own' },
  L: { entry: 'aws-lite.ts', about: '@aws-lite/client + @aws-lite/dynamodb, created at load (awaited)' },
  H: { entry: 'https.ts', about: 'reference: node:https alone, one unsigned POST (the transport)' },
};
const CLIENT_NAMES: Record<Client, string> = { S: 'S (SDK v3)', A: 'A (aws4)', L: 'L (aws-lite)' };

/** A variant bundled as a handler is (S0: by the bench's own function), with what it requires at run time. */
async function bundleVariant(variant: Variant): Promise<Bundle> {
  const { entry } = VARIANTS[variant];
  if (entry === undefined) return bundleSdkClients();
  const file = join(outRoot, variant, 'index.js');
  mkdirSync(dirname(file), { recursive: true });
  const result = await build({
    ...handlerBuildOptions(),
    entryPoints: [join(__dirname, 'sdk-alternatives', entry)],
    absWorkingDir: root,
    outfile: file,
    metafile: true,
    logLevel: 'error',
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)!;
  return {
    name: variant,
    variant: 'deployed',
    file,
    bytes: statSync(file).size,
    sourceMapBytes: statSync(`${file}.map`).size,
    metafile: result.metafile,
    externals: [...new Set(output.imports.filter((i) => i.external && !isBuiltin(i.path)).map((i) => i.path))],
  };
}

/**
 * The environment Lambda gives a function, as far as these clients read it, with fake keys
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
 * The empty process of each pair gets the same.
 */
function lambdaEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIAXXXXXXXXXXXXXXXX',
    AWS_SECRET_ACCESS_KEY: 'x'.repeat(40),
    AWS_SESSION_TOKEN: `IQoJb3JpZ2luX2VjEXAMPLETOKEN${'x'.repeat(72)}`,
    AWS_LAMBDA_FUNCTION_NAME: 'hookflow-sdk-alternatives',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    ...extra,
  };
}

function scriptOf(bundle: Bundle | undefined, variant: Variant | undefined, mode: Mode): string {
  // Keep-alive sockets would hold a process that called up to the server's idle timeout: it exits once CPU is read.
  if (bundle === undefined) return mode === 'load' ? REPORT_CPU : `${REPORT_CPU} process.exit(0);`;
  // S0 is loaded as part coldstart loads a handler.
  if (variant === 'S0') return handlerLoadScript(bundle.file);
  const file = JSON.stringify(bundle.file);
  const load = `const m = require(${file}); await m.ready; if (typeof m.putItem !== 'function') throw new Error('no putItem');`;
  const call =
    mode === 'call'
      ? ` const r = await m.putItem(${JSON.stringify(TABLE)}, process.argv[1]); if (r === null || typeof r !== 'object') throw new Error('no answer: ' + r);`
      : '';
  const exit = mode === 'call' ? ' process.exit(0);' : '';
  return `(async () => { ${load}${call} ${REPORT_CPU}${exit} })().catch((e) => { console.error(e); process.exit(1); });`;
}

interface Sample {
  readonly ms: number;
  readonly cpuMs: number;
}

let keys = 0;
/** One fresh Node process: the variant's (or, `bundle` undefined, the empty one), timed from spawn to exit. */
async function timeProcess(
  bundle: Bundle | undefined,
  variant: Variant | undefined,
  mode: Mode,
  env: NodeJS.ProcessEnv,
) {
  const key = `k-${process.pid}-${Date.now()}-${keys++}`;
  const start = process.hrtime.bigint();
  const { stdout } = await run(process.execPath, ['-e', scriptOf(bundle, variant, mode), key], { cwd: root, env });
  const cpuMs = Number(stdout);
  if (!Number.isFinite(cpuMs)) throw new Error(`bad output from ${variant ?? 'empty'} ${mode}: ${stdout}`);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, cpuMs } satisfies Sample;
}

// ---------------------------------------------------------------------------------------------------------------
// dynalite over TLS, in this process.

/**
 * A self-signed certificate for localhost, made for this run (`openssl req -x509`) in this process's folder,
 * removed at exit: no key is kept or committed. RSA 2048, as the first measurement's.
 */
async function makeCertificate(): Promise<{ cert: string; key: string }> {
  const folder = join(outRoot, 'tls');
  mkdirSync(folder, { recursive: true });
  const cert = join(folder, 'localhost.pem');
  const key = join(folder, 'localhost-key.pem');
  const subject = ['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'];
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1'];
  try {
    await run('openssl', [...args, ...subject]);
  } catch (error) {
    throw new Error(`openssl (needed for the TLS certificate) failed: ${(error as Error).message}`);
  }
  return { cert, key };
}

/**
 * One signed DynamoDB low-level request (JSON 1.0, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html),
 * from this process, to set the table up.
 */
function signedJson(port: number, ca: Buffer, target: string, body: object) {
  const payload = JSON.stringify(body);
  const options = aws4.sign(
    {
      host: 'localhost',
      port,
      method: 'POST',
      path: '/',
      service: 'dynamodb',
      region: 'us-east-1',
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': target },
      body: payload,
    },
    { accessKeyId: 'local', secretAccessKey: 'local' },
  ) as https.RequestOptions;
  return new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
    const request = https.request({ ...options, ca, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: response.statusCode ?? 0, json: JSON.parse(text || '{}') as Record<string, unknown> });
      });
    });
    request.on('error', reject);
    request.end(payload);
  });
}

async function startDynalite(tls: { cert: string; key: string }) {
  const ca = readFileSync(tls.cert);
  const server = dynalite({ createTableMs: 0, ssl: true, key: readFileSync(tls.key), cert: ca, ca });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const created = await signedJson(port, ca, 'DynamoDB_20120810.CreateTable', {
    TableName: TABLE,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  if (created.status !== 200) throw new Error(`CreateTable: ${JSON.stringify(created)}`);
  for (let i = 0; i < 50; i++) {
    const described = await signedJson(port, ca, 'DynamoDB_20120810.DescribeTable', { TableName: TABLE });
    if ((described.json.Table as { TableStatus?: string } | undefined)?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { port, close: () => closeServer(server) };
}

function closeServer(server: http.Server): void {
  server.close();
  server.closeAllConnections();
}

// ---------------------------------------------------------------------------------------------------------------
// The measurement.

interface Figures {
  readonly cpuMs: number;
  readonly emptyCpuMs: number;
  readonly cpuRatio: number;
  readonly cpuOverEmptyMs: number;
  readonly wallRatio: number;
}

type RunFigures = Map<string, Figures>;
const slotKey = (variant: Variant, mode: Mode) => `${variant}/${mode}`;
const SLOTS: readonly [Variant, Mode][] = [
  ['S0', 'load'],
  ['S', 'load'],
  ['A', 'load'],
  ['L', 'load'],
  ['H', 'load'],
  ['S', 'call'],
  ['A', 'call'],
  ['L', 'call'],
  ['H', 'call'],
];

async function measure(built: Map<Variant, Bundle>, envOf: (mode: Mode) => NodeJS.ProcessEnv): Promise<RunFigures> {
  const samples = new Map<string, { variant: Sample[]; empty: Sample[] }>();
  for (let round = 0; round < ROUNDS; round++) {
    const rotated = SLOTS.map((_, i) => SLOTS[(i + round) % SLOTS.length]!);
    for (const [variant, mode] of rotated) {
      const env = envOf(mode);
      const slot = samples.get(slotKey(variant, mode)) ?? { variant: [], empty: [] };
      samples.set(slotKey(variant, mode), slot);
      slot.variant.push(await timeProcess(built.get(variant), variant, mode, env));
      slot.empty.push(await timeProcess(undefined, undefined, mode, env));
    }
    if ((round + 1) % 5 === 0) console.error(`  round ${round + 1}/${ROUNDS}`);
  }
  const figures: RunFigures = new Map();
  for (const [key, { variant, empty }] of samples) {
    const cpu = median(variant.map((s) => s.cpuMs));
    const emptyCpu = median(empty.map((s) => s.cpuMs));
    figures.set(key, {
      cpuMs: round(cpu, 1),
      emptyCpuMs: round(emptyCpu, 1),
      cpuRatio: round(cpu / emptyCpu, 2),
      cpuOverEmptyMs: round(cpu - emptyCpu, 1),
      wallRatio: round(median(variant.map((s) => s.ms)) / median(empty.map((s) => s.ms)), 2),
    });
  }
  return figures;
}

const ratio = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(2)}x`);
const ms = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(1)} ms`);
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;

function runTable(built: Map<Variant, Bundle>, figures: RunFigures): string[] {
  const lines = [
    row([
      'variant',
      'bytes',
      'load: CPU ratio',
      'load: CPU over empty',
      'load + first PutItem: CPU ratio',
      'load + first PutItem: CPU over empty',
      'wall ratio: load, + PutItem',
      'empty CPU: load, + PutItem',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    const load = figures.get(slotKey(variant, 'load'));
    const call = figures.get(slotKey(variant, 'call'));
    lines.push(
      row([
        variant,
        built.get(variant)!.bytes,
        ratio(load?.cpuRatio),
        ms(load?.cpuOverEmptyMs),
        ratio(call?.cpuRatio),
        ms(call?.cpuOverEmptyMs),
        `${ratio(load?.wallRatio)}, ${ratio(call?.wallRatio)}`,
        `${ms(load?.emptyCpuMs)}, ${ms(call?.emptyCpuMs)}`,
      ]),
    );
  }
  return lines;
}

function acrossRunsTable(built: Map<Variant, Bundle>, runs: readonly RunFigures[]): string[] {
  const each = (variant: Variant, mode: Mode, pick: (f: Figures) => string) =>
    runs.map((figures) => figures.get(slotKey(variant, mode))).every((f) => f === undefined)
      ? '-'
      : runs
          .map((figures) => figures.get(slotKey(variant, mode)))
          .map((f) => (f === undefined ? '-' : pick(f)))
          .join(', ');
  const lines = [
    row([
      'variant',
      'bytes',
      'load: CPU ratio, each run',
      'load: CPU over empty ms, each run',
      'load + first PutItem: CPU ratio, each run',
      'load + first PutItem: CPU over empty ms, each run',
    ]),
    row(['---', '---:', '---', '---', '---', '---']),
  ];
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    lines.push(
      row([
        variant,
        built.get(variant)!.bytes,
        each(variant, 'load', (f) => ratio(f.cpuRatio)),
        each(variant, 'load', (f) => f.cpuOverEmptyMs.toFixed(1)),
        each(variant, 'call', (f) => ratio(f.cpuRatio)),
        each(variant, 'call', (f) => f.cpuOverEmptyMs.toFixed(1)),
      ]),
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------
// Each client's errors, once.

/** A stub AWS endpoint (plain HTTP): counts the requests, keeps them, answers as `answer` says. */
async function startStub(answer: (target: string) => { status: number; body: object }) {
  const seen: { target: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      seen.push({ target, headers: request.headers, body: Buffer.concat(chunks).toString() });
      const { status, body } = answer(target);
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'stub' });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { endpoint, seen, close: () => closeServer(server) };
}

/**
 * What a probe reports of an error (or of an answer: what its body computes). The bundles are minified, so a
 * class is told by its place, not its name: `classDepth` 0 is a plain Error, 1 a class of its own (A's), more a
 * family (the SDK's: one class per error, under the service's and the SDK's own).
 */
interface Outcome {
  readonly threw?: boolean;
  readonly classDepth?: number;
  readonly name?: string;
  readonly statusCode?: number;
  readonly attempts?: number;
  readonly startDate?: string;
}

/** One child process: loads the variant, runs `body` (JavaScript, `m` the module), prints what came of it. */
async function probe(bundle: Bundle, body: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const script = `(async () => { const m = require(${JSON.stringify(bundle.file)}); await m.ready;
    const depth = (e) => { let n = 0; for (let c = e?.constructor; c && c !== Error && c !== Object; c = Object.getPrototypeOf(c)) n++; return n; };
    const describe = (e) => ({ threw: true, classDepth: depth(e), name: e?.name,
      statusCode: e?.statusCode ?? e?.$metadata?.httpStatusCode, attempts: e?.$metadata?.attempts });
    let out; try { out = await (async () => { ${body} })(); } catch (e) { out = describe(e); }
    process.stdout.write(JSON.stringify(out)); process.exit(0); })().catch((e) => { console.error(e); process.exit(1); });`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: root, env, timeout: 60_000 });
  return JSON.parse(stdout) as Outcome;
}

function describeOutcome(outcome: Outcome, requests?: number, elapsedMs?: number): string {
  const parts: string[] = [];
  if (outcome.threw === true) {
    const depth = outcome.classDepth ?? 0;
    parts.push(`${outcome.name} (${depth === 0 ? 'plain Error' : `class ${depth} below Error`})`);
    if (outcome.statusCode !== undefined) parts.push(String(outcome.statusCode));
    if (outcome.attempts !== undefined) parts.push(`$metadata.attempts ${outcome.attempts}`);
  } else {
    parts.push('answered');
  }
  if (requests !== undefined) parts.push(`${requests} request${requests === 1 ? '' : 's'}`);
  if (elapsedMs !== undefined) parts.push(`${elapsedMs} ms`);
  return parts.join(', ');
}

const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:m';

/** Each check's row: its label and, per client, what came of it. */
async function errorChecks(built: Map<Variant, Bundle>, callEnv: NodeJS.ProcessEnv): Promise<string[]> {
  const rows = new Map<string, Partial<Record<Client, string>>>();
  const put = (label: string, client: Client, cell: string) => rows.set(label, { ...rows.get(label), [client]: cell });
  const stubEnv = (endpoint: string, service: 'DYNAMODB' | 'SFN') =>
    lambdaEnv({ AWS_ENDPOINT_URL: endpoint, [`AWS_ENDPOINT_URL_${service}`]: endpoint });
  for (const client of Object.keys(CLIENT_NAMES) as Client[]) {
    const bundle = built.get(client)!;
    // The condition fails on the second PutItem of a key (attribute_not_exists:
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
    const key = JSON.stringify(`ccf-${client}-${Date.now()}`);
    const twice = `await m.putItem(${JSON.stringify(TABLE)}, ${key}); return await m.putItem(${JSON.stringify(TABLE)}, ${key});`;
    put(
      '2nd PutItem of a key, condition fails (dynalite)',
      client,
      describeOutcome(await probe(bundle, twice, callEnv)),
    );

    // DynamoDB's throttling errors, answered to every attempt: how many requests each client sends before it gives
    // up (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
    for (const throttle of ['ProvisionedThroughputExceededException', 'ThrottlingException']) {
      const stub = await startStub(() => ({
        status: 400,
        body: { __type: `com.amazonaws.dynamodb.v20120810#${throttle}`, message: 'slow down (stub)' },
      }));
      const started = Date.now();
      const outcome = await probe(bundle, `return await m.putItem('t', 'k');`, stubEnv(stub.endpoint, 'DYNAMODB'));
      put(
        `PutItem answered ${throttle} every time`,
        client,
        describeOutcome(outcome, stub.seen.length, Date.now() - started),
      );
      stub.close();
    }

    // StartExecution (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html):
    // answered, then refused with ExecutionAlreadyExists (namespaced as the service sends it, and plain) and throttled.
    const sfn = await startStub((target) =>
      target === 'AWSStepFunctions.StartExecution'
        ? {
            status: 200,
            body: {
              executionArn: `${STATE_MACHINE.replace('stateMachine', 'execution')}:e1`,
              startDate: 1764940000.123,
            },
          }
        : { status: 400, body: { __type: 'UnknownOperationException' } },
    );
    const input = { stateMachineArn: STATE_MACHINE, name: 'e1', input: '{"a":1}' };
    const answered = await probe(
      bundle,
      `const r = await m.startExecution(${JSON.stringify(input.stateMachineArn)}, ${JSON.stringify(input.name)}, ${JSON.stringify(input.input)});
       return { startDate: r.startDate instanceof Date ? 'Date' : typeof r.startDate };`,
      stubEnv(sfn.endpoint, 'SFN'),
    );
    const sent = sfn.seen[0];
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+\/[^/]+)\/aws4_request/.exec(
      String(sent?.headers.authorization),
    )?.[1];
    put(
      'StartExecution answered 200',
      client,
      sent === undefined
        ? `nothing sent (${describeOutcome(answered)})`
        : [
            answered.threw === true ? describeOutcome(answered) : `answered, startDate a ${answered.startDate}`,
            `target ${sent.target}`,
            `signed for ${scope ?? 'nothing'}`,
            `token ${sent.headers['x-amz-security-token'] === undefined ? 'not sent' : 'sent'}`,
            `body ${JSON.stringify(JSON.parse(sent.body)) === JSON.stringify(input) ? 'as given' : `changed: ${sent.body}`}`,
          ].join('; '),
    );
    sfn.close();
    for (const type of [
      'com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists',
      'ExecutionAlreadyExists',
      'com.amazonaws.swf.service.v2.model#ThrottlingException',
    ]) {
      const stub = await startStub(() => ({ status: 400, body: { __type: type, message: 'stub' } }));
      const started = Date.now();
      const outcome = await probe(
        bundle,
        `return await m.startExecution(${JSON.stringify(STATE_MACHINE)}, 'e1', '{}');`,
        stubEnv(stub.endpoint, 'SFN'),
      );
      put(
        `StartExecution answered 400 ${type}`,
        client,
        describeOutcome(outcome, stub.seen.length, Date.now() - started),
      );
      stub.close();
    }
  }
  const clients = Object.keys(CLIENT_NAMES) as Client[];
  return [
    row(['check', ...clients.map((c) => CLIENT_NAMES[c])]),
    row(['---', ...clients.map(() => '---')]),
    ...[...rows].map(([label, cells]) => row([label, ...clients.map((c) => cells[c] ?? '-')])),
  ];
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  removeAtExit(outRoot);
  const version = (name: string) => (rootRequire(`${name}/package.json`) as { version: string }).version;
  const packages = ['esbuild', '@aws-sdk/client-dynamodb', '@aws-sdk/client-sfn', 'aws4', '@aws-lite/client'];
  console.log(
    `sdk-alternatives: ${ROUNDS} rounds x ${RUNS} run(s), node ${process.version}, ` +
      [...packages, '@aws-lite/dynamodb'].map((name) => `${name} ${version(name)}`).join(', '),
  );

  const built = new Map<Variant, Bundle>();
  for (const variant of Object.keys(VARIANTS) as Variant[]) built.set(variant, await bundleVariant(variant));
  console.log('\nBundles (deployed options; bytes by origin, largest first; what each requires at run time):\n');
  for (const [variant, bundle] of built) {
    const origins = bytesByOrigin(bundle)
      .slice(0, 4)
      .map((o) => `${o.origin.replace(/^hookflow /, '')} ${o.bytes}`);
    const requires = bundle.externals.length === 0 ? '' : `; requires ${bundle.externals.join(', ')}`;
    console.log(`- ${variant}: ${VARIANTS[variant].about}. ${bundle.bytes} B: ${origins.join(', ')}${requires}`);
  }

  const tls = await makeCertificate();
  const db = await startDynalite(tls);
  const loadEnv = lambdaEnv();
  // The first call goes over TLS to dynalite, its certificate trusted through NODE_EXTRA_CA_CERTS, which the
  // paired empty process gets too (Node reads it at start-up).
  const callEnv = lambdaEnv({
    AWS_ENDPOINT_URL: `https://localhost:${db.port}`,
    AWS_ENDPOINT_URL_DYNAMODB: `https://localhost:${db.port}`,
    NODE_EXTRA_CA_CERTS: tls.cert,
  });
  try {
    // Each variant's first call once, unmeasured: a variant that does not work fails here, not in the figures.
    for (const variant of ['S', 'A', 'L', 'H'] as const)
      await timeProcess(built.get(variant), variant, 'call', callEnv);

    const runs: RunFigures[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const started = new Date().toISOString();
      const figures = await measure(built, (mode) => (mode === 'load' ? loadEnv : callEnv));
      runs.push(figures);
      const load = loadavg()
        .map((l) => l.toFixed(2))
        .join(' ');
      console.log(`\nRun ${i} of ${RUNS} (from ${started}, ${ROUNDS} rounds; load average at its end ${load}):\n`);
      console.log(runTable(built, figures).join('\n'));
    }
    if (RUNS > 1) console.log(`\nAll ${RUNS} runs:\n\n${acrossRunsTable(built, runs).join('\n')}`);

    console.log('\nErrors, once per client (stub servers answer the JSON 1.0 error body):\n');
    console.log((await errorChecks(built, callEnv)).join('\n'));
  } finally {
    db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
