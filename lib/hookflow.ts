import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ApplicationLogLevel, Function as LambdaFunction, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type IStateMachine, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  type RegistryPartition,
  registryPartitionPrefixes,
  registryPartitionReads,
  webhookWritablePrefixes,
  dedupePartitionPrefixes,
  DELIVERIES_INDEX,
} from '../functions/adapters/aws/registry-items';
import { type Config, parseConfig, settingNames } from '../functions/core/config';
import type { WorkflowTarget } from '../functions/core/ports';
import { parseRegistration } from '../functions/core/registration';
import { clientWebhookRegistrations } from '../functions/styles/client-webhook/registration';
import { eventWorkflowRegistrations } from '../functions/styles/events/registration';
import { flowRegistrations } from '../functions/styles/flow-trigger/registration';
import { inboundWorkflowRegistrations } from '../functions/styles/inbound/registration';
import { webhookTemplateRegistrations } from '../functions/styles/registered-webhooks/registration';
import type { AnyRegistrationKind } from '../functions/styles/registrations';
import { type HandlerSpec, type WorkflowBinding, handlers, timeoutSecondsOf } from '../functions/routes';
import { flattenCfnReference } from './cfn-reference';
import { FANOUT_MAX_CONCURRENCY, FanoutQueue } from './fanout-queue';
import { HookflowFunction, handlerLogging } from './hookflow-function';
import { HookflowHttpApi, type ThrottleProps } from './hookflow-http-api';
import { HookflowTables } from './hookflow-tables';
import { HookflowBodies } from './hookflow-bodies';
import { DeliveryAlarms } from './delivery-alarms';
import { leadingKeysLike } from './leading-keys';
import { RegistryRecord } from './registry-record';
import { startsWithRunGuard } from './express-run-guard';

/**
 * Handler settings to override, for every handler (functions/core/config.ts is their one definition), e.g.
 * `{ SYNC_WAIT_MS: 20000 }`. Numbers may be given as numbers or strings. Checked at synth with the schema the
 * handlers parse at cold start: an unknown name, a value the schema refuses, or one that contradicts a
 * handler's timeout fails the synth, naming the setting. The table names and the queue URL are the construct's.
 */
export interface HandlerSettings {
  /**
   * The execution link returned to callers; `{executionArn}` is replaced by the execution's ARN.
   * @default - the Step Functions console of the stack's region
   */
  readonly EXECUTION_LINK_TEMPLATE?: string;
  /** How long a dedupe key (Idempotency-Key, uid) is remembered, in seconds. @default 86400 */
  readonly DEDUPE_TTL_SECONDS?: number | string;
  /** How long a duplicate waits for the first request with its key before 409 "still in progress", ms. @default 3000 */
  readonly DEDUPE_WAIT_MS?: number | string;
  /**
   * How long a claim's owner has to record its run before a duplicate may take the claim over, in seconds. Must
   * outlast the timeout of every handler that dedupes.
   * @default - per handler: its timeout + 5 s, at least 30 s
   */
  readonly DEDUPE_LEASE_SECONDS?: number | string;
  /**
   * Largest body of the requests that start no run (admin routes, callbacks) and largest workflow input of one
   * inbound item, in bytes, at most 262144 (Step Functions' input limit). @default 245760
   */
  readonly MAX_BODY_BYTES?: number | string;
  /**
   * Largest body of the requests that start runs, in bytes, at most 6291456 (Lambda's synchronous payload, which
   * the whole event must fit). A run input over Step Functions' 256 KiB gets a reference to the body, kept in the
   * bodies bucket (docs/request-bodies.md). @default 4194304
   */
  readonly MAX_STORED_BODY_BYTES?: number | string;
  /**
   * The longest a synchronous client webhook waits for its run before 202, ms, at most 28000; below the
   * client-webhook handler's timeout.
   * @default 25000
   */
  readonly SYNC_WAIT_MS?: number | string;
  /** How long an early callback is kept for its wait (events style), seconds, at most 604800. @default 86400 */
  readonly EARLY_CALLBACK_TTL_SECONDS?: number | string;
  /** How long a wait item outlives its task's timeout (events style), seconds, at most 2592000. @default 86400 */
  readonly WAIT_ITEM_GRACE_SECONDS?: number | string;
  /** How long a callback's claim on its waiting task holds, seconds, at most 900. @default 30 */
  readonly CALLBACK_CLAIM_LEASE_SECONDS?: number | string;
  /**
   * How long each handler serves registry reads (flows, API keys, secret hashes, verifiers, registrations)
   * from memory, seconds, 0 to 300; 0 reads the registry on every request. It is also how long a revoked key or
   * a rotated-out secret may still work on a warm handler (docs/aws-calls.md#the-registry-cache).
   * @default 5
   */
  readonly REGISTRY_CACHE_SECONDS?: number | string;
  /** Partitions of the `deliveries` index (1,000 writes/s each), at most 64. @default 4 */
  readonly DELIVERY_INDEX_SHARDS?: number | string;
  /** Largest body kept on its record (base64) rather than in the body store, bytes. @default 4096 */
  readonly DELIVERY_INLINE_BODY_BYTES?: number | string;
  /** Most index items one deliveries list call reads before it answers with a `next` cursor. @default 2000 */
  readonly DELIVERY_LIST_MAX_READ?: number | string;
  /** Most items one inbound batch may carry (413 above), at most 10000. @default 1000 */
  readonly MAX_BATCH_ITEMS?: number | string;
  /**
   * How long delivery records, replay claims and stored bodies are kept, in days, at most 365 (also the bodies
   * bucket's lifecycle expiration); the oldest `from` the deliveries API accepts (docs/deliveries.md). @default 7
   */
  readonly DELIVERY_RETENTION_DAYS?: number | string;
  /** Largest inbound request body in bytes, at most 6000000 (Lambda's synchronous payload). @default 5242880 */
  readonly INBOUND_MAX_BODY_BYTES?: number | string;
  /**
   * How many times the fan-out worker sends a batch item back to its queue, delayed, while Step Functions or
   * DynamoDB is busy (throttled), before the item fails like any other (then the dead-letter queue after
   * `fanoutMaxReceiveCount` receives), at most 1000. @default 20
   */
  readonly FANOUT_BUSY_REQUEUES?: number | string;
  /** The first such delay in seconds, doubled each time (with jitter) up to SQS's 900, at most 900. @default 2 */
  readonly FANOUT_BUSY_BACKOFF_SECONDS?: number | string;
  /**
   * How long one attempt of an AWS API call may wait for its answer before the SDK gives it up and retries
   * (4 attempts at DynamoDB, 3 at Step Functions and SQS), milliseconds, at most 10000; then the caller gets 503
   * with Retry-After. @default 2000
   */
  readonly AWS_REQUEST_TIMEOUT_MS?: number | string;
  /**
   * How long before its Lambda timeout an HTTP handler stops waiting on AWS and answers 503 with Retry-After, its
   * AWS calls cut short and its delivery recorded, milliseconds, at most 10000; 0 turns it off (then Lambda stops
   * the function at its timeout and API Gateway answers 500 `{"message":"Internal Server Error"}`, unrecorded).
   * Synth refuses a reserve that leaves a handler no time, or SYNC_WAIT_MS or DEDUPE_WAIT_MS no room before it.
   * The wait-for-event function keeps the same reserve to give an early callback back: it sends an unanswered
   * resume again only until then (0: not at all; docs/waits.md, "A resume whose answer was lost").
   * @default 1000
   */
  readonly ANSWER_RESERVE_MS?: number | string;
}

// Every name above is a setting the handlers read: renaming one in functions/core/config.ts fails the typecheck.
const _settingsAreConfig: readonly (keyof Config)[] = [] as (keyof HandlerSettings)[];
void _settingsAreConfig;

/** Lambda settings of one handler (`handlers` prop). */
export interface HandlerOptions {
  /**
   * Memory in MiB, 128 to 10,240 (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
   * Lambda gives CPU in proportion to memory.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * The Lambda timeout, 1 s to 15 min. A handler behind an API Gateway route answers within API Gateway's 30 s
   * integration timeout anyway; a handler that waits for runs (client-webhook) needs more than `SYNC_WAIT_MS`.
   * @default the handler's own in functions/routes.ts (29 s for client-webhook and inbound, 60 s for
   * inbound-fanout), else 10 seconds
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency: at most this many instances of the handler run at once, and they are set aside from
   * the account's pool (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). Use it to
   * keep one style from taking every instance, e.g. `{ 'client-webhook': { reservedConcurrentExecutions: 200 } }`:
   * sync client webhooks hold an instance while their run goes on, so at 100 rps of 10 s runs they would take
   * the default 1,000 (docs/scale.md). Beyond it API Gateway answers 500 for that route only; the other styles
   * keep their capacity. For `inbound-fanout` it must be at least the queue's maximum concurrency (20), or the
   * event source is throttled (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
   * @default - none: every handler draws on the account's unreserved concurrency (reserving in an account whose
   * quota is low can fail the deploy: Lambda keeps 100 unreserved)
   */
  readonly reservedConcurrentExecutions?: number;
}

/** A custom domain for the API (`customDomain` prop): a Regional API Gateway domain name mapped to its stage. */
export interface HookflowDomainProps {
  /** The domain name, e.g. `hooks.example.com`. Point a DNS record (CNAME or alias) at `http.domainName`. */
  readonly domainName: string;
  /**
   * An ACM certificate for `domainName`, in the stack's own region: a Regional custom domain name needs one
   * there (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-regional-api-custom-domain-create.html).
   */
  readonly certificate: ICertificate;
}

/** What `new Hookflow(scope, id, props)` accepts. Every prop is optional. */
export interface HookflowProps {
  /**
   * Stage-wide API Gateway throttling: steady requests per second and the burst above it, across all routes.
   * @default - `{ rateLimit: 100, burstLimit: 200 }`
   */
  readonly throttle?: ThrottleProps;
  /**
   * What happens to the tables and log groups when they leave the stack (or the stack is deleted).
   * @default RemovalPolicy.RETAIN: the registry holds registrations and key hashes
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long the handlers' and the API's access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Which of Lambda's own log lines (its system log, in the JSON log format) reach each handler's log group:
   * `DEBUG`, `INFO` or `WARN`. At `WARN` Lambda drops the START, END and REPORT lines it writes for every
   * invocation (INFO), about 260 bytes of CloudWatch Logs ingestion per request; what a REPORT line said
   * (duration, memory used, init duration) then comes from Lambda's CloudWatch metrics (Duration, Errors,
   * Throttles, ConcurrentExecutions) or Lambda Insights. `SystemLogLevel.INFO` keeps them
   * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html; docs/construct.md, "Logs").
   * @default SystemLogLevel.WARN
   */
  readonly systemLogLevel?: SystemLogLevel;
  /**
   * The least severe handler line that reaches the log groups: `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` or
   * `FATAL`. At `INFO` each handler writes one compact line per successful request and every warning and error
   * in full; at `WARN` only warnings and errors. Lambda passes it to the handlers (AWS_LAMBDA_LOG_LEVEL), whose
   * logger then writes nothing below it.
   * @default ApplicationLogLevel.INFO
   */
  readonly applicationLogLevel?: ApplicationLogLevel;
  /**
   * Deliveries of a fan-out message before it moves to the dead-letter queue, 1 to 1,000
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
   * @default 5
   */
  readonly fanoutMaxReceiveCount?: number;
  /**
   * Who is told when a fan-out item lands in the dead-letter queue (an accepted item that never ran), e.g.
   * `[new SnsAction(topic)]`, and when delivery records could not be written (the requests were answered; their
   * records are missing). What to do then: docs/construct.md, "When the dead-letter alarm fires", and
   * docs/deliveries.md, "Recording never fails a good request".
   * @default - none: the alarm only changes state in the CloudWatch console
   */
  readonly deadLetterAlarmActions?: readonly IAlarmAction[];
  /**
   * Handler settings to override, for every handler: see HandlerSettings for each with its default.
   * @default - the defaults of functions/core/config.ts, and execution links to the Step Functions console
   */
  readonly handlerSettings?: HandlerSettings;
  /**
   * Memory and timeout per handler, by handler name (functions/routes.ts: `flow-trigger`, `client-webhook`,
   * `inbound`, `inbound-fanout`, …), e.g. `{ 'inbound-fanout': { memorySize: 512 } }`. An unknown name fails
   * the synth.
   * @default - 256 MiB each, and each handler's own timeout
   */
  readonly handlers?: Readonly<Record<string, HandlerOptions>>;
  /**
   * Serve the API on a custom domain too (its execute-api URL keeps working).
   * @default - none: the API is reached at its execute-api URL (`url`)
   */
  readonly customDomain?: HookflowDomainProps;
  /**
   * Use existing tables instead of creating two (e.g. shared with another stack, or kept across stacks). Each
   * must be keyed as functions/adapters/aws/table-schemas.ts says: the registry `pk` + `sk` (strings), the
   * dedupe table `pk` (string) with TTL on `expiresAt`; a `Table` built in the same app is checked at synth.
   * Their removal policy and encryption stay yours; if a table has a customer managed key (`encryptionKey` on
   * the ITable), the handlers are granted it.
   * @default - two new on-demand tables with point-in-time recovery, retained on delete
   */
  readonly tables?: { readonly registry: ITable; readonly dedupe: ITable };
  /**
   * Use an existing fan-out queue and its dead-letter queue instead of creating them. The queue's visibility
   * timeout must be at least six times the fan-out worker's timeout (60 s by default: 360 s), and its redrive
   * policy must send to `deadLetterQueue`, which the dead-letter alarm watches.
   * @default - a new queue (4 days) with a dead-letter queue (14 days), both encrypted, SSL only
   */
  readonly fanoutQueues?: { readonly queue: IQueue; readonly deadLetterQueue: IQueue };
  /**
   * Use an existing bucket for large request bodies instead of creating one. hookflow writes and reads keys under
   * `bodies/` only; the bucket's encryption, lifecycle (expire objects after the delivery retention) and policy
   * stay yours. If it has a KMS key (`encryptionKey` on the IBucket), the handlers are granted it.
   * @default - a new bucket: encrypted (SSE-S3, or `encryptionKey`), public access blocked, TLS only, objects
   * expired after DELIVERY_RETENTION_DAYS, removed as `removalPolicy` says
   */
  readonly bodiesBucket?: IBucket;
  /**
   * A customer managed KMS key to encrypt the tables, queues and bucket hookflow creates (not existing ones); every
   * handler and state machine role that reads or writes them is granted its use.
   * @default - AWS managed keys (DynamoDB) and SQS managed encryption
   */
  readonly encryptionKey?: IKey;
}

/**
 * A workflow's type decides how hookflow starts it (StartSyncExecution for Express) and what it may do (wait for
 * callbacks, report history: Standard only). For a `StateMachine` built in the same app the construct reads it;
 * for one imported by ARN (`StateMachine.fromStateMachineArn`) it cannot, so every binding then requires `type`.
 */
export type WorkflowType = 'EXPRESS' | 'STANDARD';

/**
 * The type of `workflow` as bound by `binding`: read from a CDK-built state machine (a contradicting `type` is
 * an error), else the caller's `type`, else a synth error naming the binding. Guessing STANDARD would register
 * an Express workflow that then fails at run time: hookflow would start it asynchronously and read its outcome
 * with DescribeExecution, which "is not supported by EXPRESS state machine executions"
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
 */
export function workflowTypeOf(binding: string, workflow: IStateMachine, type: WorkflowType | undefined): WorkflowType {
  if (workflow instanceof StateMachine) {
    const actual = workflow.stateMachineType === StateMachineType.EXPRESS ? 'EXPRESS' : 'STANDARD';
    if (type !== undefined && type !== actual) {
      throw new Error(`${binding}: type ${type} given, but ${workflow.node.path} is ${actual}`);
    }
    return actual;
  }
  if (type === undefined) {
    throw new Error(
      `${binding}: ${workflow.node.path} is imported, so its workflow type is unknown: pass type: 'EXPRESS' or 'STANDARD'`,
    );
  }
  return type;
}

/**
 * hookflow as one construct: the HTTP API, one Lambda per handler in functions/routes.ts (its env vars and
 * IAM grants derived from the handler's declared needs), the registry and dedupe tables, and the fan-out
 * queue. Workflows are bound with bindFlow / addClientWebhook / addInboundWorkflow, which both write the
 * registry item and grant the handlers exactly that state machine.
 */
export class Hookflow extends Construct {
  readonly http: HookflowHttpApi;
  readonly tables: HookflowTables;
  readonly fanout: FanoutQueue;
  /** The bucket large request bodies are kept in (docs/request-bodies.md, "Large bodies"). */
  readonly bodies: HookflowBodies;
  /**
   * Delivery records that could not be written, and requests that named no registration, counted from the
   * recording handlers' logs; the alarm notifies `deadLetterAlarmActions` (docs/deliveries.md).
   */
  readonly deliveryAlarms: DeliveryAlarms;
  /** The Lambda functions by handler name (functions/routes.ts). */
  readonly functions: ReadonlyMap<string, LambdaFunction>;
  private readonly specs = new Map<string, HandlerSpec>();
  private readonly allowed = new Set<string>();
  /**
   * One statement per handler and set of Step Functions actions, its resources growing with each workflow bound:
   * a statement per workflow repeats the action and the statement's frame (about 100 characters each), and IAM
   * caps all of a role's inline policies at 10,240 characters, whitespace not counted
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). The app's
   * `@aws-cdk/aws-iam:minimizePolicies` flag would merge them too, but a consumer's app may not set it.
   * test/infra/registry-scale.test.ts holds the largest role under the cap.
   */
  private readonly workflowStatements = new Map<string, PolicyStatement>();

  constructor(scope: Construct, id: string, props: HookflowProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const region = Stack.of(this).region;
    const options = handlerOptions(props.handlers);
    const timeoutOf = (spec: HandlerSpec) => options.get(spec.name)?.timeout?.toSeconds() ?? timeoutSecondsOf(spec);
    const logLevels = {
      ...(props.systemLogLevel === undefined ? {} : { systemLogLevel: props.systemLogLevel }),
      ...(props.applicationLogLevel === undefined ? {} : { applicationLogLevel: props.applicationLogLevel }),
    };
    handlerLogging(logLevels, 'Hookflow'); // checked once here, so that a wrong level names the construct's prop
    const fanoutMaxReceiveCount = props.fanoutMaxReceiveCount ?? 5;
    // SQS accepts a maxReceiveCount of 1 to 1,000:
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
    if (!Number.isInteger(fanoutMaxReceiveCount) || fanoutMaxReceiveCount < 1 || fanoutMaxReceiveCount > 1000) {
      throw new Error(`Hookflow fanoutMaxReceiveCount: ${fanoutMaxReceiveCount} is not a whole number from 1 to 1000`);
    }

    this.tables = new HookflowTables(this, 'Tables', {
      removalPolicy,
      ...(props.tables === undefined ? {} : { existing: props.tables }),
      ...(props.encryptionKey === undefined ? {} : { encryptionKey: props.encryptionKey }),
    });
    this.http = new HookflowHttpApi(this, 'Http', {
      throttle: validThrottle(props.throttle ?? { rateLimit: 100, burstLimit: 200 }),
      logRetention,
      removalPolicy,
      ...(props.customDomain === undefined ? {} : { domain: props.customDomain }),
    });
    const worker = handlers.find((spec) => spec.consumes === 'fanout');
    this.fanout = new FanoutQueue(this, 'Fanout', {
      workerTimeout: Duration.seconds(worker === undefined ? 10 : timeoutOf(worker)),
      maxReceiveCount: fanoutMaxReceiveCount,
      ...(props.deadLetterAlarmActions === undefined ? {} : { alarmActions: props.deadLetterAlarmActions }),
      ...(props.fanoutQueues === undefined ? {} : { existing: props.fanoutQueues }),
      ...(props.encryptionKey === undefined ? {} : { encryptionKey: props.encryptionKey }),
    });

    this.deliveryAlarms = new DeliveryAlarms(this, 'Deliveries', {
      ...(props.deadLetterAlarmActions === undefined ? {} : { alarmActions: props.deadLetterAlarmActions }),
    });
    this.bodies = new HookflowBodies(this, 'Bodies', {
      retentionDays: Number(props.handlerSettings?.DELIVERY_RETENTION_DAYS ?? 7),
      removalPolicy,
      ...(props.bodiesBucket === undefined ? {} : { existing: props.bodiesBucket }),
      ...(props.encryptionKey === undefined ? {} : { encryptionKey: props.encryptionKey }),
    });

    const functions = new Map<string, LambdaFunction>();
    for (const spec of handlers) {
      const environment: Record<string, string> = {
        // Every handler's config names both tables; only the declared needs below grant access to them.
        REGISTRY_TABLE: this.tables.registry.tableName,
        DEDUPE_TABLE: this.tables.dedupe.tableName,
        EXECUTION_LINK_TEMPLATE: `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/{executionArn}`,
        ...(spec.needs.includes('queue:send') ? { FANOUT_QUEUE_URL: this.fanout.queue.queueUrl } : {}),
        ...(spec.needs.includes('bodies:write') || spec.needs.includes('bodies:read')
          ? { BODIES_BUCKET: this.bodies.bucket.bucketName }
          : {}),
        // A claim's lease must outlast its owner's timeout, or a duplicate could take over a live owner's claim
        // and start a second run (Express names give no second line of defence).
        ...(spec.needs.includes('dedupe:write')
          ? { DEDUPE_LEASE_SECONDS: String(Math.max(30, timeoutOf(spec) + 5)) }
          : {}),
        ...settingsEnvironment(props.handlerSettings),
      };
      checkSettings(spec, environment, timeoutOf(spec));
      const handlerOptions = options.get(spec.name);
      const fn = new HookflowFunction(this, pascal(spec.name), {
        spec,
        environment,
        logRetention,
        removalPolicy,
        ...logLevels,
        ...(handlerOptions?.memorySize === undefined ? {} : { memorySize: handlerOptions.memorySize }),
        ...(handlerOptions?.timeout === undefined ? {} : { timeout: handlerOptions.timeout }),
        ...(handlerOptions?.reservedConcurrentExecutions === undefined
          ? {}
          : { reservedConcurrentExecutions: handlerOptions.reservedConcurrentExecutions }),
      }).function;
      this.grantNeeds(fn, spec);
      if (spec.needs.includes('deliveries:write')) this.deliveryAlarms.watch(pascal(spec.name), fn.logGroup);
      for (const route of spec.routes) this.http.addRoute(route.method, route.path, fn);
      if (spec.consumes === 'fanout') this.fanout.addWorker(fn);
      functions.set(spec.name, fn);
      this.specs.set(spec.name, spec);
    }
    this.functions = functions;
  }

  /**
   * The IAM statements of a handler's declared needs, each action one its code calls (test/infra/iam-*.test.ts
   * simulates every call the e2e suite records against these, and fails on an action no call uses). Never
   * grantReadData/grantReadWriteData: those add Scan, BatchWriteItem and whole-table reads. Actions per
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html and
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
   */
  private grantNeeds(fn: LambdaFunction, spec: HandlerSpec): void {
    // Tables and the queue encrypted with a customer managed key: a handler that reads or writes them uses the
    // key too (DynamoDB and SQS call KMS as the caller). None is set by default, so no grant then.
    // Readers get kms:Decrypt only; writers encrypt as well.
    const grantKey = (key: IKey | undefined, uses: boolean, writes: boolean) => {
      if (writes) key?.grantEncryptDecrypt(fn);
      else if (uses) key?.grantDecrypt(fn);
    };
    const needs = spec.needs;
    grantKey(
      this.tables.registry.encryptionKey,
      needs.some((need) => need.startsWith('registry:')),
      needs.includes('webhooks:write'),
    );
    grantKey(
      this.tables.dedupe.encryptionKey,
      needs.some((need) => need === 'dedupe:read' || need === 'waits:read' || need === 'deliveries:read'),
      needs.some(
        (need) =>
          need === 'dedupe:write' ||
          need === 'waits:write' ||
          need === 'deliveries:write' ||
          need === 'deliveries:mark',
      ),
    );
    // SQS producers of a KMS-encrypted queue need kms:GenerateDataKey and kms:Decrypt:
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
    grantKey(this.fanout.queue.encryptionMasterKey, false, needs.includes('queue:send'));
    const kinds = spec.needs.flatMap((need) => {
      const kind = /^registry:read:(.+)$/.exec(need)?.[1] as RegistryPartition | undefined;
      return kind === undefined ? [] : [kind];
    });
    for (const action of ['GetItem', 'Query'] as const) {
      const prefixes = kinds
        .filter((kind) => registryPartitionReads[kind] === action)
        .map((k) => registryPartitionPrefixes[k]);
      if (prefixes.length === 0) continue;
      // The registry holds API key hashes, verifier secrets and signing secrets side by side: each handler reads
      // only the partitions it declares, the way its code reads them, whatever a request makes it do.
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: [`dynamodb:${action}`],
          resources: [this.tables.registry.tableArn],
          conditions: leadingKeysLike(prefixes),
        }),
      );
    }
    // One statement on the dedupe table: `actions` on the items under `prefixes` only (dynamodb:LeadingKeys).
    const allowOnDedupe = (actions: readonly string[], prefixes: readonly string[]) =>
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: actions.map((action) => `dynamodb:${action}`),
          resources: [this.tables.dedupe.tableArn],
          conditions: leadingKeysLike(prefixes),
        }),
      );
    for (const need of spec.needs) {
      // The dedupe table holds claims and ledgers next to waiting tasks' tokens: dedupe needs reach the claims
      // only, waits needs the wait items only (dedupePartitionPrefixes), whatever a request makes a handler do.
      if (need === 'dedupe:read') allowOnDedupe(['GetItem'], dedupePartitionPrefixes.claims);
      // Claim (PutItem), take over or complete (UpdateItem), release (DeleteItem), read a live claim (GetItem).
      if (need === 'dedupe:write') {
        allowOnDedupe(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], dedupePartitionPrefixes.claims);
        // A duplicate of a claim whose guarded Express run names itself on the run guard's item reads that item
        // (functions/core/runs/run-guard.ts): read only, the state machines' roles write it.
        allowOnDedupe(['GetItem'], [dedupePartitionPrefixes.runGuard]);
      }
      // Large bodies (issue 19): objects under bodies/ only (lib/hookflow-bodies.ts says what each grants).
      if (need === 'bodies:write') this.bodies.grantWrite(fn);
      if (need === 'bodies:read') this.bodies.grantRead(fn);
      if (need === 'deliveries:read') {
        // Delivery records (docs/deliveries.md): listed and found by id on the dedupe table's `deliveries` index
        // (Query: an index has an ARN of its own, `<table>/index/<name>`), read whole from the table (GetItem), where
        // a record is its claim (a claim's prefix) or an item of its own (`dlv#`). Never a Scan.
        // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['dynamodb:Query'],
            resources: [`${this.tables.dedupe.tableArn}/index/${DELIVERIES_INDEX}`],
          }),
        );
        allowOnDedupe(['GetItem'], [...dedupePartitionPrefixes.claims, dedupePartitionPrefixes.records]);
        // A record a guarded claim carries names its run on the run guard's item (core/deliveries/guarded-runs.ts):
        // read, a page's worth in one BatchGetItem, never written (the state machines' roles write it).
        // dynamodb:LeadingKeys applies to BatchGetItem's keys as to GetItem's (same page as above).
        allowOnDedupe(['BatchGetItem'], [dedupePartitionPrefixes.runGuard]);
      }
      // A record no claim carries: one PutItem of its own dlv# item (docs/deliveries.md).
      if (need === 'deliveries:write') allowOnDedupe(['PutItem'], [dedupePartitionPrefixes.records]);
      // A delivery queued while the engine was busy, marked started by the worker that started it: one conditional
      // UpdateItem of its own dlv# item (docs/deliveries.md, "Queue when busy").
      if (need === 'deliveries:mark') allowOnDedupe(['UpdateItem'], [dedupePartitionPrefixes.records]);
      if (need === 'queue:send') {
        // sqs:SendMessage also authorizes SendMessageBatch, which has no action of its own:
        // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.fanout.queue.queueArn] }),
        );
      }
      if (need === 'webhooks:write') {
        // Registered webhooks live in the registry table next to API keys: this handler may write only their
        // items, whatever a request makes it do. No GetItem: the store reads a webhook's partition with Query.
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: [
              'dynamodb:Query',
              'dynamodb:BatchGetItem',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
              'dynamodb:BatchWriteItem',
            ],
            resources: [this.tables.registry.tableArn],
            conditions: leadingKeysLike(webhookWritablePrefixes),
          }),
        );
      }
      if (need === 'waits:read') allowOnDedupe(['GetItem'], [dedupePartitionPrefixes.waits]);
      // Begin a wait or keep an early callback (PutItem); claim, confirm, release, expire one (UpdateItem).
      if (need === 'waits:write') allowOnDedupe(['PutItem', 'UpdateItem'], [dedupePartitionPrefixes.waits]);
      if (need === 'engine:succeed') {
        fn.addToRolePolicy(new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: ['*'] }));
        Validations.of(fn.role!).acknowledge({
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason:
            'states:SendTaskSuccess takes a task token, not a resource: IAM offers no resource-level scoping for it. The token itself is the capability.',
        });
      }
      if (need === 'engine:resume') {
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: ['*'] }),
        );
        Validations.of(fn.role!).acknowledge({
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason:
            'states:SendTaskSuccess/SendTaskFailure take a task token, not a resource: IAM offers no resource-level scoping for them. The token itself is the capability.',
        });
      }
    }
  }

  /** The API's base URL. */
  get url(): string {
    return this.http.url;
  }

  /**
   * Lets a workflow read the bodies hookflow stored for it (a run whose input holds `{"hookflowBody": ...}` in
   * place of its payload: docs/request-bodies.md, "Large bodies"): s3:GetObject on the bodies' keys, and
   * s3:ListBucket so that an expired body reads as NoSuchKey rather than AccessDenied. Pass the state machine
   * (its role, for a GetObject task) or the Lambda function that calls `readHookflowBody`.
   */
  grantReadBodies(grantee: IGrantable): void {
    this.bodies.grantRead(grantee);
  }

  /**
   * Seed 1: `POST /flows/{flowId}/trigger` starts `workflow`. Unpublished flows answer 404. `type` is required
   * for a state machine imported by ARN (see WorkflowType). API keys are created after deploy
   * (scripts/create-api-key.ts): keys never go into a template.
   */
  bindFlow(
    flowId: string,
    workflow: IStateMachine,
    options: {
      type?: WorkflowType;
      published?: boolean;
      /**
       * When Step Functions is busy: `queue` keeps the trigger and starts it once the engine is free (202 `queued`
       * naming the run), `reject` answers 503 with Retry-After for the caller to retry (docs/deliveries.md,
       * "Queue when busy"). @default 'reject'
       */
      whenBusy?: 'queue' | 'reject';
    } = {},
  ): void {
    const { type, ...rest } = options;
    this.register(flowRegistrations, { flowId, ...rest, workflow: this.named(workflow, type) });
  }

  /**
   * Seed 2: `GET|POST /webhook/{client}/{name}` runs `workflow` as `runAs` (or `devWorkflow` in mode dev).
   * A key is set after deploy (scripts/set-client-webhook-key.ts): keys never go into a template.
   */
  addClientWebhook(webhook: {
    client: string;
    name: string;
    workflow: IStateMachine;
    /** Required when `workflow` is imported by ARN (see WorkflowType). */
    type?: WorkflowType;
    devWorkflow?: IStateMachine;
    /** Required when `devWorkflow` is imported by ARN. */
    devType?: WorkflowType;
    runAs: string;
    mode?: 'productive' | 'dev';
    /**
     * When Step Functions is busy, for an `?async` call: `queue` keeps the call and starts it once the engine is free
     * (202 `QUEUED` naming the run), `reject` answers 503 (docs/deliveries.md, "Queue when busy"). A sync call never
     * queues. @default 'queue'
     */
    whenBusy?: 'queue' | 'reject';
  }): void {
    const { workflow, type, devWorkflow, devType, ...rest } = webhook;
    this.register(clientWebhookRegistrations, {
      ...rest,
      workflow: this.named(workflow, type),
      ...(devWorkflow === undefined ? {} : { devWorkflow: this.named(devWorkflow, devType) }),
    });
  }

  /**
   * Seed 4: `POST /inbound` may start `workflow`, named by `name` or `workflowId`. `type` is required for a
   * state machine imported by ARN (see WorkflowType).
   */
  addInboundWorkflow(workflow: {
    name: string;
    workflowId: string;
    stateMachine: IStateMachine;
    type?: WorkflowType;
    /**
     * When Step Functions is busy: `queue` keeps the delivery and starts it once the engine is free (202 `queued`),
     * `reject` answers 503 with Retry-After (docs/deliveries.md, "Queue when busy").
     * @default 'queue'
     */
    whenBusy?: 'queue' | 'reject';
  }): void {
    const { stateMachine, type, ...rest } = workflow;
    this.register(inboundWorkflowRegistrations, { ...rest, workflow: this.named(stateMachine, type) });
  }

  /**
   * Seed 3: `POST /api/v2/webhook?ref=<ref>` starts `stateMachine`, and so does every CloudEvent of one of
   * `eventTypes` posted to `/api/v2/event`. To wait for callbacks it must be STANDARD (see WaitForEvent).
   * `type` is required for a state machine imported by ARN (see WorkflowType).
   */
  addEventWorkflow(workflow: {
    ref: string;
    stateMachine: IStateMachine;
    type?: WorkflowType;
    eventTypes?: readonly string[];
    /**
     * When Step Functions is busy, for `POST /api/v2/webhook?ref=`: `queue` keeps the delivery and starts it once the
     * engine is free (202 `queued` with its runRef), `reject` answers 503 (docs/deliveries.md, "Queue when busy").
     * @default 'queue'
     */
    whenBusy?: 'queue' | 'reject';
  }): void {
    const { stateMachine, type, ...rest } = workflow;
    this.register(eventWorkflowRegistrations, { ...rest, workflow: this.named(stateMachine, type) });
  }

  /**
   * Seed 5: lets organisation `orgId` bind `stateMachine` (as template `id`) to its registered webhooks;
   * `POST /api/trigger-webhooks/{webhookId}` then starts it. It must be STANDARD: a process reports each
   * step's output from the execution history, which Express workflows don't keep. A state machine imported by
   * ARN needs `type: 'STANDARD'`: the construct cannot check it otherwise.
   */
  addWebhookWorkflow(template: {
    orgId: string;
    id: string;
    name?: string;
    stateMachine: IStateMachine;
    type?: WorkflowType;
  }): void {
    const { stateMachine, type, ...rest } = template;
    this.register(webhookTemplateRegistrations, { ...rest, workflow: this.named(stateMachine, type) });
  }

  /**
   * Registers one registration given as data, in the shape local/hookflow.local.json lists it (docs/configuration.md),
   * secrets excluded: `kind` is one of `registrationStyles`, and `workflows` resolves each workflow name the
   * registration holds to a state machine (imported ones need `type`).
   */
  addRegistration(
    kind: AnyRegistrationKind,
    registration: unknown,
    workflows: (name: string) => IStateMachine | { stateMachine: IStateMachine; type: WorkflowType },
  ): void {
    this.register(kind, registration, (name) => {
      const workflow = workflows(name);
      return Construct.isConstruct(workflow) ? { stateMachine: workflow } : workflow;
    });
  }

  /** Workflows bound by the typed methods, by the name their registration gives them (their construct path). */
  private readonly bound = new Map<string, { stateMachine: IStateMachine; type?: WorkflowType }>();

  private named(stateMachine: IStateMachine, type: WorkflowType | undefined): string {
    this.bound.set(stateMachine.node.path, { stateMachine, ...(type === undefined ? {} : { type }) });
    return stateMachine.node.path;
  }

  /**
   * Every registration passes here: validated with its style's schema (functions/styles/<style>/registration.ts,
   * the one the local stack's config uses), so a bad one fails synth naming it and the field; its workflows
   * granted to the style's handlers; its registry items, as the style's codec writes them, owned by the stack.
   */
  private register(
    kind: AnyRegistrationKind,
    input: unknown,
    workflowOf: (name: string) => { stateMachine: IStateMachine; type?: WorkflowType } = (name) =>
      this.bound.get(name)!,
  ): void {
    const label = kind.label(input);
    const registration = parseRegistration(kind, input);
    const items = kind.items(registration, (name, field) => {
      const { stateMachine, type } = workflowOf(name);
      const binding = field === 'workflow' ? label : `${label} (${field})`;
      return this.allowStart(stateMachine, kind.binding, workflowTypeOf(binding, stateMachine, type));
    });
    for (const item of items) {
      const { pk, sk, ...attributes } = item;
      new RegistryRecord(this, kind.recordId(item), { table: this.tables.registry, key: { pk, sk }, attributes });
    }
  }

  /**
   * Grants the given style handlers exactly this state machine, as their declared needs say: start it
   * (sync-start too if Express) and describe its executions. Returns it as a registry target.
   */
  /**
   * Grants the handlers that run workflows of this binding kind (their spec's `runs`) what their needs say they
   * do with one: start it, start it synchronously, describe or read the history of its executions.
   */
  private allowStart(workflow: IStateMachine, binding: WorkflowBinding, type?: WorkflowType): WorkflowTarget {
    const workflowType =
      type ??
      (workflow instanceof StateMachine && workflow.stateMachineType === StateMachineType.EXPRESS
        ? 'EXPRESS'
        : 'STANDARD');
    const stack = Stack.of(this);
    // Execution names are made per request, so DescribeExecution can only be scoped to the state machine.
    const name =
      workflow instanceof StateMachine
        ? workflow.stateMachineName
        : Arn.split(workflow.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName!;
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${name}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // cdk-nag names the finding after the resource as it flattens it: ask it, rather than guess the format.
    const finding = `AwsSolutions::AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(executions))}]`;
    for (const spec of this.specs.values()) {
      if (!(spec.runs ?? []).includes(binding)) continue;
      const key = `${spec.name} ${workflow.node.path}`;
      const fn = this.functions.get(spec.name);
      if (fn === undefined || this.allowed.has(key)) continue;
      this.allowed.add(key);
      const needs = spec.needs;
      if (needs.includes('engine:start')) {
        this.allowOnWorkflows(fn, ['states:StartExecution'], workflow.stateMachineArn);
        // Only a handler that waits for runs (engine:describe) starts them synchronously.
        if (workflowType === 'EXPRESS' && needs.includes('engine:describe')) {
          this.allowOnWorkflows(fn, ['states:StartSyncExecution'], workflow.stateMachineArn);
        }
      }
      // DescribeExecution serves Standard executions only ("Executions of an EXPRESS state machine aren't supported
      // by DescribeExecution unless a Map Run dispatched them",
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html), and an Express
      // execution's ARN (`…:express:…`) is not under `execution:<name>:*` anyway: no grant for an Express workflow.
      const describes =
        (needs.includes('engine:start') || needs.includes('engine:describe')) && workflowType === 'STANDARD';
      const reads = [
        ...(describes ? ['states:DescribeExecution'] : []),
        ...(needs.includes('engine:history') ? ['states:GetExecutionHistory'] : []),
      ];
      if (reads.length > 0) {
        this.allowOnWorkflows(fn, reads, executions);
        Validations.of(fn.role!).acknowledge({
          id: finding,
          reason: `${reads.join(', ')} on the executions of ${workflow.node.path} only: their names are made per request.`,
        });
      }
    }
    return {
      stateMachineArn: workflow.stateMachineArn,
      workflowType,
      ...(workflowType === 'EXPRESS' && startsWithRunGuard(workflow) ? { runGuarded: true as const } : {}),
    };
  }

  /** Allows `actions` on `resource` to `fn`, in the one statement it has for these actions (workflowStatements). */
  private allowOnWorkflows(fn: LambdaFunction, actions: readonly string[], resource: string): void {
    const key = `${fn.node.path} ${actions.join(' ')}`;
    const statement = this.workflowStatements.get(key);
    if (statement !== undefined) {
      statement.addResources(resource);
      return;
    }
    const created = new PolicyStatement({ actions: [...actions], resources: [resource] });
    this.workflowStatements.set(key, created);
    fn.addToRolePolicy(created);
  }
}

const pascal = (name: string) => name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());

/** The `handlers` prop, checked: every name a handler of functions/routes.ts, every value within Lambda's limits. */
function handlerOptions(given: Readonly<Record<string, HandlerOptions>> = {}): Map<string, HandlerOptions> {
  const names = handlers.map((spec) => spec.name);
  for (const [name, options] of Object.entries(given)) {
    if (!names.includes(name)) {
      throw new Error(`Hookflow handlers.${name}: no such handler (handlers are ${names.join(', ')})`);
    }
    const { memorySize, timeout, reservedConcurrentExecutions: reserved } = options;
    if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
      throw new Error(`Hookflow handlers.${name}.reservedConcurrentExecutions: ${reserved} is not a whole number >= 1`);
    }
    const consumer = handlers.find((spec) => spec.name === name)?.consumes !== undefined;
    if (reserved !== undefined && consumer && reserved < FANOUT_MAX_CONCURRENCY) {
      throw new Error(
        `Hookflow handlers.${name}.reservedConcurrentExecutions: ${reserved} is below the fan-out queue's maximum concurrency (${FANOUT_MAX_CONCURRENCY}): its event source would be throttled`,
      );
    }
    // Lambda: 128 MB to 10,240 MB of memory, at most 15 minutes per invocation:
    // https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
    if (memorySize !== undefined && (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240)) {
      throw new Error(
        `Hookflow handlers.${name}.memorySize: ${memorySize} is not a whole number of MiB from 128 to 10240`,
      );
    }
    if (timeout !== undefined) {
      const seconds = timeout.toSeconds();
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 900) {
        throw new Error(
          `Hookflow handlers.${name}.timeout: ${seconds} s is not a whole number of seconds from 1 to 900`,
        );
      }
    }
  }
  return new Map(Object.entries(given));
}

/** `handlerSettings` as environment variables, refusing names the handlers do not read or the construct sets. */
function settingsEnvironment(settings: HandlerSettings = {}): Record<string, string> {
  const owned: readonly string[] = ['REGISTRY_TABLE', 'DEDUPE_TABLE', 'FANOUT_QUEUE_URL', 'BODIES_BUCKET'];
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (owned.includes(name)) throw new Error(`Hookflow handlerSettings.${name}: set by the construct itself`);
    if (!(settingNames as readonly string[]).includes(name)) {
      throw new Error(`Hookflow handlerSettings.${name}: no such setting (functions/core/config.ts lists them)`);
    }
    environment[name] = String(value);
  }
  return environment;
}

/**
 * A handler's environment as the handler will parse it at cold start (the same schema, functions/core/config.ts),
 * so a value it would refuse fails the synth instead of every request; plus what ties a setting to the
 * handler's timeout, which only the construct knows.
 */
function checkSettings(spec: HandlerSpec, environment: Record<string, string>, timeoutSeconds: number): void {
  let config: Config;
  try {
    // Table names and the queue URL are deploy-time tokens: any valid stand-in does for the check.
    config = parseConfig({
      ...environment,
      REGISTRY_TABLE: 'registry',
      DEDUPE_TABLE: 'dedupe',
      ...(environment.FANOUT_QUEUE_URL === undefined
        ? {}
        : { FANOUT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/fanout' }),
    });
  } catch (error) {
    throw new Error(`Hookflow handlerSettings (handler ${spec.name}): ${(error as Error).message}`);
  }
  if (spec.needs.includes('dedupe:write') && config.DEDUPE_LEASE_SECONDS <= timeoutSeconds) {
    throw new Error(
      `Hookflow handlerSettings.DEDUPE_LEASE_SECONDS: ${config.DEDUPE_LEASE_SECONDS} s does not outlast handler ${spec.name}'s timeout (${timeoutSeconds} s): a duplicate could take over a live claim and start a second run`,
    );
  }
  // An HTTP handler answers ANSWER_RESERVE_MS before its timeout (functions/http/http-handler.ts, Deadline).
  const answersBy = timeoutSeconds * 1000 - (spec.routes.length > 0 ? config.ANSWER_RESERVE_MS : 0);
  if (answersBy <= 0) {
    throw new Error(
      `Hookflow handlerSettings.ANSWER_RESERVE_MS: ${config.ANSWER_RESERVE_MS} ms leaves handler ${spec.name} (timeout ${timeoutSeconds} s) no time to work`,
    );
  }
  if (spec.needs.includes('dedupe:write') && config.DEDUPE_WAIT_MS >= answersBy) {
    throw new Error(
      `Hookflow handlerSettings.DEDUPE_WAIT_MS: ${config.DEDUPE_WAIT_MS} ms does not leave handler ${spec.name} (timeout ${timeoutSeconds} s, answering ${config.ANSWER_RESERVE_MS} ms before it) time to answer a duplicate`,
    );
  }
  if (spec.needs.includes('engine:describe') && config.SYNC_WAIT_MS >= answersBy) {
    throw new Error(
      `Hookflow handlerSettings.SYNC_WAIT_MS: ${config.SYNC_WAIT_MS} ms does not leave handler ${spec.name} (timeout ${timeoutSeconds} s, answering ${config.ANSWER_RESERVE_MS} ms before it) time to answer`,
    );
  }
}

/** Stage throttling as API Gateway takes it: a rate and a whole burst, neither negative. */
function validThrottle(throttle: ThrottleProps): ThrottleProps {
  if (!Number.isFinite(throttle.rateLimit) || throttle.rateLimit < 0) {
    throw new Error(`Hookflow throttle.rateLimit: ${throttle.rateLimit} is not a number of requests per second ≥ 0`);
  }
  if (!Number.isInteger(throttle.burstLimit) || throttle.burstLimit < 0) {
    throw new Error(`Hookflow throttle.burstLimit: ${throttle.burstLimit} is not a whole number of requests ≥ 0`);
  }
  return throttle;
}
