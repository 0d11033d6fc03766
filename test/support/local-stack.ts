import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { waitKey } from '../../functions/adapters/aws/registry-items';
import { dynamoDbBackend } from '../../local/dynamodb/start-dynamodb';

const root = resolve(__dirname, '..', '..');
/** How long a stack may take to print "ready at": DynamoDB Local's JVM adds 5-30 s on a loaded 2-core machine. */
const READY_TIMEOUT_MS = dynamoDbBackend() === 'dynamodb-local' ? 120_000 : 60_000;

export interface RunningStack {
  readonly url: string;
  /** The local Step Functions endpoint, for counting executions the way an operator would. */
  readonly sfnEndpoint: string;
  /** The local SQS endpoint and the fan-out dead-letter queue, for checking what landed there. */
  readonly sqsEndpoint: string;
  /** The local DynamoDB, for checks a third party cannot make (e.g. that a run has stored its task token). */
  readonly dynamodbEndpoint: string;
  readonly deadLetterQueueUrl: string;
  readonly dataDir: string;
  /** Everything the stack printed (stdout and stderr), for assertions on what gets logged. */
  readonly output: () => string;
  stop(): Promise<void>;
  /** Kills the stack with SIGKILL (no cleanup, as a host dying) and waits until it is gone. */
  kill(): Promise<void>;
  /** Resolves when the stack process has exited, whoever ended it (e.g. a crash point: HOOKFLOW_CRASH_AT). */
  readonly exited: Promise<NodeJS.Signals | number | null>;
}

/**
 * Starts the local stack the way `npm start` does (tsx local/start.ts), on a random port and a data folder
 * of the test's own, and waits for its "ready at" line.
 */
export async function startLocalStack(
  options: { dataDir?: string; env?: Record<string, string>; readyWithinMs?: number } = {},
): Promise<RunningStack> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hookflow-e2e-'));
  // Node itself with tsx's loader (not the tsx CLI, which runs the stack in a child of its own): the pid is the
  // stack's, so kill() hits the stack and not a wrapper.
  const child = spawn(
    join(root, 'node_modules', '.bin', 'node'),
    // With the handlers' own Node flag (lib/handler-bundling.ts HANDLER_ENVIRONMENT), as `npm start` runs it.
    ['--experimental-async-context-frame', '--import', 'tsx', 'local/start.ts', '--port', '0', '--data-dir', dataDir],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HOOKFLOW_RECORD_AWS_CALLS: awsCallsFolder(),
        // Tests change the registry at run time (keys revoked, verifiers set, webhooks rotated) and expect the
        // next request to see it: no registry cache unless a test asks for one (test/e2e/registry-cache.test.ts).
        // `npm start` keeps the handlers' default, as in AWS.
        REGISTRY_CACHE_SECONDS: '0',
        ...options.env,
      },
    },
  );
  const exited = new Promise<NodeJS.Signals | number | null>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(signal ?? code)),
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const url = await new Promise<string>((resolveUrl, reject) => {
    const readyWithinMs = options.readyWithinMs ?? READY_TIMEOUT_MS;
    const timer = setTimeout(() => {
      // Stop it too: a stack left starting keeps jest from exiting (and, on dynamodb-local, holds a JVM).
      child.kill('SIGTERM');
      reject(new Error(`local stack not ready after ${readyWithinMs / 1000} s:\n${output}`));
    }, readyWithinMs);
    const check = () => {
      const ready = /ready at (http:\/\/[\d.]+:\d+)/.exec(output);
      if (ready?.[1] !== undefined) {
        clearTimeout(timer);
        // Once ready, no more matching: a regular expression run on the growing `output` flattens all of it at
        // every chunk, which under load (a log line per request) cost the bench's load generator more CPU per
        // request than the requests themselves.
        child.stdout!.off('data', check);
        resolveUrl(ready[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local stack exited with ${code}:\n${output}`));
    });
  });
  const sfnEndpoint = /Step Functions \(aws-local-stepfunctions\) at (http:\/\/[\d.]+:\d+)/.exec(output)?.[1];
  if (sfnEndpoint === undefined) throw new Error(`no Step Functions endpoint in:\n${output}`);
  const dynamodbEndpoint = /DynamoDB \((?:dynalite|dynamodb-local)\) at (http:\/\/[\d.]+:\d+)/.exec(output)?.[1];
  if (dynamodbEndpoint === undefined) throw new Error(`no DynamoDB endpoint in:\n${output}`);
  const sqs = /SQS \(fauxqs\) at (http:\/\/[\d.]+:\d+): \S+, dead letters in (\S+)/.exec(output);
  if (sqs?.[1] === undefined || sqs[2] === undefined) throw new Error(`no SQS endpoint in:\n${output}`);

  return {
    url,
    sfnEndpoint,
    sqsEndpoint: sqs[1],
    dynamodbEndpoint,
    deadLetterQueueUrl: sqs[2],
    dataDir,
    output: () => output,
    stop: () => stopChild(child),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    exited,
  };
}

/**
 * Where every e2e stack records the AWS calls its handlers make (functions/adapters/aws/clients.ts), for
 * test/infra-iam to simulate against the synthesized roles: the jest run's folder (test/support/aws-calls-run.js),
 * or, outside jest's e2e project, a folder of this process.
 */
function awsCallsFolder(): string {
  return process.env.HOOKFLOW_RECORD_AWS_CALLS ?? join(tmpdir(), `hookflow-aws-calls-${process.pid}`);
}

/** An SDK client's configuration for one of the local stack's endpoints: its fixed local region and credentials. */
export function localClientConfig(endpoint: string) {
  return { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

export function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * A stack of each test's own, started with the faults it injects (`env`), stopped and its data removed after the
 * test; `waitItem` reads a run's wait item, which a third party cannot see (has it stored its task token yet?).
 */
export function stackPerTest(env: Record<string, string>) {
  let stack: RunningStack | undefined;
  let dynamodb: DynamoDBClient | undefined;
  afterEach(async () => {
    dynamodb?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
    stack = undefined;
  });
  return {
    async start(): Promise<RunningStack> {
      stack = await startLocalStack({ env });
      dynamodb = new DynamoDBClient(localClientConfig(stack.dynamodbEndpoint));
      return stack;
    },
    waitItem: (runRef: string, topic: string) => readWaitItem(dynamodb!, runRef, topic),
    untilWaiting: (runRef: string, topic: string) => untilWaiting(dynamodb!, runRef, topic),
  };
}

/** A run's wait item (`wait#<run ref>#<topic>` in the dedupe table), which a third party cannot see. */
export async function readWaitItem(
  dynamodb: DynamoDBClient,
  runRef: string,
  topic: string,
): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await dynamodb.send(
    new GetItemCommand({ TableName: 'hookflow-dedupe', Key: marshall(waitKey(runRef, topic)) }),
  );
  return Item;
}

/**
 * Until the run's wait task has stored its item (a moment after the run starts; a callback before that would be
 * kept early): polled every 25 ms, and an error after 200 polls.
 */
export async function untilWaiting(dynamodb: DynamoDBClient, runRef: string, topic: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await readWaitItem(dynamodb, runRef, topic)) !== undefined) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${runRef} never waited on ${topic}`);
}

/**
 * What a stack started with `env` printed when it refused to start (a setting it cannot read), or 'started' if
 * it started (it is stopped again); its data folder is removed either way.
 */
export async function refusedStart(env: Record<string, string>): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookflow-refused-'));
  const refused = await startLocalStack({ dataDir, env }).then(
    async (started) => {
      await started.stop();
      return 'started';
    },
    (error: Error) => error.message,
  );
  removeDataDir(dataDir);
  return refused;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

/** One HTTP request as a third party would send it (fetch, like curl). */
export async function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpResult> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    ...(init.headers === undefined ? {} : { headers: init.headers }),
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** Polls an execution link until the execution leaves RUNNING (or the deadline passes). */
export async function waitForExecution(link: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await request(link);
    if (status !== 200) throw new Error(`GET ${link} answered ${status}: ${JSON.stringify(body)}`);
    const execution = body as Record<string, unknown>;
    if (execution.status !== 'RUNNING' || Date.now() > deadline) return execution;
    await new Promise((r) => setTimeout(r, 50));
  }
}
