/**
 * dynalite alone, as the local stack runs it (local/dynamodb/dynalite-process.js, a fresh data folder): does its
 * CPU per write grow with what it stores? Sends a keyed trigger's claim (a conditional PutItem) 50 at a time, each
 * with a new key, and after every 10,000 prints dynalite's CPU per write, split by thread: the main thread (the
 * protocol, the JSON, dynalite's own code) and the busiest other one (LevelDB's background merging of its table
 * files, which Linux names after the thread pool that opened the database). Not part of `npm run bench`.
 *
 *   npx tsx bench/support/dynalite-growth.ts [recorded|unrecorded] [writes]   # defaults: recorded, 100000
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTables } from '../../local/dynamodb/create-tables';
import { localClientConfig } from '../../test/support/local-stack';
import { processCpuSeconds } from '../lib/stack';

const kind = process.argv[2] === 'unrecorded' ? 'unrecorded' : 'recorded';
const total = Number(process.argv[3] ?? 100_000);
const STEP = 10_000;
const CONCURRENCY = 50;
const TABLES = { registry: 'hookflow-registry', dedupe: 'hookflow-dedupe' };

/** The headers a recorded trigger from autocannon carries (the bench's, as a claim stores them). */
const headers = {
  host: '127.0.0.1:37423',
  connection: 'keep-alive',
  authorization: '[redacted]',
  'content-type': 'application/json',
  'content-length': '17',
  'x-forwarded-for': '127.0.0.1',
  'x-forwarded-proto': 'http',
  'x-forwarded-port': '37423',
};
const sha = '93a23971a914e5eacbf0a8d25154cda309c3c1c72fbb9914d47c60f3cb681588';
const machine = 'arn:aws:states:us-east-1:000000000000:stateMachine:hookflow-echo';

/** A claim as the flow trigger writes it: `hello-unrecorded`'s, or `hello`'s carrying its delivery record. */
function claim(i: number): Record<string, unknown> {
  const now = Date.now();
  const base = {
    pk: `flow-trigger#hello#local-dev#growth-${i}`,
    fingerprint: sha,
    owner: 'd6983a54-506a-4a7b-8bb1-db3479fa7932',
    createdAt: now,
    leaseUntil: now + 30_000,
    guardedBy: machine,
    dedupeUntil: Math.floor(now / 1000) + 86_400,
    expiresAt: Math.floor(now / 1000) + 7 * 86_400,
  };
  if (kind === 'unrecorded') return base;
  const id = `dlv_${String(now).padStart(14, '0')}${String(i).padStart(12, '0')}`;
  return {
    id,
    style: 'flow-trigger',
    registration: 'hello',
    apiKeyId: 'local-dev',
    receivedAt: new Date(now).toISOString(),
    method: 'POST',
    path: '/flows/hello/trigger',
    outcome: 'started',
    status: 202,
    correlationId: `growth-${i}`,
    runs: [{ runGuard: `run#${machine}#hf-${base.dedupeUntil}-${i}-onC12Fn7iEamg30WYqTUXismIHsIhqk8W4QVqBF1lCs` }],
    headers: { ...headers, 'idempotency-key': `growth-${i}` },
    body: { bytes: 17, sha256: sha, inline: 'eyJoZWxsbyI6IndvcmxkIn0=' },
    bodyBytes: 17,
    dPk: `d#${i % 4}`,
    dSk: id,
    ...base,
  };
}

/** CPU seconds so far of each of a process's threads: `main`, and the others by name and id. */
function threadCpuSeconds(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = tid === String(pid) ? 'main' : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}:${tid}`;
      out[name] = (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // the thread ended
    }
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-dynalite-growth-'));
  const child = fork(join(__dirname, '..', '..', 'local', 'dynamodb', 'dynalite-process.js'), ['127.0.0.1', dir], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const port = await new Promise<number>((resolve) =>
      child.on('message', (message) => resolve((message as { port: number }).port)),
    );
    const client = new DynamoDBClient(localClientConfig(`http://127.0.0.1:${port}`));
    await createTables(client, TABLES);
    let next = 0;
    let threadsBefore = threadCpuSeconds(child.pid!);
    for (let end = STEP; end <= total; end += STEP) {
      const cpuBefore = processCpuSeconds(child.pid!);
      const wallBefore = Date.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < end) {
            const i = next++;
            await client.send(
              new PutItemCommand({
                TableName: TABLES.dedupe,
                Item: marshall(claim(i)),
                ConditionExpression:
                  'attribute_not_exists(pk) OR dedupeUntil <= :now OR attribute_not_exists(dedupeUntil) AND expiresAt <= :now',
                ExpressionAttributeValues: marshall({ ':now': Math.floor(Date.now() / 1000) }),
                ReturnValues: 'ALL_OLD',
              }),
            );
          }
        }),
      );
      const perWrite = (seconds: number) => Math.round((1e6 * seconds) / STEP) / 1000;
      const threads = threadCpuSeconds(child.pid!);
      const used = Object.entries(threads).map(([name, s]) => [name, s - (threadsBefore[name] ?? 0)] as const);
      threadsBefore = threads;
      const others = used.filter(([name]) => name !== 'main').map(([, s]) => s);
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      console.log(
        JSON.stringify({
          kind,
          writes: end,
          cpuMsPerWrite: perWrite(processCpuSeconds(child.pid!) - cpuBefore),
          mainThread: perWrite(used.find(([name]) => name === 'main')?.[1] ?? 0),
          busiestOtherThread: perWrite(Math.max(...others)),
          writesPerSecond: Math.round((1000 * STEP) / (Date.now() - wallBefore)),
          rssMb: Math.round(Number(rss) / 1024),
          load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
        }),
      );
    }
    client.destroy();
  } finally {
    child.disconnect();
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
