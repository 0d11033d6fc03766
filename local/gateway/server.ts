import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { apiGatewayEvent, lambdaContext } from './api-gateway-event';
import { type Route, Router } from './router';
import { LambdaTimedOutError, withinTimeout } from '../lambda-timeout';
import { LambdaThrottledError, type RateLimit, TokenBucket, buckets } from '../throttles';

/** API Gateway HTTP APIs refuse bodies over 10 MB before any Lambda runs; so does the local gateway. */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Lambda takes at most 6 MB per synchronous invocation ("For synchronous invocations, the maximum payload size is
 * 6 MB": https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html; "Invocation payload (request and
 * response)", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), and the payload is the
 * whole event: headers, path, and the body as a JSON string (escaped) or, binary, as base64 (4/3 of its bytes).
 * So behind a Lambda proxy integration the real ceiling is below the gateway's 10 MB: a request whose event
 * passes 6 MB never reaches the function, and API Gateway answers 413 (observed: `{"message":"Request Too Long"}`).
 */
export const LAMBDA_MAX_EVENT_BYTES = 6 * 1024 * 1024;

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export interface GatewayTarget {
  readonly functionName: string;
  readonly handler: LambdaHandler;
  /** The function's Lambda timeout: the gateway ends an invocation that runs longer (below). None: no timeout. */
  readonly timeoutMs?: number;
}

/** A local-only route (the execution viewer, health): plain request in, JSON out. */
export type LocalRoute = (pathParameters: Record<string, string>) => Promise<{ statusCode: number; body: unknown }>;

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly lambdaRoutes: readonly Route<GatewayTarget>[];
  readonly localRoutes: readonly Route<LocalRoute>[];
  /** HOOKFLOW_LOCAL_THROTTLE's `gateway` (every Lambda route) and `gateway:<route key>` (that route instead). */
  readonly throttle?: { readonly stage?: RateLimit; readonly routes?: Readonly<Record<string, RateLimit>> };
}

/**
 * The local stand-in for API Gateway: routes each request to the same Lambda handler code that runs in
 * AWS, with the same payload-2.0 event, and writes the handler's result back as API Gateway would.
 */
export async function startGateway(options: GatewayOptions): Promise<{ server: Server; url: string; open(): void }> {
  const lambdas = new Router(options.lambdaRoutes);
  const locals = new Router(options.localRoutes);
  // The server must listen before the handlers load (their config names its URL), but nothing may be served
  // until they have: until open(), every route, /health included, answers 503 with Retry-After.
  let opened = false;
  const stageBucket = options.throttle?.stage === undefined ? undefined : new TokenBucket(options.throttle.stage);
  const routeLimits = options.throttle?.routes ?? {};
  const routeBucket = buckets(routeLimits);
  /** A route's own throttle overrides the stage's default route throttle, as HTTP API route settings do. */
  const throttled = (routeKey: string) =>
    routeLimits[routeKey] !== undefined ? !routeBucket(routeKey) : stageBucket?.take() === false;

  // Node would cut requests off at 16 KB of headers with a bare 431; take up to 64 KB and answer as API Gateway does.
  const server = createServer({ maxHeaderSize: 65_536 }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      process.stderr.write(`gateway error: ${(error as Error).stack ?? String(error)}\n`);
      if (!response.headersSent) send(response, 500, { message: 'Internal Server Error' });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    if (!opened) {
      request.resume();
      return send(response, 503, { error: 'the local stack is starting; retry shortly' }, { 'retry-after': '1' });
    }

    const local = locals.match(method, path);
    if (local !== undefined && local !== 'method-not-allowed') {
      const result = await local.route.target(local.pathParameters);
      return send(response, result.statusCode, result.body);
    }

    const match = lambdas.match(method, path);
    if (match === undefined) return send(response, 404, { error: `no route for ${method} ${path}` });
    if (match === 'method-not-allowed') {
      return send(response, 405, { error: `${method} is not allowed on ${path}` });
    }

    const routeKey = `${match.route.method} ${match.route.path}`;
    if (throttled(routeKey)) {
      // Over the route's rate and burst, API Gateway answers 429 itself and never invokes the function:
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html. Body: the THROTTLED
      // gateway response's default message, "Too Many Requests"
      // (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html);
      // no Retry-After: neither page promises one, so the local stack gives none either.
      request.resume();
      return send(response, 429, { message: 'Too Many Requests' });
    }

    const headerBytes = headerSize(request);
    if (headerBytes > GATEWAY_MAX_HEADER_BYTES) {
      return send(response, 431, {
        error: `request line and headers are ${headerBytes} bytes; API Gateway accepts at most ${GATEWAY_MAX_HEADER_BYTES}`,
      });
    }
    const body = await readBody(request);
    if (body === 'too-large') {
      return send(response, 413, {
        error: `request body exceeds the gateway limit of ${GATEWAY_MAX_BODY_BYTES} bytes`,
      });
    }
    const event = apiGatewayEvent(request, body, routeKey, match.pathParameters);
    const eventBytes = oversizedEventBytes(event, body.length, headerBytes);
    if (eventBytes !== undefined) {
      return send(response, 413, {
        error: `the request makes a ${eventBytes}-byte Lambda event (body${event.isBase64Encoded ? ' as base64' : ''} and headers); Lambda takes at most ${LAMBDA_MAX_EVENT_BYTES} bytes`,
      });
    }
    const { functionName, timeoutMs } = match.route.target;
    const context = lambdaContext(functionName, event.requestContext.requestId, timeoutMs);
    let result: APIGatewayProxyResultV2;
    try {
      result = await withinTimeout(match.route.target.handler(event, context), timeoutMs);
    } catch (error) {
      if (error instanceof LambdaTimedOutError) {
        // Lambda stops an invocation at the function's timeout, "the maximum amount of time in seconds that a Lambda
        // function can run" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html), and it
        // reaches API Gateway as a function error. An HTTP API answers a Lambda integration's error with 500
        // `{"message":"Internal Server Error"}` (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html),
        // as for a handler that throws (below). No Retry-After: the sender cannot tell what the handler had done.
        process.stderr.write(`${functionName}: ${error.message}\n`);
        return send(response, 500, { message: 'Internal Server Error' });
      }
      if (error instanceof LambdaThrottledError) {
        // Lambda refused the invocation (no concurrency left): "If the Lambda API rejects the invocation request,
        // API Gateway returns a 500 error code ... the body ... is {"message": "Internal server error"}"; API
        // Gateway does not retry: https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
        process.stderr.write(`${match.route.target.functionName}: ${error.message}\n`);
        return send(response, 500, { message: 'Internal server error' });
      }
      // What API Gateway answers when the function itself fails (the handler should never let this happen).
      process.stderr.write(`${match.route.target.functionName} threw: ${(error as Error).stack ?? String(error)}\n`);
      return send(response, 500, { message: 'Internal Server Error' });
    }
    writeResult(response, result, event.requestContext.requestId);
  }

  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return { server, url: `http://${options.host}:${port}`, open: () => void (opened = true) };
}

/**
 * The event's size as Lambda counts it (its JSON) when it passes LAMBDA_MAX_EVENT_BYTES, else undefined; measured
 * only when it could be near the limit. JSON
 * writes a character of a string in at most 6 bytes (`\u001f`), and a body of n bytes is at most n characters
 * (4/3 n as base64); headers, path and query are within the request line and headers (headerBytes, each name and
 * value written once or twice: headers and requestContext); the rest of the event is a fixed few hundred bytes.
 * Below that bound nothing is serialized: a stringify of every event, body included, was the local gateway's own
 * work on every request, which API Gateway does not do in the function's process.
 */
function oversizedEventBytes(
  event: APIGatewayProxyEventV2,
  bodyBytes: number,
  headerBytes: number,
): number | undefined {
  const bound = 6 * (Math.ceil((4 * bodyBytes) / 3) + 3 * headerBytes) + EVENT_FIXED_BYTES_BOUND;
  if (bound <= LAMBDA_MAX_EVENT_BYTES) return undefined;
  const bytes = Buffer.byteLength(JSON.stringify(event));
  return bytes > LAMBDA_MAX_EVENT_BYTES ? bytes : undefined;
}

/** More than the event's fixed keys and values take as JSON (ids, times, stage, account, names). */
const EVENT_FIXED_BYTES_BOUND = 4_096;

/** API Gateway HTTP APIs: the request line and header values together may take at most 10,240 bytes. */
const GATEWAY_MAX_HEADER_BYTES = 10_240;

function headerSize(request: IncomingMessage): number {
  let size = `${request.method ?? ''} ${request.url ?? ''} HTTP/${request.httpVersion}`.length;
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    size += Buffer.byteLength(request.rawHeaders[i]!) + Buffer.byteLength(request.rawHeaders[i + 1]!);
  }
  return size;
}

function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Payload 2.0 results: a structured `{statusCode, headers, body}` or any other value, sent as JSON 200. */
function writeResult(response: ServerResponse, result: APIGatewayProxyResultV2, requestId: string): void {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    return send(response, 200, result);
  }
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded === true ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, {
    ...(result.headers as Record<string, string> | undefined),
    'apigw-requestid': requestId,
    'content-length': body.length,
  });
  response.end(body);
}

function send(
  response: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
