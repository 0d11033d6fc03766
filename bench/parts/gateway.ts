import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { request } from '../../test/support/local-stack';
import { log } from '../lib/log';
import { comparePaired, type PairedResult } from '../lib/paired';
import { type BenchStack, diffCounts, ownCpuSeconds, processCpuSeconds } from '../lib/stack';
import { localAwsEnv } from '../../local/local-aws-env';
import { round } from '../lib/stats';

/**
 * Load settings: the 50 connections; each side warmed up once, then measured in alternating rounds
 * (ceiling, hookflow, then hookflow, ceiling, …), each round bounded in time and in count.
 */
export const GATEWAY_SETTINGS = {
  connections: 50,
  warmupSeconds: 3,
  rounds: 5,
  roundSeconds: 5,
  maxRequests: 40_000,
  timeoutSeconds: 10,
  oneConnectionSeconds: 4,
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
  /** CPU used during the run by each process (100 = one core): the stack's, dynalite's, fauxqs's, the ceiling's, the load generator's. */
  readonly cpuPercent: Record<string, number>;
}

export interface GatewayRound {
  readonly order: 'ceiling first' | 'hookflow first';
  readonly ceiling: LoadResult;
  readonly hookflow: LoadResult;
}

export interface GatewayResult {
  readonly settings: typeof GATEWAY_SETTINGS;
  readonly rounds: GatewayRound[];
  /** Paired by round: hookflow's req/s against the ceiling's (ratio of medians; target 4: at least 0.5). */
  readonly rps: PairedResult;
  /** Paired by round: hookflow's p99 latency against the ceiling's (ratio of medians; target 4: at most 3). */
  readonly p99: PairedResult;
  /** The same route at 1 connection (no queueing): the latency of one request on an otherwise idle stack. */
  readonly hookflowOneConnection: LoadResult;
  /**
   * AWS calls the stack process made during the measured rounds, per answered request (counted in the stack by
   * bench/support/aws-call-counter.cjs; approximate at the edges: requests in flight when a round starts).
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

type CpuSource = () => Record<string, number>;

async function measure(
  target: string,
  options: autocannon.Options,
  cpuOf: CpuSource,
  connections: number,
  seconds: number,
): Promise<{ result: LoadResult; raw: autocannon.Result }> {
  const cpuBefore: Record<string, number> = { ...cpuOf(), 'load generator (bench)': ownCpuSeconds() };
  const wallBefore = process.hrtime.bigint();
  const raw = await runCannon({ ...options, connections }, seconds);
  const wall = Number(process.hrtime.bigint() - wallBefore) / 1e9;
  const cpuAfter = { ...cpuOf(), 'load generator (bench)': ownCpuSeconds() };
  const cpuPercent = Object.fromEntries(
    Object.entries(cpuAfter).map(([name, s]) => [name, round((100 * (s - (cpuBefore[name] ?? 0))) / wall, 1)]),
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
  return { result, raw };
}

/**
 * What the trigger starts: flow `hello` of local/hookflow.local.json runs the Express state machine
 * `hookflow-echo`, in the local stack's region and account (local/start.ts, LOCAL_AWS).
 */
const CEILING_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:hookflow-echo';

/** Starts bench/support/ceiling-server.ts against the stack's dynalite; resolves its URL and process. */
async function startCeiling(stack: BenchStack): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'support', 'ceiling-server.ts')], {
    cwd: join(__dirname, '..', '..'),
    env: {
      ...process.env,
      ...localAwsEnv,
      AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint,
      AWS_ENDPOINT_URL_SFN: stack.sfnEndpoint,
      DEDUPE_TABLE: 'hookflow-dedupe',
      CEILING_STATE_MACHINE_ARN: CEILING_STATE_MACHINE_ARN,
      NODE_OPTIONS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ceiling server did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ceiling listening on (\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ceiling server exited ${code}:\n${output}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/**
 * 1. Local throughput (target 4): the keyed flow trigger through the local stack (gateway, handler, dynalite,
 * local Step Functions) against a like-for-like ceiling in the same run: a Node HTTP server making one SDK
 * PutItem per request to the same dynalite and one StartExecution of the same Express workflow on the same local
 * Step Functions endpoint (bench/support/ceiling-server.ts). Both driven by autocannon from
 * this process at the same concurrency with the same body and a unique Idempotency-Key per request, in
 * alternating rounds; req/s and p99 compared by the ratio of their medians.
 */
export async function runGateway(stack: BenchStack): Promise<GatewayResult> {
  const check = await request(`${stack.url}/flows/hello/trigger`, {
    method: 'POST',
    headers: { authorization: 'Bearer hf_local_dev_key', 'idempotency-key': `bench-check-${randomUUID()}` },
    body: '{"hello":"world"}',
  });
  if (check.status !== 202) throw new Error(`flow trigger answered ${check.status}: ${check.text}`);

  const ceiling = await startCeiling(stack);
  try {
    const ceilingCheck = await request(ceiling.url, { method: 'POST', body: '{"hello":"world"}' });
    if (ceilingCheck.status !== 202) throw new Error(`ceiling answered ${ceilingCheck.status}: ${ceilingCheck.text}`);
    const cpuOf: CpuSource = () => ({ ...stack.cpuSeconds(), ceiling: processCpuSeconds(ceiling.child.pid!) });
    const body = '{"hello":"world"}';
    const sides = {
      ceiling: {
        target: 'ceiling: Node HTTP server + SDK PutItem + StartExecution',
        options: {
          url: ceiling.url,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'bench-[<id>]' },
          body,
          idReplacement: true,
        } satisfies autocannon.Options,
      },
      hookflow: {
        target: 'hookflow POST /flows/hello/trigger',
        options: {
          url: `${stack.url}/flows/hello/trigger`,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer hf_local_dev_key',
            'idempotency-key': 'bench-[<id>]',
          },
          body,
          idReplacement: true,
        } satisfies autocannon.Options,
      },
    };
    const { connections, warmupSeconds, rounds: roundCount, roundSeconds } = GATEWAY_SETTINGS;
    for (const side of [sides.ceiling, sides.hookflow]) {
      log('gateway', `${side.target}: warm-up, ${warmupSeconds} s at ${connections} connections`);
      await runCannon({ ...side.options, connections }, warmupSeconds);
    }
    const rounds: GatewayRound[] = [];
    const countsBefore = await stack.counts({ newerThan: Date.now() });
    let hookflowAnswered = 0;
    for (let r = 0; r < roundCount; r++) {
      const hookflowFirst = r % 2 === 1;
      log(
        'gateway',
        `round ${r + 1} of ${roundCount}: ${roundSeconds} s each, ${hookflowFirst ? 'hookflow' : 'ceiling'} first`,
      );
      const results: Partial<Record<'ceiling' | 'hookflow', LoadResult>> = {};
      for (const name of hookflowFirst ? (['hookflow', 'ceiling'] as const) : (['ceiling', 'hookflow'] as const)) {
        const { result } = await measure(sides[name].target, sides[name].options, cpuOf, connections, roundSeconds);
        results[name] = result;
        if (name === 'hookflow') hookflowAnswered += result.requests;
      }
      rounds.push({
        order: hookflowFirst ? 'hookflow first' : 'ceiling first',
        ceiling: results.ceiling!,
        hookflow: results.hookflow!,
      });
    }
    await new Promise((r) => setTimeout(r, 300)); // requests still in flight when autocannon stopped
    const countsAfter = await stack.counts({ newerThan: Date.now() });
    const awsCallsPerRequest = Object.fromEntries(
      Object.entries(diffCounts(countsBefore.counts, countsAfter.counts))
        .filter(([operation]) => !/^SQS\.(ReceiveMessage|DeleteMessageBatch)$/.test(operation)) // the idle event source
        .map(([operation, { calls }]) => [operation, round(calls / hookflowAnswered, 3)]),
    );
    log('gateway', `${sides.hookflow.target}, 1 connection, ${GATEWAY_SETTINGS.oneConnectionSeconds} s`);
    const single = await measure(
      `${sides.hookflow.target}, 1 connection`,
      sides.hookflow.options,
      cpuOf,
      1,
      GATEWAY_SETTINGS.oneConnectionSeconds,
    );
    const order = rounds.map((r) => (r.order === 'hookflow first' ? 'ab' : 'ba') as 'ab' | 'ba');
    const rps = comparePaired(
      rounds.map((r) => r.hookflow.rps),
      rounds.map((r) => r.ceiling.rps),
      order,
    );
    const p99 = comparePaired(
      rounds.map((r) => r.hookflow.latencyMs.p99),
      rounds.map((r) => r.ceiling.latencyMs.p99),
      order,
    );
    log('gateway', `req/s hookflow / ceiling x${rps.ratio} (pairs x${rps.medianPairRatio}); p99 x${p99.ratio}`);
    return {
      settings: GATEWAY_SETTINGS,
      rounds,
      rps,
      p99,
      hookflowOneConnection: single.result,
      awsCallsPerRequest,
    };
  } finally {
    ceiling.child.kill('SIGTERM');
  }
}
