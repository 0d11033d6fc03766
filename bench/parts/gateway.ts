import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { request } from '../../test/support/local-stack';
import { log } from '../lib/log';
import { type BenchStack, diffCounts, ownCpuSeconds } from '../lib/stack';
import { round } from '../lib/stats';

/** Load settings: the 50 connections, bounded in time and in count (whichever comes first). */
export const GATEWAY_SETTINGS = {
  connections: 50,
  warmupSeconds: 3,
  measureSeconds: 10,
  maxRequests: 40_000,
  timeoutSeconds: 10,
} as const;

export interface LoadResult {
  readonly target: string;
  readonly durationSeconds: number;
  readonly requests: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Record<string, number>;
  /** Completed 2xx responses per second over the whole run. */
  readonly rps: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** CPU used during the run by each process: the stack's, dynalite's, fauxqs's, and the load generator's. */
  readonly cpuPercent: Record<string, number>;
}

export interface GatewayResult {
  readonly settings: typeof GATEWAY_SETTINGS;
  readonly ceiling: LoadResult;
  readonly hookflow: LoadResult;
  /** The same route at 1 connection (no queueing): the latency of one request on an otherwise idle stack. */
  readonly hookflowOneConnection: LoadResult;
  /** hookflow's rps / the ceiling's rps. */
  readonly ratio: number;
  /**
   * AWS calls the stack process made during the measured run, per answered request (counted in the stack by
   * bench/support/aws-call-counter.cjs; approximate at the edges: requests in flight when the run starts).
   */
  readonly awsCallsPerRequest: Record<string, number>;
}

function runCannon(options: autocannon.Options, seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { ...options, amount: GATEWAY_SETTINGS.maxRequests, timeout: GATEWAY_SETTINGS.timeoutSeconds },
      (error, result) => {
        clearTimeout(timer);
        if (error !== null) reject(error);
        else resolve(result);
      },
    );
    const timer = setTimeout(() => instance.stop(), seconds * 1000);
  });
}

async function measure(
  stack: BenchStack,
  target: string,
  options: autocannon.Options,
  connections: number = GATEWAY_SETTINGS.connections,
  warmupSeconds: number = GATEWAY_SETTINGS.warmupSeconds,
  measureSeconds: number = GATEWAY_SETTINGS.measureSeconds,
): Promise<{ result: LoadResult; calls: Record<string, number> }> {
  if (warmupSeconds > 0) {
    log('gateway', `${target}: warm-up, ${warmupSeconds} s at ${connections} connections`);
    await runCannon({ ...options, connections }, warmupSeconds);
  }
  log(
    'gateway',
    `${target}: measuring, ${measureSeconds} s or ${GATEWAY_SETTINGS.maxRequests} requests at ${connections} connection(s)`,
  );
  const cpuBefore: Record<string, number> = { ...stack.cpuSeconds(), 'load generator (bench)': ownCpuSeconds() };
  const countsBefore = await stack.counts({ newerThan: Date.now() });
  const wallBefore = process.hrtime.bigint();
  const raw = await runCannon({ ...options, connections }, measureSeconds);
  const wall = Number(process.hrtime.bigint() - wallBefore) / 1e9;
  const cpuAfter = { ...stack.cpuSeconds(), 'load generator (bench)': ownCpuSeconds() };
  const cpuPercent = Object.fromEntries(
    Object.entries(cpuAfter).map(([name, seconds]) => [name, round((100 * (seconds - cpuBefore[name]!)) / wall, 1)]),
  );
  await new Promise((r) => setTimeout(r, 300)); // requests still in flight when autocannon stopped
  const countsAfter = await stack.counts({ newerThan: Date.now() });
  const answered = raw['2xx'] + raw.non2xx;
  const calls = Object.fromEntries(
    Object.entries(diffCounts(countsBefore.counts, countsAfter.counts))
      .filter(([operation]) => !/^SQS\.(ReceiveMessage|DeleteMessageBatch)$/.test(operation)) // the idle event source
      .map(([operation, { calls }]) => [operation, round(calls / answered, 3)]),
  );
  const result: LoadResult = {
    target,
    durationSeconds: round(raw.duration, 2),
    requests: raw['2xx'] + raw.non2xx,
    ok: raw['2xx'],
    non2xx: raw.non2xx,
    errors: raw.errors,
    timeouts: raw.timeouts,
    statusCodes: Object.fromEntries(Object.entries(raw.statusCodeStats).map(([code, s]) => [code, s.count])),
    rps: round(raw['2xx'] / raw.duration, 1),
    latencyMs: { p50: raw.latency.p50, p90: raw.latency.p90, p99: raw.latency.p99, max: raw.latency.max },
    cpuPercent,
  };
  log(
    'gateway',
    `${target}: ${result.rps} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ` +
      `${result.non2xx} non-2xx, ${result.errors} errors; CPU ${JSON.stringify(cpuPercent)}`,
  );
  return { result, calls };
}

/**
 * 1. Gateway throughput and latency: the flow-trigger route through the local stack (gateway, handler,
 * dynalite, local Step Functions), each request with its own Idempotency-Key, beside dynalite's own ceiling
 * for the dedupe claim's conditional PutItem at the same concurrency, both driven by autocannon from this
 * process (the stack runs in its own processes).
 */
export async function runGateway(stack: BenchStack): Promise<GatewayResult> {
  const check = await request(`${stack.url}/flows/hello/trigger`, {
    method: 'POST',
    headers: { authorization: 'Bearer hf_local_dev_key', 'idempotency-key': `bench-check-${randomUUID()}` },
    body: '{"hello":"world"}',
  });
  if (check.status !== 202) throw new Error(`flow trigger answered ${check.status}: ${check.text}`);

  // The same item and condition the dedupe claim writes (functions/adapters/aws/dynamodb-dedupe-store.ts).
  const now = Date.now();
  const claim = {
    TableName: 'hookflow-dedupe',
    Item: {
      pk: { S: 'flow-trigger#hello#local-dev#bench-raw-[<id>]' },
      fingerprint: { S: 'c2a6b03f190dfb2b4aa91f8af8d477a9bc3401dcc7d04ff0cf1bd6ed1f4e4e3b' },
      owner: { S: '[<id>]' },
      createdAt: { N: String(now) },
      leaseUntil: { N: String(now + 30_000) },
      expiresAt: { N: String(Math.floor(now / 1000) + 86_400) },
    },
    ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds',
    ExpressionAttributeValues: { ':nowSeconds': { N: String(Math.floor(now / 1000)) } },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const ceiling = await measure(stack, 'dynalite conditional PutItem (ceiling)', {
    url: stack.dynamodbEndpoint,
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.PutItem',
      'x-amz-date': amzDate,
      // dynalite checks the header's shape, not the signature.
      authorization: `AWS4-HMAC-SHA256 Credential=local/${amzDate.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
    },
    body: JSON.stringify(claim),
    idReplacement: true,
  });

  const trigger: autocannon.Options = {
    url: `${stack.url}/flows/hello/trigger`,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer hf_local_dev_key',
      'idempotency-key': 'bench-[<id>]',
    },
    body: '{"hello":"world"}',
    idReplacement: true,
  };
  const hookflow = await measure(stack, 'hookflow POST /flows/hello/trigger', trigger);
  const single = await measure(stack, 'hookflow POST /flows/hello/trigger, 1 connection', trigger, 1, 0, 5);
  return {
    settings: GATEWAY_SETTINGS,
    ceiling: ceiling.result,
    hookflow: hookflow.result,
    hookflowOneConnection: single.result,
    ratio: round(hookflow.result.rps / ceiling.result.rps, 3),
    awsCallsPerRequest: hookflow.calls,
  };
}
