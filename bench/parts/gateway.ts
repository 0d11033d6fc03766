import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { request } from '../../test/support/local-stack';
import { log } from '../lib/log';
import { comparePaired, type PairedResult } from '../lib/paired';
import {
  type BenchStack,
  type CallCounts,
  diffCounts,
  ownCpuSeconds,
  processCpuSeconds,
  UNRECORDED_FLOW,
} from '../lib/stack';
import { localAwsEnv } from '../../local/local-aws-env';
import { round } from '../lib/stats';

/**
 * Load settings: the 50 connections; each side warmed up once, then measured in rounds of three, the
 * target pair alternating (ceiling, unrecorded trigger, recorded trigger; then recorded, unrecorded, ceiling; …),
 * each run bounded in time and in count.
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
  /** CPU used during the run by each process (100 = one core): the stack's, dynalite's, fauxqs's, the Step Functions endpoint's, the ceiling's, the load generator's. */
  readonly cpuPercent: Record<string, number>;
}

/** The three sides of a round: the ceiling, the target (the unrecorded trigger), the recorded trigger (information). */
export type GatewaySide = 'ceiling' | 'hookflow' | 'recorded';

export interface GatewayRound {
  /** The order the sides ran in this round. */
  readonly sequence: readonly GatewaySide[];
  readonly ceiling: LoadResult;
  /** The target: the keyed trigger of a flow that records no deliveries (`hello-unrecorded`). */
  readonly hookflow: LoadResult;
  /** Information: the same trigger with delivery recording on (`hello`, the demo's flow). */
  readonly recorded: LoadResult;
}

export interface GatewayResult {
  readonly settings: typeof GATEWAY_SETTINGS;
  readonly rounds: GatewayRound[];
  /** Paired by round: the unrecorded trigger's req/s against the ceiling's (ratio of medians; target 4: at least 0.5). */
  readonly rps: PairedResult;
  /** Paired by round: the unrecorded trigger's p99 latency against the ceiling's (ratio of medians; target 4: at most 3). */
  readonly p99: PairedResult;
  /** Information, paired by round: the recorded trigger's req/s against the ceiling's. */
  readonly recordedRps: PairedResult;
  /** Information, paired by round: the recorded trigger's p99 against the ceiling's. */
  readonly recordedP99: PairedResult;
  /** Information, paired by round: the recorded trigger's req/s against the unrecorded one's (what recording costs). */
  readonly recordedVsUnrecordedRps: PairedResult;
  /** The target route at 1 connection (no queueing): the latency of one request on an otherwise idle stack. */
  readonly hookflowOneConnection: LoadResult;
  /**
   * AWS calls the stack process made during the measured runs of the unrecorded trigger, per answered request
   * (counted in the stack by bench/support/aws-call-counter.cjs; approximate at the edges: requests in flight when
   * a run starts or stops).
   */
  readonly awsCallsPerRequest: Record<string, number>;
  /** The same for the recorded trigger's runs. */
  readonly recordedAwsCallsPerRequest: Record<string, number>;
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
 * Step Functions endpoint (bench/support/ceiling-server.ts). The target side is a flow that records no deliveries
 * (`hello-unrecorded`, bench/lib/stack.ts): the ceiling records nothing, and issue 18's cost target is "without
 * delivery recording". The demo's `hello`, whose claim carries its delivery record (a larger item and its index
 * entry), runs in the same rounds as information: what recording costs in throughput. All three driven by
 * autocannon from this process at the same concurrency with the same body and a unique Idempotency-Key per
 * request, in rounds whose order alternates; req/s and p99 compared by the ratio of their medians.
 */
export async function runGateway(stack: BenchStack): Promise<GatewayResult> {
  for (const flow of [UNRECORDED_FLOW, 'hello']) {
    const check = await request(`${stack.url}/flows/${flow}/trigger`, {
      method: 'POST',
      headers: { authorization: 'Bearer hf_local_dev_key', 'idempotency-key': `bench-check-${randomUUID()}` },
      body: '{"hello":"world"}',
    });
    if (check.status !== 202) throw new Error(`flow trigger ${flow} answered ${check.status}: ${check.text}`);
  }

  const ceiling = await startCeiling(stack);
  try {
    const ceilingCheck = await request(ceiling.url, { method: 'POST', body: '{"hello":"world"}' });
    if (ceilingCheck.status !== 202) throw new Error(`ceiling answered ${ceilingCheck.status}: ${ceilingCheck.text}`);
    const cpuOf: CpuSource = () => ({ ...stack.cpuSeconds(), ceiling: processCpuSeconds(ceiling.child.pid!) });
    const body = '{"hello":"world"}';
    const trigger = (flow: string) =>
      ({
        url: `${stack.url}/flows/${flow}/trigger`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer hf_local_dev_key',
          'idempotency-key': 'bench-[<id>]',
        },
        body,
        idReplacement: true,
      }) satisfies autocannon.Options;
    const sides: Record<GatewaySide, { target: string; options: autocannon.Options }> = {
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
        target: `hookflow POST /flows/${UNRECORDED_FLOW}/trigger (target)`,
        options: trigger(UNRECORDED_FLOW),
      },
      recorded: { target: 'hookflow POST /flows/hello/trigger (recorded, information)', options: trigger('hello') },
    };
    const { connections, warmupSeconds, rounds: roundCount, roundSeconds } = GATEWAY_SETTINGS;
    for (const side of Object.values(sides)) {
      log('gateway', `${side.target}: warm-up, ${warmupSeconds} s at ${connections} connections`);
      await runCannon({ ...side.options, connections }, warmupSeconds);
    }
    const rounds: GatewayRound[] = [];
    // The AWS calls of each trigger's runs, summed: snapshots taken around each run (the counter writes its file
    // every 100 ms), after a pause for the requests still in flight when autocannon stopped.
    const calls: Record<'hookflow' | 'recorded', { counts: Record<string, number>; answered: number }> = {
      hookflow: { counts: {}, answered: 0 },
      recorded: { counts: {}, answered: 0 },
    };
    const snapshot = async (): Promise<CallCounts> => (await stack.counts({ newerThan: Date.now() })).counts;
    for (let r = 0; r < roundCount; r++) {
      // The target pair alternates which goes first; the recorded trigger runs first or last, the other way.
      const sequence: GatewaySide[] =
        r % 2 === 0 ? ['ceiling', 'hookflow', 'recorded'] : ['recorded', 'hookflow', 'ceiling'];
      log('gateway', `round ${r + 1} of ${roundCount}: ${roundSeconds} s each, ${sequence.join(', ')}`);
      const results: Partial<Record<GatewaySide, LoadResult>> = {};
      for (const name of sequence) {
        const before = name === 'ceiling' ? undefined : await snapshot();
        const { result } = await measure(sides[name].target, sides[name].options, cpuOf, connections, roundSeconds);
        results[name] = result;
        if (name !== 'ceiling') {
          await new Promise((resolve) => setTimeout(resolve, 300));
          const made = diffCounts(before!, await snapshot());
          for (const [operation, { calls: n }] of Object.entries(made)) {
            calls[name].counts[operation] = (calls[name].counts[operation] ?? 0) + n;
          }
          calls[name].answered += result.requests;
        }
      }
      rounds.push({ sequence, ceiling: results.ceiling!, hookflow: results.hookflow!, recorded: results.recorded! });
    }
    const perRequest = (side: 'hookflow' | 'recorded') =>
      Object.fromEntries(
        Object.entries(calls[side].counts)
          .filter(([operation]) => !/^SQS\.(ReceiveMessage|DeleteMessageBatch)$/.test(operation)) // the idle event source
          .map(([operation, n]) => [operation, round(n / calls[side].answered, 3)]),
      );
    log('gateway', `${sides.hookflow.target}, 1 connection, ${GATEWAY_SETTINGS.oneConnectionSeconds} s`);
    const single = await measure(
      `${sides.hookflow.target}, 1 connection`,
      sides.hookflow.options,
      cpuOf,
      1,
      GATEWAY_SETTINGS.oneConnectionSeconds,
    );
    const before = (a: GatewaySide, b: GatewaySide, r: GatewayRound) =>
      (r.sequence.indexOf(a) < r.sequence.indexOf(b) ? 'ab' : 'ba') as 'ab' | 'ba';
    const paired = (a: GatewaySide, b: GatewaySide, value: (result: LoadResult) => number) =>
      comparePaired(
        rounds.map((r) => value(r[a])),
        rounds.map((r) => value(r[b])),
        rounds.map((r) => before(a, b, r)),
      );
    const rpsOf = (result: LoadResult) => result.rps;
    const p99Of = (result: LoadResult) => result.latencyMs.p99;
    const rps = paired('hookflow', 'ceiling', rpsOf);
    const p99 = paired('hookflow', 'ceiling', p99Of);
    const recordedRps = paired('recorded', 'ceiling', rpsOf);
    const recordedP99 = paired('recorded', 'ceiling', p99Of);
    const recordedVsUnrecordedRps = paired('recorded', 'hookflow', rpsOf);
    log(
      'gateway',
      `unrecorded: req/s / ceiling x${rps.ratio} (pairs x${rps.medianPairRatio}); p99 x${p99.ratio}. ` +
        `recorded: req/s x${recordedRps.ratio}, p99 x${recordedP99.ratio}; recorded / unrecorded req/s x${recordedVsUnrecordedRps.ratio}`,
    );
    return {
      settings: GATEWAY_SETTINGS,
      rounds,
      rps,
      p99,
      recordedRps,
      recordedP99,
      recordedVsUnrecordedRps,
      hookflowOneConnection: single.result,
      awsCallsPerRequest: perRequest('hookflow'),
      recordedAwsCallsPerRequest: perRequest('recorded'),
    };
  } finally {
    ceiling.child.kill('SIGTERM');
  }
}
