/**
 * The like-for-like ceiling of target 4: the least a webhook front end can do per request on the local stack.
 * A plain Node HTTP server that, per request, reads the body and makes one SDK PutItem (the dedupe claim's
 * conditional write, keyed by the request's Idempotency-Key) to the same dynalite the stack uses, with a
 * DynamoDBClient configured as functions/adapters/aws/clients.ts configures it, then answers 202 with a small
 * JSON body. No routing, no auth, no registry, no Step Functions: anything hookflow does beyond this is its cost.
 *
 * Run by bench/parts/gateway.ts as its own process (`node --import tsx bench/support/ceiling-server.ts`), with
 * AWS_ENDPOINT_URL_DYNAMODB and the local credentials in its environment; prints `ceiling listening on <port>`.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const client = new DynamoDBClient({});
const table = process.env.DEDUPE_TABLE ?? 'hookflow-dedupe';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const key = String(req.headers['idempotency-key'] ?? randomUUID());
    const now = Date.now();
    const nowSeconds = Math.floor(now / 1000);
    client
      .send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: `ceiling#${key}` },
            owner: { S: randomUUID() },
            bodyBytes: { N: String(body.byteLength) },
            createdAt: { N: String(now) },
            expiresAt: { N: String(nowSeconds + 86_400) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
        }),
      )
      .then(
        () => {
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ accepted: key }));
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: (error as Error).name }));
        },
      );
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`ceiling listening on ${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
