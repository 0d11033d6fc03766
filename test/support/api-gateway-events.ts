import type { APIGatewayProxyEventV2, Context, SQSEvent, SQSRecord } from 'aws-lambda';

/** A payload-2.0 event as API Gateway HTTP APIs deliver it (headers lower-cased). */
export function httpEvent(options: {
  method?: string;
  path: string;
  routeKey?: string;
  pathParameters?: Record<string, string>;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}): APIGatewayProxyEventV2 {
  const method = options.method ?? 'POST';
  const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    version: '2.0',
    routeKey: options.routeKey ?? `${method} ${options.path}`,
    rawPath: options.path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers,
    ...(options.query === undefined ? {} : { queryStringParameters: options.query }),
    ...(options.pathParameters === undefined ? {} : { pathParameters: options.pathParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'test.local',
      domainPrefix: 'test',
      http: { method, path: options.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'req-1',
      routeKey: options.routeKey ?? `${method} ${options.path}`,
      stage: '$default',
      time: new Date(0).toUTCString(),
      timeEpoch: 0,
    },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

export const testContext = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'hookflow-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:hookflow-test',
  memoryLimitInMB: '512',
  awsRequestId: 'aws-req-1',
  logGroupName: '/aws/lambda/hookflow-test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 29_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

/** Queue messages as the fan-out queue's event source mapping hands them to its worker: first receives. */
export function sqsEvent(messages: readonly { readonly id: string; readonly body: string }[]): SQSEvent {
  return {
    Records: messages.map(
      (m, i) =>
        ({
          messageId: `m-${m.id}-${i}`,
          receiptHandle: 'r',
          body: m.body,
          attributes: { ApproximateReceiveCount: '1' },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:fanout',
          awsRegion: 'us-east-1',
        }) as unknown as SQSRecord,
    ),
  };
}
