import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startThrottleProxy } from '../../../local/throttle-proxy';
import { dynamodbThrottlingReason, throttleAnswer } from '../../../local/throttles';

/**
 * The throttle proxy's refusals read by the real SDK clients the handlers use: the exception each names must be
 * AWS's own (ProvisionedThroughputExceededException with its ThrottlingReasons, RequestThrottled), and what is
 * let through must reach the service unchanged.
 */
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('the throttle proxy', () => {
  let upstream: Server;
  let received: { target: string; body: string }[];
  let proxy: Awaited<ReturnType<typeof startThrottleProxy>>;
  let allow: boolean;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ target: String(req.headers['x-amz-target']), body: Buffer.concat(chunks).toString() });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    proxy = await startThrottleProxy({
      host: '127.0.0.1',
      upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      refuse: (operation) =>
        allow
          ? undefined
          : operation === 'SendMessageBatch'
            ? throttleAnswer.sqs()
            : throttleAnswer.dynamodb(
                dynamodbThrottlingReason(operation, 'partition'),
                'arn:aws:dynamodb:us-east-1:000000000000:table/t',
              ),
    });
  });
  beforeEach(() => {
    received = [];
    allow = false;
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  const dynamodb = () =>
    new DynamoDBClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

  it('refuses a DynamoDB call with ProvisionedThroughputExceededException and its reason, never forwarding it', async () => {
    // Act
    const refused = dynamodb()
      .send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'FLOW#a' } } }))
      .catch((error: unknown) => error);

    // Assert
    await expect(refused).resolves.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
      ThrottlingReasons: [
        { reason: 'TableWriteKeyRangeThroughputExceeded', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t' },
      ],
    });
    expect(received).toEqual([]);
  });

  it('refuses SendMessageBatch with RequestThrottled', async () => {
    const sqs = new SQSClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

    const refused = sqs
      .send(
        new SendMessageBatchCommand({
          QueueUrl: `${proxy.endpoint}/000000000000/q`,
          Entries: [{ Id: '1', MessageBody: 'x' }],
        }),
      )
      .catch((error: unknown) => error);

    await expect(refused).resolves.toMatchObject({ name: 'RequestThrottled' });
    expect(received).toEqual([]);
  });

  it('forwards what it lets through, body and target unchanged', async () => {
    allow = true;

    await dynamodb().send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'FLOW#a' } } }));

    expect(received.map((r) => [r.target, JSON.parse(r.body) as unknown])).toEqual([
      ['DynamoDB_20120810.GetItem', { TableName: 't', Key: { pk: { S: 'FLOW#a' } } }],
    ]);
  });
});
