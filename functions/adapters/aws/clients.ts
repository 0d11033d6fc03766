import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { appendFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { awsRequestTimeoutMs } from '../../core/config';
import { EngineBusyError } from '../../core/outcomes';
import { newSqsClient, type SqsClientDeps } from './sqs-work-queue';
import { markUnansweredAttempts, mayHaveTakenEffect, refusedEveryAttempt } from './unanswered';
import { cutShortAtDeadline } from './invocation-deadline';

/*
 * SDK clients, each created once per cold start (at its first use) and reused by every invocation. Endpoints come
 * from the SDK's own AWS_ENDPOINT_URL_* variables, which is all the local stack changes.
 *
 * Functions rather than module-level constants, so that a handler's bundle holds only the clients it uses: a
 * handler that never asks for SQS (every one but inbound: the handlers that queue only when busy build theirs in a
 * second file, ./sqs-fanout-queue.ts) reaches no SQSClient, and esbuild leaves the whole SQS client package out (the SDK's packages declare `"sideEffects": false`). A client module built at load would
 * be kept in every bundle that imports this file. docs/performance.md, "Cold start".
 */
let dynamodb: DynamoDBClient | undefined;

/**
 * Every client's HTTP settings: one attempt may wait AWS_REQUEST_TIMEOUT_MS for its answer (the SDK's default is
 * to wait for ever: `requestTimeout` alone only warns unless `throwOnRequestTimeout` is set, since
 * @smithy/node-http-handler 4.4), and a connection 1 s to open. The TimeoutError is retried by the SDK and,
 * once its attempts are spent, answered as busy (./unanswered.ts): 503 with Retry-After.
 */
export function requestHandlerOptions(env: Record<string, string | undefined> = process.env) {
  return { requestTimeout: awsRequestTimeoutMs(env), connectionTimeout: 1_000, throwOnRequestTimeout: true };
}
let sfn: SFNClient | undefined;
let sqs: SQSClient | undefined;

/**
 * Every client resolves its middleware stack once per command class and reuses it (`cacheMiddleware`, off by the
 * SDK's default), instead of sorting and building the whole stack again for every call: about 25-75 us of CPU
 * per call here, 4-11% of a call's SDK CPU (docs/performance.md, "CPU per request"). AWS's guides have no page on
 * the option; the SDK documents it where it is declared, on every client's configuration
 * (`SmithyConfiguration.cacheMiddleware`, @smithy/core's dist-types/submodules/client/smithy-client/client.d.ts,
 * in node_modules): "modifying the middlewareStack of the command or client after requests have been made will
 * not be recognized", "Calling client.destroy() also clears this cache", "0-1ms per request". The middleware stack it
 * caches: https://aws.amazon.com/blogs/developer/middleware-stack-modular-aws-sdk-js/
 * So every middleware hookflow adds goes on a client's stack when the client is built (below, and the sync
 * start's attempt watch when the engine adapter is built), and none holds per-request state: the attempt watch
 * finds each start's state by its command input (./sfn-sync-attempts.ts). No call is sent with per-call options:
 * the SDK resolves such a call on its own, as without the cache, and drops that client's cached stacks (@smithy/core's
 * `Client.send`). The sync start's abort signal and timeout reach its attempts' requests through that watch instead.
 */
export const CACHE_MIDDLEWARE = true;

/** The DynamoDB client, answering busy errors (below) and recording its calls when asked to (tests). */
export function dynamodbClient(): DynamoDBClient {
  return (dynamodb ??= recordCalls(
    answerBusyDynamoDb(
      cutShortAtDeadline(
        markUnansweredAttempts(
          new DynamoDBClient({ requestHandler: requestHandlerOptions(), cacheMiddleware: CACHE_MIDDLEWARE }),
        ),
      ),
    ),
    'dynamodb',
  ));
}

/** The Step Functions client, recording its calls when asked to (tests). */
export function sfnClient(): SFNClient {
  return (sfn ??= recordCalls(
    cutShortAtDeadline(
      markUnansweredAttempts(
        new SFNClient({
          requestHandler: requestHandlerOptions(),
          cacheMiddleware: CACHE_MIDDLEWARE,
          // StartSyncExecution is served on a "sync-" host prefix in AWS; a local endpoint has no such host.
          disableHostPrefix: process.env.AWS_ENDPOINT_URL_SFN !== undefined,
        }),
      ),
    ),
    'states',
  ));
}

/** The SQS client (inbound's fan-out queue), recording its calls when asked to (tests): ./sqs-work-queue.ts builds it. */
export function sqsClient(): SQSClient {
  return (sqs ??= newSqsClient(sqsClientDeps()));
}

/**
 * What an SQS client takes from this module (./sqs-work-queue.ts `newSqsClient`): handed in, so that the fan-out
 * queue's second file (./sqs-fanout-queue.ts) builds its client as this one is built, without a copy of this module.
 */
export function sqsClientDeps(): SqsClientDeps {
  return { requestHandlerOptions, recordCalls, cacheMiddleware: CACHE_MIDDLEWARE, cutShortAtDeadline };
}

/**
 * DynamoDB's throttling and brief-outage errors, once the SDK's own retries are spent: the request was not
 * carried out as asked and may succeed later, so the caller gets 503 with Retry-After (an EngineBusyError),
 * never a 500. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 * (ProvisionedThroughputExceededException, RequestLimitExceeded, ThrottlingException: 400, "OK to retry";
 * InternalServerError 500, ServiceUnavailable 503). So do the failures that got no answer at all once the SDK's
 * retries are spent (its timeout, a cut connection, any 5xx: ./unanswered.ts): a read may simply be retried, and
 * a conditional write that may have happened is one the dedupe rules already handle (the retry meets the claim,
 * and takes it over once its lease runs out). A conditional write that failed its condition is not busy and
 * passes through untouched.
 */
export const DYNAMODB_BUSY_ERRORS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'InternalServerError',
  'ServiceUnavailable',
]);

/** Adds the mapping above to a DynamoDB client (outermost, so it sees the error after every SDK retry). */
export function answerBusyDynamoDb(client: DynamoDBClient): DynamoDBClient {
  (client.middlewareStack as unknown as MiddlewareStack).add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (error) {
        const name = (error as { name?: unknown } | null)?.name;
        if ((typeof name === 'string' && DYNAMODB_BUSY_ERRORS.has(name)) || mayHaveTakenEffect(error)) {
          // Refused: a throttle on every attempt (markUnansweredAttempts watches them), so the call did nothing.
          throw new EngineBusyError('the registry or dedupe store is busy; retry shortly', {
            refused: refusedEveryAttempt(error),
          });
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'hookflowAnswerBusyDynamoDb' },
  );
  return client;
}

/** One AWS API call as test/infra/iam-recorded.iam.test.ts simulates it against the handler's role. */
export interface RecordedAwsCall {
  readonly handler: string;
  /** The IAM service prefix: dynamodb, states, sqs, s3. */
  readonly service: string;
  /** The API action, as IAM names it (GetItem, SendMessageBatch, ...). */
  readonly action: string;
  /**
   * DynamoDB: the tables and, per table, the partition key values addressed (`dynamodb:LeadingKeys`), and the
   * index a Query reads (an index is a resource of its own in IAM: `table/<name>/index/<index>`).
   */
  readonly tables?: readonly {
    readonly table: string;
    readonly leadingKeys: readonly string[];
    readonly index?: string;
  }[];
  readonly stateMachineArn?: string;
  readonly executionArn?: string;
  readonly queueUrl?: string;
  /** S3: the bucket and object key addressed. */
  readonly bucket?: string;
  readonly key?: string;
}

/**
 * `HOOKFLOW_RECORD_AWS_CALLS=<folder>` (tests only; never set in a deployed stack) appends one JSON line per
 * AWS API call to `<folder>/calls-<pid>.jsonl`, so the IAM check can prove the deployed role allows exactly
 * what the handler did. Unset, no middleware is added at all: the clients stay as they are. Only names and
 * keys are recorded, never item values or task tokens (a token is a capability).
 */
const recordTo = process.env.HOOKFLOW_RECORD_AWS_CALLS;
const recordFile = recordTo === undefined || recordTo === '' ? undefined : join(recordTo, `calls-${process.pid}.jsonl`);
if (recordTo !== undefined && recordFile !== undefined) mkdirSync(recordTo, { recursive: true });

/** Adds the recorder to `client` when HOOKFLOW_RECORD_AWS_CALLS is set (outermost but for busy errors). */
export function recordCalls<Client extends { middlewareStack: unknown }>(client: Client, service: string): Client {
  if (recordFile === undefined) return client;
  // Locally all handlers share one process (and its environment), but each is its own esbuild bundle named after
  // the handler (local/handlers/bundle-handlers.ts), and a CommonJS bundle keeps `__filename`: that names it.
  // One build for all bundles (rather than one per handler, each with its own `define`) costs a quarter of the
  // CPU at every stack start.
  const handler = basename(__filename, '.js');
  const recorder =
    (next: (args: { input: object }) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: { input: object }) => {
      const action = String(context.commandName ?? '').replace(/Command$/, '');
      const call: RecordedAwsCall = { handler, service, action, ...addressed(args.input as CallInput) };
      // Synchronous, so a stack stopped right after a request still leaves the line behind.
      appendFileSync(recordFile, `${JSON.stringify(call)}\n`);
      return next(args);
    };
  // The three clients' stacks differ only in their input and output types; the recorder reads `input` alone.
  (client.middlewareStack as MiddlewareStack).add(recorder, { step: 'initialize', name: 'hookflowRecordAwsCall' });
  return client;
}

interface MiddlewareStack {
  add(middleware: unknown, options: { step: 'initialize'; name: string }): void;
}
type Attributes = Record<string, { S?: string } | undefined>;
interface CallInput {
  TableName?: string;
  IndexName?: string;
  /** DynamoDB: the item's key; S3: the object's key. */
  Key?: Attributes | string;
  Item?: Attributes;
  KeyConditionExpression?: string;
  ExpressionAttributeValues?: Attributes;
  RequestItems?: Record<
    string,
    { Keys?: Attributes[] } | { PutRequest?: { Item?: Attributes }; DeleteRequest?: { Key?: Attributes } }[]
  >;
  stateMachineArn?: string;
  executionArn?: string;
  QueueUrl?: string;
  Bucket?: string;
}

/** Both hookflow tables are keyed by `pk` (functions/adapters/aws/table-schemas.ts). */
const PARTITION_KEY = 'pk';

/** The resources a call addresses, as IAM sees them. */
function addressed(input: CallInput): Partial<RecordedAwsCall> {
  if (input.RequestItems !== undefined) {
    return {
      tables: Object.entries(input.RequestItems).map(([table, request]) => ({
        table,
        leadingKeys: unique(
          Array.isArray(request)
            ? request.map((r) => partitionOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key))
            : (request.Keys ?? []).map(partitionOf),
        ),
      })),
    };
  }
  if (input.TableName !== undefined) {
    // A Query names its partition in the key condition: `pk = :value`.
    const placeholder = new RegExp(`(?:^|\\s|\\()${PARTITION_KEY}\\s*=\\s*(:\\w+)`).exec(
      input.KeyConditionExpression ?? '',
    )?.[1];
    const value =
      placeholder === undefined
        ? partitionOf(typeof input.Key === 'string' ? undefined : (input.Key ?? input.Item))
        : input.ExpressionAttributeValues?.[placeholder]?.S;
    return {
      tables: [
        {
          table: input.TableName,
          leadingKeys: value === undefined ? [] : [value],
          ...(input.IndexName === undefined ? {} : { index: input.IndexName }),
        },
      ],
    };
  }
  return {
    ...(input.stateMachineArn === undefined ? {} : { stateMachineArn: input.stateMachineArn }),
    ...(input.executionArn === undefined ? {} : { executionArn: input.executionArn }),
    ...(input.QueueUrl === undefined ? {} : { queueUrl: input.QueueUrl }),
    ...(input.Bucket === undefined ? {} : { bucket: input.Bucket }),
    ...(typeof input.Key === 'string' ? { key: input.Key } : {}),
  };
}

const partitionOf = (attributes: Attributes | undefined) => attributes?.[PARTITION_KEY]?.S;
const unique = (values: readonly (string | undefined)[]) =>
  [...new Set(values)].filter((value): value is string => value !== undefined);
