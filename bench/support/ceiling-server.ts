/**
 * The like-for-like ceiling of target 4: the least a webhook front end can do per request on the local stack for
 * a keyed flow trigger, the floor of target 2 (one claim write, one start). A plain Node HTTP server that, per
 * request, reads the body, makes one SDK PutItem (the dedupe claim's conditional write, keyed by the request's
 * Idempotency-Key) to the same dynalite the stack uses, then one SDK StartExecution of the same Express state
 * machine the trigger starts (`hookflow-echo`, flow `hello`) on the stack's local Step Functions endpoint, with an
 * input of the trigger's shape, named as a keyed trigger names its run (so the workflow runs its Express run guard,
 * as a keyed trigger's run does), and answers 202 with a small JSON body. Its clients are configured as
 * functions/adapters/aws/clients.ts configures the handlers' (the same requestHandler options).
 *
 * Why the start: the local Step Functions endpoint (a process of the stack's, on the same two cores) runs every
 * started execution. A ceiling that only wrote to dynalite left the whole emulator's CPU (serving StartExecution,
 * running the workflow, its own DynamoDB task) on hookflow's side of the ratio, work that in AWS is Step Functions'
 * and not the caller's. With the start, and the same kind of name, both sides make the emulator run the same
 * workflow down the same path. No routing, no auth, no
 * registry, no run record, no logging: anything hookflow does beyond this is its cost.
 *
 * Run by bench/parts/gateway.ts as its own process (`node --import tsx bench/support/ceiling-server.ts`), with
 * AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SFN, CEILING_STATE_MACHINE_ARN and the local credentials in its
 * environment; prints `ceiling listening on <port>`.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { CACHE_MIDDLEWARE, requestHandlerOptions } from '../../functions/adapters/aws/clients';
import { executionNameFor } from '../../functions/core/runs/execution-name';

// Configured as the handlers' clients are (functions/adapters/aws/clients.ts), cacheMiddleware included: SDK
// configuration any sender can set, as the handler-CPU part's bare side has it too.
const dynamodb = new DynamoDBClient({ requestHandler: requestHandlerOptions(), cacheMiddleware: CACHE_MIDDLEWARE });
const sfn = new SFNClient({
  requestHandler: requestHandlerOptions(),
  cacheMiddleware: CACHE_MIDDLEWARE,
  disableHostPrefix: true,
});
const table = process.env.DEDUPE_TABLE ?? 'hookflow-dedupe';
const stateMachineArn = process.env.CEILING_STATE_MACHINE_ARN;
if (stateMachineArn === undefined) throw new Error('CEILING_STATE_MACHINE_ARN is required');

async function accept(key: string, body: Buffer): Promise<void> {
  const now = Date.now();
  const nowSeconds = Math.floor(now / 1000);
  await dynamodb.send(
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
  );
  await sfn.send(
    new StartExecutionCommand({
      stateMachineArn,
      // Named as hookflow names a deduped run (`hf-<expiresAt>-<digest>`), so the workflow takes the path a keyed
      // trigger's run takes: through the Express run guard's conditional PutItem (workflows/express-run-guard.ts).
      // A random name skips the guard (only deduped names can be started twice): the ceiling's runs then did
      // neither that write in dynalite nor that task in the local Step Functions endpoint, which hookflow's did.
      name: executionNameFor(key, now, nowSeconds + 86_400),
      input: JSON.stringify({
        payload: JSON.parse(body.toString('utf8')) as unknown,
        trigger: { style: 'ceiling', receivedAt: new Date(now).toISOString() },
      }),
    }),
  );
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const key = String(req.headers['idempotency-key'] ?? randomUUID());
    accept(key, Buffer.concat(chunks)).then(
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
