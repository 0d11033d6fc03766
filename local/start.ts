/**
 * `npm start`: every hookflow route on 127.0.0.1, backed by real protocol servers on loopback: DynamoDB
 * (dynalite, persisted; or AWS's DynamoDB Local with HOOKFLOW_DYNAMODB=dynamodb-local, see docs/dynamodb.md), Step Functions (aws-local-stepfunctions behind a local SFN endpoint, persisted; each in a process of its own),
 * and the very same Lambda handler code that runs in AWS. Only the AWS_ENDPOINT_URL_* variables differ.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { dedupeTableSchema } from '../functions/adapters/aws/table-schemas';
import { handlers, timeoutSecondsOf } from '../functions/routes';
import { loadWorkflowManifest } from '../workflows/manifest';
import { createTables } from './dynamodb/create-tables';
import { TTL_SWEEP_DEFAULTS, TtlSweeper } from './dynamodb/ttl-sweeper';
import { desiredItems, seedRegistry } from './dynamodb/seed-registry';
import { startLocalDynamoDb } from './dynamodb/start-dynamodb';
import { executionViewer } from './execution-viewer';
import { bundleHandlers } from './handlers/bundle-handlers';
import { type GatewayTarget, type LambdaHandler, startGateway } from './gateway/server';
import { lambdaContext } from './gateway/api-gateway-event';
import { localAwsEnv } from './local-aws-env';
import { type LocalConfig, loadLocalConfig } from './local-config';
import { createFanoutQueues } from './sqs/create-queues';
import { createBodiesBucket } from './sqs/create-bucket';
import { type SqsHandler, startSqsEventSource } from './sqs/event-source';
import { startLocalSqs } from './sqs/start-sqs';
import { forkLocalStepFunctions } from './stepfunctions/fork-step-functions';
import { partitionKeyOf, startThrottleProxy, tableOf } from './throttle-proxy';
import {
  ConcurrencyLimit,
  THROTTLE_ENV,
  TokenBucket,
  buckets,
  dynamodbThrottlingReason,
  limitConcurrency,
  parseThrottles,
  type AwsErrorAnswer,
  type RateLimit,
  throttleAnswer,
} from './throttles';
import type { LocalLambdaHandler } from './stepfunctions/lambda-integrations';

const root = resolve(__dirname, '..');
const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.HOOKFLOW_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.HOOKFLOW_PORT ?? '3000' },
    'data-dir': { type: 'string', default: process.env.HOOKFLOW_DATA_DIR ?? join(root, '.hookflow') },
    config: {
      type: 'string',
      default: process.env.HOOKFLOW_LOCAL_CONFIG ?? join(root, 'local', 'hookflow.local.json'),
    },
    'log-level': { type: 'string', default: process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO' },
  },
});

const TABLES = { registry: 'hookflow-registry', dedupe: 'hookflow-dedupe' };
/** The bucket large bodies are kept in (issue 19): on fauxqs's S3, which shares the SQS endpoint. */
const BODIES_BUCKET = 'hookflow-bodies';
/** The local stack's region and account: every local ARN (state machines, functions) names them. */
const LOCAL_AWS = { region: 'us-east-1', accountId: '000000000000' };
/** Every handler's Lambda timeout behind the local gateway, in seconds (docs/local-stack.md). */
const LAMBDA_TIMEOUT_ENV = 'HOOKFLOW_LOCAL_LAMBDA_TIMEOUT_SECONDS';
/** The fan-out queue's visibility timeout, in seconds (docs/local-stack.md). */
const FANOUT_VISIBILITY_ENV = 'HOOKFLOW_FANOUT_VISIBILITY_SECONDS';
const progress = (line: string) => process.stdout.write(`[hookflow] ${line}\n`);

async function main(): Promise<void> {
  const host = args.host!;
  const dataDir = resolve(args['data-dir']!);
  const config = loadConfigOrExit(args.config!);
  // The definition substitutions CDK fills at deploy time (lib/example-workflows.ts), filled with local values.
  const workflows = loadWorkflowManifest(undefined, {
    Partition: 'aws',
    // The Express run guard's table (workflows/express-run-guard.ts): hookflow's dedupe table.
    DedupeTable: TABLES.dedupe,
    WaitForEventFunction: `arn:aws:lambda:${LOCAL_AWS.region}:${LOCAL_AWS.accountId}:function:hookflow-wait-for-event`,
  });
  // Refuse a registration whose workflow no longer exists now, naming it, rather than answer 500 at request time.
  const workflowTypes = new Map(
    workflows.map((w) => [w.name, { arn: `arn:aws:states:::stateMachine:${w.name}`, type: w.type }]),
  );
  checkOrExit(() => desiredItems(config, workflowTypes));
  // AWS's quotas, injected on request (docs/local-stack.md#throttles); a value it cannot read stops the start.
  const throttles = checkOrExit(() =>
    parseThrottles(process.env[THROTTLE_ENV], {
      routeKeys: handlers.flatMap((spec) => spec.routes.map((route) => `${route.method} ${route.path}`)),
      handlers: handlers.map((spec) => spec.name),
    }),
  );

  // DynamoDB's TTL, applied locally (local/dynamodb/ttl-sweeper.ts); a value it cannot read stops the start.
  const ttlSweep = checkOrExit(() => ({
    ...TTL_SWEEP_DEFAULTS,
    everySeconds: seconds('HOOKFLOW_LOCAL_TTL_SWEEP_SECONDS', TTL_SWEEP_DEFAULTS.everySeconds),
    deleteAfterSeconds: seconds('HOOKFLOW_LOCAL_TTL_DELETE_AFTER_SECONDS', TTL_SWEEP_DEFAULTS.deleteAfterSeconds),
  }));

  // Lambda's timeout behind the gateway: each handler's own, as deployed, unless the setting names one for all
  // (0: none, e.g. while a debugger holds a handler); a value it cannot read stops the start.
  const lambdaTimeout = checkOrExit(() => seconds(LAMBDA_TIMEOUT_ENV, undefined));
  /** The handler a Lambda function name (`hookflow-<handler>`) names, as a workflow's Lambda task names it. */
  const specOfFunction = (functionName: string) => handlers.find((h) => `hookflow-${h.name}` === functionName);
  const timeoutOf = (spec: (typeof handlers)[number]) => {
    const timeoutSeconds = lambdaTimeout ?? timeoutSecondsOf(spec);
    return timeoutSeconds === 0 ? {} : { timeoutMs: timeoutSeconds * 1000 };
  };

  // The fan-out queue's visibility timeout: Lambda's own setting is 6x the worker timeout (lib/fanout-queue.ts);
  // locally a retry comes sooner. SQS takes whole seconds
  // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html), and at least 1:
  // a function's timeout is at least 1 s (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html),
  // and Lambda refuses a mapping whose queue hides a message for less than it (local/sqs/event-source.ts).
  const fanoutVisibilitySeconds = checkOrExit(() => {
    const value = seconds(FANOUT_VISIBILITY_ENV, 10);
    if (!Number.isInteger(value) || value < 1 || value > 43_200) {
      throw new Error(
        `${FANOUT_VISIBILITY_ENV} must be a whole number of seconds from 1 (the shortest Lambda timeout) to 43200 (SQS's longest)`,
      );
    }
    return value;
  });

  // Never let a laptop's real AWS credentials or region reach the handlers: everything here is local.
  Object.assign(process.env, localAwsEnv);

  // esbuild builds the handlers in a process of its own while the stand-ins start (about a second of a start's
  // four here); they are required only once the environment below names the stand-ins. A failed build stops the
  // start where it is awaited, not before.
  const bundling = bundleHandlers(root, handlers);
  bundling.catch(() => undefined);

  progress(`data folder ${dataDir}`);
  if (lambdaTimeout !== undefined) {
    progress(`Lambda timeout (${LAMBDA_TIMEOUT_ENV}): ${lambdaTimeout === 0 ? 'none' : `${lambdaTimeout} s`}`);
  }
  const dynamodb = await startLocalDynamoDb(host, join(dataDir, 'dynamodb'));
  progress(`DynamoDB (${dynamodb.backend}) at ${dynamodb.endpoint}`);
  // With DynamoDB throttles, the handlers and the workflows' DynamoDB tasks reach it through a proxy that
  // refuses what is over a limit; the stack's own setup (tables, seeding) and the tests' checks go direct.
  const dynamodbProxy =
    throttles.dynamodb === undefined && Object.keys(throttles.dynamodbPartitions).length === 0
      ? undefined
      : await startThrottleProxy({
          host,
          upstream: dynamodb.endpoint,
          refuse: dynamodbRefusal(throttles.dynamodb, throttles.dynamodbPartitions),
        });
  const dynamodbForHandlers = dynamodbProxy?.endpoint ?? dynamodb.endpoint;
  const sqs = await startLocalSqs(host, join(dataDir, 'sqs'));
  const sqsClient = new SQSClient({ endpoint: sqs.endpoint });
  const fanout = await createFanoutQueues(sqsClient, {
    name: 'hookflow-fanout',
    visibilityTimeoutSeconds: fanoutVisibilitySeconds,
    maxReceiveCount: Number(process.env.HOOKFLOW_FANOUT_MAX_RECEIVE_COUNT ?? 5),
  });
  progress(`SQS (fauxqs) at ${sqs.endpoint}: ${fanout.queueUrl}, dead letters in ${fanout.deadLetterQueueUrl}`);
  // fauxqs serves S3 on the same port: the bucket for large bodies (issue 19), as the construct deploys it.
  await createBodiesBucket(
    new S3Client({ endpoint: sqs.endpoint }),
    BODIES_BUCKET,
    Number(process.env.DELIVERY_RETENTION_DAYS ?? 7),
  );
  progress(`S3 (fauxqs) at ${sqs.endpoint}: bucket ${BODIES_BUCKET}`);
  // Fault injection for tests: S3 down (nothing listens where the handlers look for it).
  const s3ForHandlers = process.env.HOOKFLOW_LOCAL_S3_DOWN === '1' ? await closedPortUrl(host) : sqs.endpoint;
  const sqsRefuse = buckets(throttles.sqs);
  const sqsProxy =
    Object.keys(throttles.sqs).length === 0
      ? undefined
      : await startThrottleProxy({
          host,
          upstream: sqs.endpoint,
          refuse: (operation) => (sqsRefuse(operation) ? undefined : throttleAnswer.sqs()),
        });
  if (process.env[THROTTLE_ENV] !== undefined && process.env[THROTTLE_ENV] !== '') {
    progress(`throttles (${THROTTLE_ENV}): ${process.env[THROTTLE_ENV]}`);
  }
  // Handlers load only after the gateway knows its URL: their config (the execution link) names it.
  const loaded = new Map<string, LambdaHandler>();
  // Task states that invoke Lambda reach the bundled handlers once they are loaded (below); an execution that
  // a restart resumes waits for them.
  let handlersLoaded!: () => void;
  const handlersReady = new Promise<void>((resolve) => (handlersLoaded = resolve));
  // In a process of its own (local/stepfunctions/fork-step-functions.ts), as dynalite and fauxqs: the workflows
  // every start sets off run beside the gateway and the handlers, not on their thread.
  const stepFunctions = await forkLocalStepFunctions({
    host,
    dataDir: join(dataDir, 'stepfunctions'),
    stateMachines: workflows.map((w) => ({ name: w.name, type: w.type, definition: w.definition })),
    ...LOCAL_AWS,
    // Task states reach the local DynamoDB and the local handlers, as Step Functions' optimized integrations
    // reach DynamoDB and Lambda. The handlers stay here: a Lambda task comes back to this process to run one.
    dynamodbEndpoint: dynamodbForHandlers,
    context: lambdaContext,
    // Each function's Lambda timeout, as behind the gateway: a task that runs past it fails with Lambda.Unknown.
    timeoutMsOf: (functionName) => {
      const spec = specOfFunction(functionName);
      return spec === undefined ? undefined : timeoutOf(spec).timeoutMs;
    },
    resolve: async (functionName) => {
      await handlersReady;
      const spec = specOfFunction(functionName);
      return spec === undefined ? undefined : (loaded.get(spec.name) as LocalLambdaHandler | undefined);
    },
    // Ended executions kept for the viewer and DescribeExecution; older ones are forgotten (names stay taken).
    ...(process.env.HOOKFLOW_LOCAL_EXECUTIONS_MAX_MB === undefined
      ? {}
      : { executionsMaxBytes: megabytes('HOOKFLOW_LOCAL_EXECUTIONS_MAX_MB') }),
    // Fault injection for tests: the first N starts answer ThrottlingException.
    faults: {
      throttleStarts: Number(process.env.HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS ?? 0),
      // And the first N task sends carried out with their answers lost (a 500).
      loseTaskAnswers: Number(process.env.HOOKFLOW_LOCAL_SFN_LOSE_TASK_ANSWERS ?? 0),
      // And the first N Lambda tasks failed with Lambda.ServiceException after their function ran.
      lambdaServiceErrors: Number(process.env.HOOKFLOW_LOCAL_LAMBDA_SERVICE_ERRORS ?? 0),
      rates: throttles.sfn,
      ...(throttles.sfnOpenExecutions === undefined ? {} : { openExecutions: throttles.sfnOpenExecutions }),
    },
  });
  progress(
    `Step Functions (aws-local-stepfunctions) at ${stepFunctions.endpoint}: ${workflows.map((w) => w.name).join(', ')}`,
  );

  const sfn = new SFNClient({ endpoint: stepFunctions.endpoint, disableHostPrefix: true });
  const gateway = await startGateway({
    host,
    port: Number(args.port),
    lambdaRoutes: handlers.flatMap((spec) =>
      spec.routes.map((route) => ({
        ...route,
        target: {
          functionName: `hookflow-${spec.name}`,
          handler: (event, context) => loaded.get(spec.name)!(event, context),
          ...timeoutOf(spec),
        } satisfies GatewayTarget,
      })),
    ),
    throttle: {
      ...(throttles.gateway === undefined ? {} : { stage: throttles.gateway }),
      routes: throttles.routes,
    },
    localRoutes: [
      { method: 'GET', path: '/executions/{executionArn+}', target: executionViewer(sfn) },
      { method: 'GET', path: '/health', target: async () => ({ statusCode: 200, body: { status: 'ok' } }) },
    ],
  });

  progress(`gateway listening at ${gateway.url} (every route answers 503 until ready)`);

  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbForHandlers,
    AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
    AWS_ENDPOINT_URL_SQS: sqsProxy?.endpoint ?? sqs.endpoint,
    AWS_ENDPOINT_URL_S3: s3ForHandlers,
    BODIES_BUCKET,
    // Fault injection for tests: a queue that does not exist makes every SendMessageBatch fail.
    FANOUT_QUEUE_URL:
      process.env.HOOKFLOW_LOCAL_SQS_FAIL_SENDS === '1' ? `${fanout.queueUrl}-missing` : fanout.queueUrl,
    REGISTRY_TABLE: TABLES.registry,
    DEDUPE_TABLE: TABLES.dedupe,
    EXECUTION_LINK_TEMPLATE: `${gateway.url}/executions/{executionArn}`,
    POWERTOOLS_LOG_LEVEL: args['log-level'],
    // One process serves every handler and stand-in here, on a laptop or a shared CI machine: a call may wait
    // behind a 1,000-item batch far longer than in AWS. A timeout is for a hung connection, not a busy laptop.
    AWS_REQUEST_TIMEOUT_MS: process.env.AWS_REQUEST_TIMEOUT_MS ?? '10000',
  });

  const dynamodbClient = new DynamoDBClient({ endpoint: dynamodb.endpoint });
  await createTables(dynamodbClient, TABLES);
  // DynamoDB's TTL on the dedupe table (claims, records, run guards), which dynalite does not have.
  const ttlSweeper = new TtlSweeper(
    dynamodbClient,
    {
      name: TABLES.dedupe,
      keyAttributes: [dedupeTableSchema.partitionKey],
      ttlAttribute: dedupeTableSchema.timeToLiveAttribute,
    },
    ttlSweep,
  );
  ttlSweeper.start(progress);
  const seeded = await seedRegistry(dynamodbClient, config, {
    registryTable: TABLES.registry,
    workflows: new Map(workflows.map((w) => [w.name, { arn: stepFunctions.stateMachineArn(w.name), type: w.type }])),
  });
  progress(
    `registry holds ${args.config}: ${Object.entries(seeded.registrations)
      .map(([kind, count]) => `${count} ${kind}(s)`)
      .join(', ')}, ${seeded.apiKeys} API key(s)${
      seeded.removed.length === 0
        ? ''
        : `; removed ${seeded.removed.map((key) => key.pk).join(', ')} (no longer in the file)`
    }`,
  );

  const bundles = await bundling;
  // Lambda concurrency (HOOKFLOW_LOCAL_THROTTLE's lambda, lambda:<handler>): every invocation, from the gateway,
  // the SQS event source or a workflow's Lambda task, takes a slot of its function and of the account.
  const account = throttles.lambdaConcurrency === undefined ? [] : [new ConcurrencyLimit(throttles.lambdaConcurrency)];
  for (const [name, bundle] of bundles) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle is CommonJS, as in Lambda
    const handler = (require(bundle) as { handler: LambdaHandler }).handler;
    const reserved = throttles.reservedConcurrency[name];
    const limits = [...(reserved === undefined ? [] : [new ConcurrencyLimit(reserved)]), ...account];
    loaded.set(name, limitConcurrency(`hookflow-${name}`, handler, limits));
  }
  progress(`bundled ${bundles.size} handlers with esbuild, as Lambda runs them`);
  handlersLoaded();

  // Queue workers get their messages as Lambda's SQS event source mapping delivers them.
  const eventSources = handlers
    .filter((spec) => spec.consumes === 'fanout')
    .map((spec) => {
      // Lambda refuses a mapping whose function may run longer than the queue's visibility timeout
      // (local/sqs/event-source.ts). The local queue's is short, so a retry comes sooner: the worker's timeout here
      // is the shorter of the two, and the start says so.
      const { timeoutMs } = timeoutOf(spec);
      const capped = timeoutMs !== undefined && timeoutMs > fanoutVisibilitySeconds * 1000;
      if (capped) {
        progress(
          `hookflow-${spec.name}'s timeout: ${fanoutVisibilitySeconds} s, the local queue's visibility timeout (else ${timeoutMs / 1000} s)`,
        );
      }
      return startSqsEventSource({
        client: sqsClient,
        queueUrl: fanout.queueUrl,
        queueArn: fanout.queueArn,
        functionName: `hookflow-${spec.name}`,
        handler: loaded.get(spec.name) as unknown as SqsHandler,
        context: lambdaContext,
        ...(timeoutMs === undefined ? {} : { timeoutMs: capped ? fanoutVisibilitySeconds * 1000 : timeoutMs }),
        visibilityTimeoutSeconds: fanoutVisibilitySeconds,
        log: progress,
      });
    });

  for (const spec of handlers) {
    for (const route of spec.routes) progress(`  ${route.method.padEnd(6)} ${gateway.url}${route.path}`);
  }
  progress(`  GET    ${gateway.url}/executions/{executionArn}   (local execution viewer)`);
  progress(
    `try: curl -s -X POST ${gateway.url}/flows/hello/trigger -H 'Authorization: Bearer hf_local_dev_key' -d '{"hello":"world"}'`,
  );
  gateway.open();
  progress(`ready at ${gateway.url}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    progress(`${signal}: stopping`);
    const closed = new Promise<void>((done) => gateway.server.close(() => done()));
    gateway.server.closeAllConnections();
    await closed;
    await Promise.all(eventSources.map((source) => source.stop()));
    await ttlSweeper.stop();
    await sqsProxy?.close();
    await sqs.close();
    await stepFunctions.close();
    await dynamodbProxy?.close();
    await dynamodb.close();
    process.exit(); // 0, or the exit code a crashed service set below
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A protocol server that dies leaves every request that needs it failing (503s, or 500s where the SDK gives up
  // on a refused connection): the stack stops instead, naming it, with a non-zero code a supervisor sees.
  // Ctrl-C in a terminal signals the children too (one process group): an exit once stopping is not a crash.
  void Promise.race([dynamodb.crashed, sqs.crashed, stepFunctions.crashed]).then((why) => {
    if (stopping) return;
    process.exitCode = 1;
    progress(`${why}: the local stack cannot serve without it`);
    void stop('crash');
  });
}

/**
 * DynamoDB's refusal for a request over a partition's limit (`dynamodb:<pk>`: KeyRangeThroughputExceeded) or the
 * table-wide one (`dynamodb`: an on-demand table's AccountLimitExceeded), or undefined to let it through.
 */
function dynamodbRefusal(
  table: RateLimit | undefined,
  partitions: Readonly<Record<string, RateLimit>>,
): (operation: string, body: Buffer) => AwsErrorAnswer | undefined {
  const tableBucket = table === undefined ? undefined : new TokenBucket(table);
  const partitionBucket = buckets(partitions);
  return (operation, body) => {
    const arn = `arn:aws:dynamodb:${LOCAL_AWS.region}:${LOCAL_AWS.accountId}:table/${tableOf(body)}`;
    const key = partitionKeyOf(body);
    if (key !== undefined && !partitionBucket(key)) {
      return throttleAnswer.dynamodb(dynamodbThrottlingReason(operation, 'partition'), arn);
    }
    if (tableBucket?.take() === false) {
      return throttleAnswer.dynamodb(dynamodbThrottlingReason(operation, 'table'), arn);
    }
    return undefined;
  };
}

/** The config file, or the stack stops here with what is wrong in it (no stack trace: the file is the user's). */
function loadConfigOrExit(path: string): LocalConfig {
  return checkOrExit(() => loadLocalConfig(path));
}

function checkOrExit<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    process.stderr.write(`[hookflow] refusing to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

/** A number of seconds, 0 or more, from the environment variable `name` (unset: `fallback`). */
function seconds<Fallback extends number | undefined>(name: string, fallback: Fallback): number | Fallback {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) throw new Error(`${name} must be 0 or more seconds`);
  return value;
}

/** A positive number of MiB from the environment, as bytes; anything else stops the start, naming the setting. */
function megabytes(name: string): number {
  const value = Number(process.env[name]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of MiB`);
  return Math.floor(value * 1024 * 1024);
}

main().catch((error: unknown) => {
  process.stderr.write(`[hookflow] failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

/** An address nothing listens on: a port the system handed out, then closed. */
async function closedPortUrl(host: string): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, host, done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  return `http://${host}:${typeof address === 'object' && address !== null ? address.port : 9}`;
}
