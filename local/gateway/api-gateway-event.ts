import type { IncomingMessage } from 'node:http';
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { endingAt } from '../lambda-timeout';

/** Content types API Gateway passes to Lambda as text; everything else arrives base64-encoded. */
const TEXT_CONTENT = /^(text\/|application\/([\w.+-]*\+)?(json|xml|x-www-form-urlencoded|javascript))/i;

/**
 * Builds the Lambda event an API Gateway HTTP API (payload format 2.0) would deliver for this request:
 * lower-cased headers, repeated headers and query values joined with commas, decoded path parameters.
 */
export function apiGatewayEvent(
  request: IncomingMessage,
  body: Buffer,
  routeKey: string,
  pathParameters: Record<string, string>,
): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] ?? '').toLowerCase();
    const value = request.rawHeaders[i + 1] ?? '';
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  // API Gateway adds these for the integration; handlers build absolute links from them.
  const socket = request.socket;
  headers['x-forwarded-for'] ??= socket.remoteAddress ?? '127.0.0.1';
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= String(socket.localPort ?? '');
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const now = new Date();
  // Bytes that are not UTF-8 go base64-encoded even under a text type: decoding them here would replace them
  // silently, and the handler could no longer tell (and refuse) a badly encoded body.
  const isText = TEXT_CONTENT.test(headers['content-type'] ?? 'text/plain') && isUtf8(body);
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? { body: isText ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !isText }
      : { isBase64Encoded: false }),
  };
}

/**
 * What `getRemainingTimeInMillis` counts down from when the invoker names no timeout (the local stack with
 * `HOOKFLOW_LOCAL_LAMBDA_TIMEOUT_SECONDS=0`, which ends no invocation; docs/local-stack.md). API Gateway's 29 s.
 */
const UNNAMED_TIMEOUT_MS = 29_000;

/**
 * The parts of the Lambda context hookflow's handlers and Powertools read. `getRemainingTimeInMillis` counts down
 * from the invocation's start to its timeout, as Lambda's does ("Returns the number of milliseconds left before
 * the execution times out": https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html); every invoker of
 * the local stack ends the invocation there (local/lambda-timeout.ts).
 */
export function lambdaContext(functionName: string, awsRequestId: string, timeoutMs?: number): Context {
  const deadline = Date.now() + (timeoutMs ?? UNNAMED_TIMEOUT_MS);
  const context: Context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  // Marked for what Lambda does at the timeout beside ending the invocation: it frees the function's concurrency
  // (local/throttles.ts, limitConcurrency).
  return timeoutMs === undefined ? context : endingAt(context, deadline);
}
