/*
 * Variant A of bench/support/sdk-alternatives.ts: aws4 (a Signature Version 4 signer, nothing else) and Node's own
 * http(s) with a keep-alive Agent. What hookflow would write and own itself to replace its two SDK v3 clients for
 * the DynamoDB and Step Functions calls, both JSON 1.0 APIs: signing, the endpoint, timeouts, retries, error names.
 * A bench tool only: nothing under functions/, lib/ or local/ imports aws4.
 */
import aws4 from 'aws4';
import http from 'node:http';
import https from 'node:https';

const env = process.env;
const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
/**
 * Lambda puts the execution role's keys in the environment
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime): read
 * once at load, as the SDK's fromEnv reads them at first use.
 */
const credentials = {
  accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
  secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
  sessionToken: env.AWS_SESSION_TOKEN,
};
/** As clients.ts: one attempt may wait AWS_REQUEST_TIMEOUT_MS (default 2 s). */
const requestTimeoutMs = Number(env.AWS_REQUEST_TIMEOUT_MS ?? 2_000);
/**
 * The standard retry mode's three attempts (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html);
 * this SDK's DynamoDB client makes four (the measurement's throttle checks count them).
 */
const MAX_ATTEMPTS = 3;

interface Endpoint {
  readonly protocol: string;
  readonly host: string;
  readonly port?: number;
  readonly transport: typeof https | typeof http;
  readonly agent: http.Agent;
}

const agents = new Map<string, http.Agent>();
/** The service's endpoint, or the SDK's AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL (the local stack's). */
function endpoint(signingName: string, envSuffix: string): Endpoint {
  const url = new URL(
    env[`AWS_ENDPOINT_URL_${envSuffix}`] ?? env.AWS_ENDPOINT_URL ?? `https://${signingName}.${region}.amazonaws.com`,
  );
  const secure = url.protocol === 'https:';
  const agent =
    agents.get(url.protocol) ??
    agents
      .set(url.protocol, secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true }))
      .get(url.protocol)!;
  return {
    protocol: url.protocol,
    host: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    transport: secure ? https : http,
    agent,
  };
}

/** A service error, named as the SDK names it (`error.name === 'ConditionalCheckFailedException'`). */
export class AwsServiceError extends Error {
  constructor(
    name: string,
    message: string,
    readonly statusCode: number,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = name;
  }
}

/**
 * Error names retried besides any 5xx or 429: DynamoDB's throttling errors
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html) and the common ones.
 */
const RETRYABLE = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'Throttling',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/**
 * One signed JSON 1.0 POST. An error answer is a 4xx or 5xx whose body names the error in `__type`, namespaced
 * (`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`), with a `message`
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
 */
function send(ep: Endpoint, service: string, target: string, body: string): Promise<unknown> {
  const options = aws4.sign(
    {
      host: ep.host,
      ...(ep.port === undefined ? {} : { port: ep.port }),
      protocol: ep.protocol,
      method: 'POST',
      path: '/',
      service,
      region,
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': target },
      body,
    },
    credentials,
  ) as https.RequestOptions;
  return new Promise((resolve, reject) => {
    const request = ep.transport.request({ ...options, agent: ep.agent, timeout: requestTimeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        } catch {
          // not JSON: a proxy's or load balancer's page
        }
        if (status >= 200 && status < 300) return resolve(json);
        const type = String(json.__type ?? response.headers['x-amzn-errortype'] ?? `Http${status}`);
        const name = type.split('#').pop()!.split(':')[0]!;
        const message = String(json.message ?? json.Message ?? text);
        reject(new AwsServiceError(name, message, status, status >= 500 || status === 429 || RETRYABLE.has(name)));
      });
    });
    request.on('timeout', () => request.destroy(new AwsServiceError('TimeoutError', 'no answer in time', 0, true)));
    request.on('error', (error: Error & { retryable?: boolean }) => {
      if (!(error instanceof AwsServiceError)) error.retryable = true; // connection refused, reset, ...
      reject(error);
    });
    request.end(body);
  });
}

async function call(ep: Endpoint, service: string, target: string, input: unknown): Promise<unknown> {
  const body = JSON.stringify(input);
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(ep, service, target, body);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || (error as { retryable?: boolean }).retryable !== true) throw error;
      // Full jitter, as the SDK's standard mode: base 100 ms, cap 20 s.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(20_000, 100 * 2 ** attempt)));
    }
  }
}

// Built at load, as variant S builds its clients.
const dynamodb = endpoint('dynamodb', 'DYNAMODB');
const states = endpoint('states', 'SFN');

export const ready = undefined;

/**
 * hookflow's dedupe claim, in DynamoDB's low-level JSON
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html).
 */
export function putItem(table: string, pk: string): Promise<unknown> {
  return call(dynamodb, 'dynamodb', 'DynamoDB_20120810.PutItem', {
    TableName: table,
    Item: { pk: { S: pk }, at: { N: String(Date.now()) } },
    ConditionExpression: 'attribute_not_exists(pk)',
  });
}

/** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html */
export function startExecution(stateMachineArn: string, name: string, input: string): Promise<unknown> {
  return call(states, 'states', 'AWSStepFunctions.StartExecution', { stateMachineArn, name, input });
}

export const handler = async () => 0;
