/**
 * What a per-attempt addition to the clients costs an SDK call where it acts. `WHAT=deadline` (the default): the
 * request deadline: in the client's HTTP handler (docs/performance.md,
 * "The request deadline"). `own-cpu-ab.ts` answers every call from a cache above that handler, so it does not see
 * this part: the attempt adjustment (functions/adapters/aws/attempt-options.ts) and the deadline's abort signal
 * handed to @smithy/node-http-handler, which listens on it for every request. A measurement only.
 *
 *   npx tsx --experimental-async-context-frame bench/support/deadline-http-cost.ts     ROUNDS (20), N (1000)
 *
 * One process, two DynamoDB clients built as functions/adapters/aws/clients.ts builds them (cached middleware, the
 * same HTTP settings), against a loopback HTTP server in a process of its own that answers every request with a
 * canned GetItem answer: `plain`, and `added` (ADDITIONS): the same client with `cutShortAtDeadline`, its calls made
 * inside `invocationDeadline.within` as a handler's are; or, `WHAT=unanswered`, with `markUnansweredAttempts`
 * (functions/adapters/aws/unanswered.ts, one middleware around each attempt; docs/waits.md), called as `plain` is. An "invocation" is two GetItems in a row (a keyed trigger makes
 * two calls). Rounds of N invocations per side, alternating which side goes first; CPU is process.cpuUsage()
 * (user + system) of this process around each round, per invocation in µs. Prints the medians, their ratio and
 * difference; writes nothing.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CACHE_MIDDLEWARE, requestHandlerOptions } from '../../functions/adapters/aws/clients';
import { cutShortAtDeadline, invocationDeadline } from '../../functions/adapters/aws/invocation-deadline';
import { markUnansweredAttempts } from '../../functions/adapters/aws/unanswered';
import { median } from '../lib/stats';

const ROUNDS = Number(process.env.ROUNDS ?? 20);
const N = Number(process.env.N ?? 1_000);
const WHAT = process.env.WHAT === 'unanswered' ? 'unanswered' : 'deadline';
/** `plain`, and the same client with what WHAT names added. */
type Side = 'plain' | 'added';
/** What each WHAT adds to a client, and how an invocation's calls are made through it. */
const ADDITIONS = {
  deadline: {
    label: 'the deadline',
    add: (client: DynamoDBClient) => cutShortAtDeadline(client),
    run: (calls: () => Promise<void>) => invocationDeadline.within(Date.now() + 9_000, calls),
  },
  unanswered: {
    label: 'the unanswered-attempt watch',
    add: (client: DynamoDBClient) => markUnansweredAttempts(client),
    run: (calls: () => Promise<void>) => calls(),
  },
}[WHAT];

/** The server process: answers every request with the same GetItem answer. */
function serve(): void {
  const body = Buffer.from('{"Item":{"pk":{"S":"claim#key"},"expiresAt":{"N":"1767225600"}}}');
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': body.length });
      response.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
}

async function measure(): Promise<void> {
  const server = fork(__filename, ['serve'], { execArgv: process.execArgv });
  const port = await new Promise<number>((resolve) => server.once('message', (m) => resolve(m as number)));
  const client = () =>
    new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      cacheMiddleware: CACHE_MIDDLEWARE,
      requestHandler: requestHandlerOptions(),
    });
  const clients: Record<Side, DynamoDBClient> = { plain: client(), added: ADDITIONS.add(client()) };
  const get = (side: Side) =>
    clients[side].send(new GetItemCommand({ TableName: 'hookflow-dedupe', Key: { pk: { S: 'claim#key' } } }));
  const invocation = async (side: Side) => {
    const calls = async () => {
      await get(side);
      await get(side);
    };
    await (side === 'plain' ? calls() : ADDITIONS.run(calls));
  };
  const round = async (side: Side) => {
    const start = process.cpuUsage();
    for (let i = 0; i < N; i++) await invocation(side);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / N;
  };
  await round('plain');
  await round('added');
  const samples: Record<Side, number[]> = { plain: [], added: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order: Side[] = r % 2 === 0 ? ['plain', 'added'] : ['added', 'plain'];
    for (const side of order) samples[side].push(await round(side));
  }
  const plain = median(samples.plain);
  const added = median(samples.added);
  console.log(
    `CPU per invocation of two GetItems (${ROUNDS} rounds of ${N}, medians): plain ${plain.toFixed(1)} µs, ` +
      `with ${ADDITIONS.label} ${added.toFixed(1)} µs: ×${(added / plain).toFixed(3)}, ${(added - plain).toFixed(1)} µs`,
  );
  clients.plain.destroy();
  clients.added.destroy();
  server.kill();
}

if (process.argv[2] === 'serve') serve();
else void measure();
