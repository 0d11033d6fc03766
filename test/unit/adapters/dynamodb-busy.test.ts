import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DYNAMODB_BUSY_ERRORS,
  answerBusyDynamoDb,
  requestHandlerOptions,
} from '../../../functions/adapters/aws/clients';
import { EngineBusyError } from '../../../functions/core/outcomes';
import { httpAnswerOf } from '../../../functions/http/outcome-to-http';

/**
 * DynamoDB's throttling errors reach a caller as 503 + Retry-After, never 500 (docs/scale.md found them
 * answering 500). A real SDK client against a server that answers as DynamoDB does when it throttles: the
 * error type in `__type`, HTTP 400 (or 500/503), so the SDK's parsing, retries and middleware all run.
 */
describe('DynamoDB errors that mean busy', () => {
  let server: Server;
  let answer: { status: number; type: string };
  let endpoint: string;
  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`, message: 'x' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const client = () =>
    answerBusyDynamoDb(
      new DynamoDBClient({
        endpoint,
        region: 'us-east-1',
        maxAttempts: 1,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      }),
    );
  const get = (c: DynamoDBClient) =>
    c.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'k' } } })).catch((error: unknown) => error);

  it.each([
    [400, 'ProvisionedThroughputExceededException'],
    [400, 'RequestLimitExceeded'],
    [400, 'ThrottlingException'],
    [500, 'InternalServerError'],
    [503, 'ServiceUnavailable'],
  ])('answers %s %s as 503 with Retry-After', async (status, type) => {
    answer = { status, type };

    const error = await get(client());

    expect(DYNAMODB_BUSY_ERRORS.has(type)).toBe(true);
    expect(error).toBeInstanceOf(EngineBusyError);
    expect(httpAnswerOf(error as EngineBusyError)).toMatchObject({
      statusCode: 503,
      headers: { 'retry-after': '1' },
    });
  });

  it('answers a DynamoDB that never answered (the SDK timed out, every attempt) as 503 with Retry-After', async () => {
    const silent = createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const timingOut = answerBusyDynamoDb(
      new DynamoDBClient({
        endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        region: 'us-east-1',
        maxAttempts: 2,
        // hookflow's own client options (clients.ts), with a 50 ms attempt: the SDK's TimeoutError, every attempt.
        requestHandler: requestHandlerOptions({ AWS_REQUEST_TIMEOUT_MS: '50' }),
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      }),
    );

    const error = await get(timingOut);
    timingOut.destroy();
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));

    expect(error).toBeInstanceOf(EngineBusyError);
    expect(httpAnswerOf(error as EngineBusyError).statusCode).toBe(503);
  });

  it('answers a connection cut before the answer (ECONNRESET, every attempt) as 503 with Retry-After', async () => {
    // What the SDK's Node handler throws when the server cuts the socket (seen outside jest: name TimeoutError,
    // code ECONNRESET, "socket hang up"). Made here rather than by a real socket: inside jest, Node's own error
    // comes from another realm and the SDK wraps it, which never happens in Lambda.
    const cut = answerBusyDynamoDb(
      new DynamoDBClient({
        region: 'us-east-1',
        maxAttempts: 2,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        requestHandler: {
          handle: async () => {
            throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });
          },
        },
      }),
    );

    const error = await get(cut);

    expect(error).toBeInstanceOf(EngineBusyError);
  });

  it('passes a failed condition through untouched (it is an answer, not a busy store)', async () => {
    answer = { status: 400, type: 'ConditionalCheckFailedException' };

    const error = await get(client());

    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('gives every attempt of an AWS call a deadline that throws (AWS_REQUEST_TIMEOUT_MS, default 2 s)', () => {
    // Arrange / Act
    const defaults = requestHandlerOptions({});
    const set = requestHandlerOptions({ AWS_REQUEST_TIMEOUT_MS: '750' });

    // Assert: without throwOnRequestTimeout the SDK only warns and waits for ever.
    expect(defaults).toEqual({ requestTimeout: 2_000, connectionTimeout: 1_000, throwOnRequestTimeout: true });
    expect(set.requestTimeout).toBe(750);
    expect(() => requestHandlerOptions({ AWS_REQUEST_TIMEOUT_MS: '0' })).toThrow(/AWS_REQUEST_TIMEOUT_MS/);
  });
});
