/**
 * "The same AWS calls, sent bare": records the SDK commands a handler sends (their class and input, and whether
 * each succeeded) and replays them from plain SDK clients configured as the handlers' clients are
 * (functions/adapters/aws/clients.ts, minus hookflow's own middleware), to the same endpoints. The replay is what
 * target 3 compares a handler's CPU with: the SDK's serializing, signing, HTTP and parsing of exactly those calls,
 * with none of hookflow's code around them.
 *
 * A replay must meet the same state as the handler did, or it measures another path (an error instead of a
 * success). Three rewrites keep it on the handler's path, applied to a copy of the inputs outside any timing:
 *  - a conditional PutItem that creates an item (`attribute_not_exists`) gets a fresh partition key of the same
 *    length, and later calls of the same replay that address that key follow it (the dedupe claim, then the
 *    UpdateItem that records the run on it);
 *  - StartExecution / StartSyncExecution get a fresh execution name of the same length (names are unique per
 *    state machine);
 *  - nothing else: reads are repeatable, SQS sends are not deduplicated on standard queues.
 * Each replayed call waits for the calls that had answered when the handler sent it, no more: calls the handler
 * had in flight together go together, calls it sent one after another's answer go in that order.
 * State a request consumes (a task token resumes its task once) is set up twice by the scenario (a second
 * waiting run per pair) and substituted into the replay (Scenario.replaySubstitutions in bench/lib/in-process.ts).
 * Each replayed call's outcome is still compared with the handler's, and mismatches are reported next to the ratio.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { dedupeTableSchema } from '../../functions/adapters/aws/table-schemas';
import { CACHE_MIDDLEWARE, requestHandlerOptions } from '../../functions/adapters/aws/clients';

type Ctor = new (input: unknown) => object;
type Sendable = { send(command: object): Promise<unknown> };

export interface RecordedCall {
  readonly service: 'DynamoDB' | 'SFN' | 'SQS';
  readonly operation: string;
  readonly command: Ctor;
  /** The input as the handler passed it (by reference: copied only when replayed, outside the timed section). */
  readonly input: Record<string, unknown>;
  /**
   * The calls of the same recording (their indices) that had settled when this one was sent: what it may have
   * waited for. The replay sends it once those have settled in the replay, which keeps the handler's concurrency
   * (calls sent together go together) and its order (a call sent after another's answer goes after it).
   */
  readonly after: readonly number[];
  /** 'ok' or the error's name, once the call settled. */
  outcome?: string;
}

const SERVICES = [
  ['DynamoDB', DynamoDBClient],
  ['SFN', SFNClient],
  ['SQS', SQSClient],
] as const;

let recording: RecordedCall[] | undefined;
let settled: number[] = [];
let installed = false;

/** Wraps `send` on the three client classes (once); records only while `record` runs. */
function install(): void {
  if (installed) return;
  installed = true;
  for (const [service, Client] of SERVICES) {
    const proto = Client.prototype as unknown as { send: (command: object, ...rest: unknown[]) => unknown };
    const inner = proto.send;
    Object.defineProperty(proto, 'send', {
      configurable: true,
      writable: true,
      value: function send(
        this: unknown,
        command: { constructor: Ctor; input: Record<string, unknown> },
        ...rest: unknown[]
      ) {
        const answerKey = `${service}.${command.constructor.name}`;
        if (answering && lastAnswers.has(answerKey)) {
          const answer = lastAnswers.get(answerKey);
          if (answerAfterMs === 0) return Promise.resolve(answer);
          return new Promise((resolve) => setTimeout(() => resolve(answer), answerAfterMs));
        }
        const meter = sdkMeter;
        const cpu0 = meter === undefined ? undefined : process.cpuUsage();
        const result = inner.call(this, command, ...rest);
        if (meter !== undefined) {
          const settle = () => {
            const used = process.cpuUsage(cpu0);
            meter.ms += (used.user + used.system) / 1000;
          };
          (result as Promise<unknown>).then(settle, settle);
        }
        if (recording !== undefined) {
          (result as Promise<unknown>).then(
            (output) => lastAnswers.set(answerKey, output),
            () => undefined,
          );
          const call: RecordedCall = {
            service,
            operation: command.constructor.name.replace(/Command$/, ''),
            command: command.constructor,
            input: command.input,
            after: [...settled],
          };
          const index = recording.push(call) - 1;
          const done = settled;
          (result as Promise<unknown>).then(
            () => {
              call.outcome = 'ok';
              done.push(index);
            },
            (error: unknown) => {
              call.outcome = (error as Error).name ?? 'Error';
              done.push(index);
            },
          );
        }
        return result;
      },
    });
  }
}

let sdkMeter: { ms: number } | undefined;

/**
 * Runs `fn` and sums the CPU of every SDK call made meanwhile, each from its `send` to its answer (serializing,
 * signing, the HTTP exchange, parsing, and whatever else ran in the process meanwhile: nothing else, for calls
 * sent one after another). Calls in flight together are each counted for their whole time, so the sum is for
 * comparing two runs of the same calls with the same concurrency (a handler's and its replay's), not a total.
 */
export async function withSdkCpu<T>(fn: () => Promise<T>): Promise<{ result: T; sdkMs: number }> {
  install();
  const meter = { ms: 0 };
  sdkMeter = meter;
  try {
    const result = await fn();
    return { result, sdkMs: meter.ms };
  } finally {
    sdkMeter = undefined;
  }
}

/** The last answer each operation got while recording (its output object, as the SDK resolved it). */
const lastAnswers = new Map<string, unknown>();
let answering = false;
let answerAfterMs = 0;

/**
 * Runs `fn` with every SDK call of an operation answered by that operation's last recorded answer (calls of an
 * operation never answered go out as usual): what is left of the handler's CPU is hookflow's own work, without
 * the SDK's serializing, signing, HTTP and parsing. Answered at once (`afterMs` 0), the whole handler runs in one
 * go, its code and data hot in the CPU's caches from the invocation before; answered after `afterMs` (a timer, as
 * a real answer comes after a network wait), the process idles between the steps of a request as it does in a
 * real one, and each step resumes with what the wait evicted (other processes run meanwhile on a shared machine).
 */
export async function withCachedAnswers<T>(fn: () => Promise<T>, { afterMs = 0 } = {}): Promise<T> {
  install();
  answering = true;
  answerAfterMs = afterMs;
  try {
    return await fn();
  } finally {
    answering = false;
    answerAfterMs = 0;
  }
}

/** Runs `fn` while recording the AWS SDK calls made meanwhile (by any client of the three services). */
export async function record<T>(fn: () => Promise<T>): Promise<{ result: T; calls: RecordedCall[] }> {
  install();
  const calls: RecordedCall[] = [];
  recording = calls;
  settled = [];
  try {
    const result = await fn();
    return { result, calls };
  } finally {
    recording = undefined;
  }
}

/** Plain clients as functions/adapters/aws/clients.ts builds them (same options, same endpoint variables). */
export type BareClients = Record<RecordedCall['service'], Sendable> & { destroy(): void };

/**
 * The same client options as the handlers' (their HTTP settings and `cacheMiddleware`, the SDK resolving its
 * middleware stack once per command class), without hookflow's middleware. `cacheMiddleware` is SDK client
 * configuration, not hookflow code: a bare sender can turn it on too, so it is on both sides and the ratio
 * measures what hookflow adds to equally configured calls. `HOOKFLOW_BENCH_BARE_CACHE_MIDDLEWARE=0` turns it off on
 * the bare side only (the SDK's default), to show the ratio against default clients.
 */
export function bareClients(): BareClients {
  const cacheMiddleware = process.env.HOOKFLOW_BENCH_BARE_CACHE_MIDDLEWARE === '0' ? false : CACHE_MIDDLEWARE;
  const clients = {
    DynamoDB: new DynamoDBClient({ requestHandler: requestHandlerOptions(), cacheMiddleware }),
    SFN: new SFNClient({
      requestHandler: requestHandlerOptions(),
      cacheMiddleware,
      disableHostPrefix: process.env.AWS_ENDPOINT_URL_SFN !== undefined,
    }),
    SQS: new SQSClient({ requestHandler: requestHandlerOptions(), cacheMiddleware, useQueueUrlAsEndpoint: false }),
  };
  return { ...clients, destroy: () => Object.values(clients).forEach((c) => c.destroy()) };
}

const PK = dedupeTableSchema.partitionKey;
const fresh = (length: number) =>
  randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
/** The same string with its last 12 characters (or all, if shorter) replaced: same length, unseen value. */
const freshKey = (value: string) => {
  const keep = Math.max(0, value.length - 12);
  return value.slice(0, keep) + fresh(value.length - keep);
};

type Attr = { S?: string };
type Item = Record<string, Attr>;

/** Replaces every occurrence of each key of `substitutions` in the string values of `value` (deeply, in place). */
function substitute(value: unknown, substitutions: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const [from, to] of substitutions) out = out.split(from).join(to);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, substitutions));
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = substitute(v, substitutions);
  }
  return value;
}

/**
 * A copy of the calls with the rewrites above, ready to send. `substitutions` (from the scenario, when the state a
 * request consumes can be set up twice: a second waiting run for a callback) replace strings everywhere first.
 */
export function prepareReplay(
  calls: readonly RecordedCall[],
  substitutions?: ReadonlyMap<string, string>,
): { calls: { call: RecordedCall; command: object }[] } {
  const keys = new Map<string, string>();
  const prepared = calls.map((call) => {
    const input = structuredClone(call.input);
    if (substitutions !== undefined && substitutions.size > 0) substitute(input, substitutions);
    if (call.service === 'DynamoDB') {
      const item = input.Item as Item | undefined;
      const key = input.Key as Item | undefined;
      const condition = String(input.ConditionExpression ?? '');
      const pk = item?.[PK]?.S;
      if (call.operation === 'PutItem' && pk !== undefined && condition.includes('attribute_not_exists')) {
        if (!keys.has(pk)) keys.set(pk, freshKey(pk));
      }
      for (const target of [item, key]) {
        const value = target?.[PK]?.S;
        if (target !== undefined && value !== undefined && keys.has(value)) target[PK] = { S: keys.get(value)! };
      }
    }
    if (call.service === 'SFN' && /^Start(Sync)?Execution$/.test(call.operation) && typeof input.name === 'string') {
      input.name = freshKey(input.name);
    }
    return { call, command: new call.command(input) };
  });
  return { calls: prepared };
}

/**
 * Sends prepared calls from the bare clients as the handler sent them (each after the calls it followed, see
 * RecordedCall.after); returns how many answered differently from the handler's.
 */
export async function sendReplay(
  clients: Record<RecordedCall['service'], Sendable>,
  prepared: ReturnType<typeof prepareReplay>,
): Promise<{ mismatches: number; calls: number; examples: string[] }> {
  let mismatches = 0;
  const examples: string[] = [];
  const sent: Promise<void>[] = [];
  for (const { call, command } of prepared.calls) {
    const waitFor = call.after.map((i) => sent[i]!);
    sent.push(
      (waitFor.length === 0 ? Promise.resolve() : Promise.all(waitFor)).then(async () => {
        let outcome = 'ok';
        try {
          await clients[call.service].send(command);
        } catch (error) {
          outcome = (error as Error).name ?? 'Error';
        }
        if (outcome !== (call.outcome ?? 'ok')) {
          mismatches++;
          if (examples.length < 3) examples.push(`${call.service}.${call.operation}: ${call.outcome} -> ${outcome}`);
        }
      }),
    );
  }
  await Promise.all(sent);
  return { mismatches, calls: prepared.calls.length, examples };
}
