import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DYNAMODB_BUSY_ERRORS, answerBusyDynamoDb } from '../../../functions/adapters/aws/clients';
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

  it('passes a failed condition through untouched (it is an answer, not a busy store)', async () => {
    answer = { status: 400, type: 'ConditionalCheckFailedException' };

    const error = await get(client());

    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
  });
});
