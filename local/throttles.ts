/**
 * `HOOKFLOW_LOCAL_THROTTLE`: AWS's quotas, injected into the local stack so a sender can see what it gets at
 * each limit (docs/scale.md, "What a sender sees at each limit"; docs/local-stack.md). Pure: the rules, their
 * parser and the token bucket; the stand-ins (gateway, Step Functions endpoint, DynamoDB and SQS proxy) apply
 * them and answer each refusal exactly as AWS names it (`throttleAnswer` below, and the gateway's own answers).
 *
 * `HOOKFLOW_LOCAL_THROTTLE="<scope>=<limit>,<scope>=<limit>,..."`, each scope at most once:
 *
 * | scope                          | limit            | what AWS limit it stands for                                  |
 * | ------------------------------ | ---------------- | ------------------------------------------------------------- |
 * | `gateway`                      | `<rate>/s:<burst>` | the stage's default route throttle (one bucket for all routes) |
 * | `gateway:<METHOD> <path>`      | `<rate>/s:<burst>` | one route's throttle (route settings), e.g. `gateway:POST /inbound` |
 * | `lambda`                       | `<n>`            | the account's concurrent executions, shared by every function |
 * | `lambda:<handler>`             | `<n>`            | one function's reserved concurrency, e.g. `lambda:flow-trigger` |
 * | `sfn:<Operation>`              | `<rate>/s:<burst>` | a Step Functions API bucket, e.g. `sfn:StartExecution`        |
 * | `sfn:open`                     | `<n>`            | open (RUNNING) Standard executions                            |
 * | `dynamodb`                     | `<rate>/s:<burst>` | requests per second on every table (per-table quota)          |
 * | `dynamodb:<partition key>`     | `<rate>/s:<burst>` | one partition (a hot item), e.g. `dynamodb:INBOUNDSECRET`     |
 * | `sqs:<Operation>`              | `<rate>/s:<burst>` | an SQS API rate, e.g. `sqs:SendMessageBatch`                  |
 *
 * `<rate>` is requests per second (a decimal; 0 refills nothing), `<burst>` the bucket size (an integer;
 * default: the rate rounded up, at least 1). Every bucket starts full, as API Gateway's and Step Functions'
 * token buckets do. The limits count requests, never capacity units or bytes: a DynamoDB request of up to
 * 4 KB costs at least one unit in AWS, so a rule of N requests/s is never kinder than N units/s.
 */

import { invocationEndsAt } from './lambda-timeout';

export const THROTTLE_ENV = 'HOOKFLOW_LOCAL_THROTTLE';

export interface RateLimit {
  /** Tokens added per second. */
  readonly rate: number;
  /** The bucket's size: how many requests may pass at once after a quiet spell. */
  readonly burst: number;
}

export interface ThrottleRules {
  /** `gateway`: one bucket every Lambda route draws from. */
  readonly gateway?: RateLimit;
  /** `gateway:<METHOD> <path>`, by route key (`POST /flows/{flowId}/trigger`). */
  readonly routes: Readonly<Record<string, RateLimit>>;
  /** `lambda`: concurrent invocations of every function together. */
  readonly lambdaConcurrency?: number;
  /** `lambda:<handler>`: concurrent invocations of one function, by handler name. */
  readonly reservedConcurrency: Readonly<Record<string, number>>;
  /** `sfn:<Operation>`, by operation. */
  readonly sfn: Readonly<Record<string, RateLimit>>;
  /** `sfn:open`: StartExecution answers ExecutionLimitExceeded while this many Standard executions run. */
  readonly sfnOpenExecutions?: number;
  /** `dynamodb`: every request to the local DynamoDB from the handlers and workflows. */
  readonly dynamodb?: RateLimit;
  /** `dynamodb:<partition key value>`: requests addressing that partition. */
  readonly dynamodbPartitions: Readonly<Record<string, RateLimit>>;
  /** `sqs:<Operation>`, by operation. */
  readonly sqs: Readonly<Record<string, RateLimit>>;
}

/** What the parser checks names against: the stack's routes and handlers (functions/routes.ts). */
export interface ThrottleVocabulary {
  readonly routeKeys: readonly string[];
  readonly handlers: readonly string[];
}

/** The Step Functions and SQS operations a rule may name: the ones hookflow's handlers call. */
export const SFN_THROTTLED_OPERATIONS = [
  'StartExecution',
  'StartSyncExecution',
  'DescribeExecution',
  'SendTaskSuccess',
  'SendTaskFailure',
] as const;
export const SQS_THROTTLED_OPERATIONS = ['SendMessageBatch', 'SendMessage'] as const;

const RATE = /^(\d+(?:\.\d+)?)\/s(?::(\d+))?$/;
const COUNT = /^\d+$/;

/** Parses the setting; anything it cannot read is an error naming the setting, the entry and what it expects. */
export function parseThrottles(value: string | undefined, vocabulary: ThrottleVocabulary): ThrottleRules {
  const rules: {
    -readonly [K in keyof ThrottleRules]: ThrottleRules[K] extends Readonly<Record<string, infer V>> | undefined
      ? Record<string, V>
      : ThrottleRules[K];
  } = { routes: {}, reservedConcurrency: {}, sfn: {}, dynamodbPartitions: {}, sqs: {} };
  if (value === undefined || value.trim() === '') return rules;
  const seen = new Set<string>();
  for (const entry of value.split(',')) {
    const fail = (why: string): never => {
      throw new Error(`${THROTTLE_ENV}: "${entry.trim()}" ${why} (docs/local-stack.md#throttles)`);
    };
    const equals = entry.lastIndexOf('=');
    if (equals < 0) fail('is not <scope>=<limit>');
    const scope = entry.slice(0, equals).trim();
    const limit = entry.slice(equals + 1).trim();
    if (seen.has(scope)) fail('repeats a scope given before');
    seen.add(scope);
    const colon = scope.indexOf(':');
    const service = colon < 0 ? scope : scope.slice(0, colon);
    const name = colon < 0 ? undefined : scope.slice(colon + 1);
    const rate = (): RateLimit => {
      const match = RATE.exec(limit);
      if (match === null) return fail('needs a limit of <rate>/s or <rate>/s:<burst>, e.g. 10/s:20');
      const perSecond = Number(match[1]);
      const burst = match[2] === undefined ? Math.max(1, Math.ceil(perSecond)) : Number(match[2]);
      return { rate: perSecond, burst };
    };
    const count = (): number => (COUNT.test(limit) ? Number(limit) : fail('needs a whole number, e.g. 2'));
    const oneOf = (known: readonly string[], what: string): string =>
      name !== undefined && known.includes(name) ? name : fail(`names no ${what}; one of: ${known.join(', ')}`);

    if (service === 'gateway') {
      if (name === undefined) rules.gateway = rate();
      else rules.routes[oneOf(vocabulary.routeKeys, 'route')] = rate();
    } else if (service === 'lambda') {
      if (name === undefined) rules.lambdaConcurrency = count();
      else rules.reservedConcurrency[oneOf(vocabulary.handlers, 'handler')] = count();
    } else if (service === 'sfn' && name === 'open') {
      rules.sfnOpenExecutions = count();
    } else if (service === 'sfn') {
      rules.sfn[oneOf(SFN_THROTTLED_OPERATIONS, 'Step Functions operation')] = rate();
    } else if (service === 'dynamodb') {
      if (name === undefined) rules.dynamodb = rate();
      else if (name === '') fail('names no partition key');
      else rules.dynamodbPartitions[name] = rate();
    } else if (service === 'sqs') {
      rules.sqs[oneOf(SQS_THROTTLED_OPERATIONS, 'SQS operation')] = rate();
    } else {
      fail('has an unknown scope; scopes: gateway, lambda, sfn, dynamodb, sqs (with :<name> where documented)');
    }
  }
  return rules;
}

/**
 * A token bucket as API Gateway describes its throttling ("a token counts for a request"; the burst is the
 * bucket's size): https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html.
 * Step Functions' quotas are stated the same way (bucket size, refill rate per second):
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html. A refused request takes no token.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limit.burst;
    this.at = now();
  }

  /** Takes a token if there is one: true lets the request through. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.at) / 1000) * this.limit.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Buckets for a set of named limits, each created on first use. */
export function buckets(limits: Readonly<Record<string, RateLimit>>, now?: () => number): (name: string) => boolean {
  const made = new Map<string, TokenBucket>();
  return (name) => {
    const limit = limits[name];
    if (limit === undefined) return true;
    let bucket = made.get(name);
    if (bucket === undefined) made.set(name, (bucket = new TokenBucket(limit, now)));
    return bucket.take();
  };
}

/** An AWS JSON-protocol error as the service sends it. */
export interface AwsErrorAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * The refusal each service sends when throttled, as its API reference names it (the SDK turns `__type` into the
 * exception class and retries it as a throttle: @smithy's THROTTLING_ERROR_CODES lists all three names).
 */
export const throttleAnswer = {
  /**
   * DynamoDB: ProvisionedThroughputExceededException, HTTP 400, with ThrottlingReasons (on-demand tables too):
   * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html and
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
   */
  dynamodb(reason: string, resource: string): AwsErrorAnswer {
    return {
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        message: 'The level of configured provisioned throughput for the table was exceeded.',
        ThrottlingReasons: [{ reason, resource }],
      },
    };
  },
  /**
   * SQS: RequestThrottled, "Exceeds the permitted request rate for the queue or for the recipient of the
   * request"; the JSON protocol carries the query-compatible code in x-amzn-query-error, HTTP 403 (the SDK's
   * model): https://docs.aws.amazon.com/botocore/latest/reference/services/sqs/client/exceptions/RequestThrottled.html
   */
  sqs(): AwsErrorAnswer {
    return {
      status: 403,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'RequestThrottled;Sender' },
      body: { __type: 'com.amazonaws.sqs#RequestThrottled', message: 'Request is throttled.' },
    };
  },
};

/** DynamoDB's ThrottlingReason for a request: which limit, read or write. */
export function dynamodbThrottlingReason(operation: string, scope: 'partition' | 'table'): string {
  const write = /^(Put|Update|Delete|BatchWrite|TransactWrite)/.test(operation);
  const kind = write ? 'Write' : 'Read';
  // KeyRangeThroughputExceeded: one partition's limit; AccountLimitExceeded: an on-demand table's quota.
  return `Table${kind}${scope === 'partition' ? 'KeyRangeThroughputExceeded' : 'AccountLimitExceeded'}`;
}

/**
 * At most `max` invocations at once: the local model of Lambda concurrency. `enter` answers false when the
 * function (or the account) has no concurrency left, as Lambda's Invoke refuses with TooManyRequestsException.
 */
export class ConcurrencyLimit {
  private inFlight = 0;

  constructor(readonly max: number) {}

  enter(): boolean {
    if (this.inFlight >= this.max) return false;
    this.inFlight++;
    return true;
  }

  leave(): void {
    this.inFlight--;
  }
}

/**
 * Lambda's refusal when a function has no concurrency left: Invoke fails with TooManyRequestsException ("The
 * request throughput limit was exceeded", Reason ReservedFunctionConcurrentInvocationLimitExceeded or
 * ConcurrentInvocationLimitExceeded):
 * https://docs.aws.amazon.com/botocore/latest/reference/services/lambda/client/exceptions/TooManyRequestsException.html
 * The gateway answers it as API Gateway
 * does, Step Functions' Lambda task fails with it, the SQS event source leaves the batch on the queue.
 */
export class LambdaThrottledError extends Error {
  constructor(functionName: string) {
    super(`Rate Exceeded. (${functionName}: no concurrency left, injected by ${THROTTLE_ENV})`);
    this.name = 'TooManyRequestsException';
  }
}

/**
 * Wraps a function's handler in its reserved and the account's concurrency (either may be absent): a call
 * that finds no room throws LambdaThrottledError without running the handler at all. A call holds its room until
 * it ends, or until its Lambda timeout (the context's, local/lambda-timeout.ts) if that comes first: Lambda stops
 * the function there, and concurrency counts only "in-flight requests that your function is currently handling"
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html), so the room is free again, while
 * here the abandoned work may still run on.
 */
export function limitConcurrency<A extends unknown[], R>(
  functionName: string,
  handler: (...args: A) => Promise<R>,
  limits: readonly ConcurrencyLimit[],
): (...args: A) => Promise<R> {
  if (limits.length === 0) return handler;
  return async (...args: A) => {
    const entered: ConcurrencyLimit[] = [];
    for (const limit of limits) {
      if (!limit.enter()) {
        for (const taken of entered) taken.leave();
        throw new LambdaThrottledError(functionName);
      }
      entered.push(limit);
    }
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      for (const taken of entered) taken.leave();
    };
    const endsAt = invocationEndsAt(args[1]);
    const timer = endsAt === undefined ? undefined : setTimeout(leave, Math.max(0, endsAt - Date.now()));
    try {
      return await handler(...args);
    } finally {
      clearTimeout(timer);
      leave();
    }
  };
}
