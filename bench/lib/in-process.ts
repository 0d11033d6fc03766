import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { localAwsEnv } from '../../local/local-aws-env';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { httpEvent, testContext } from '../../test/support/api-gateway-events';
import { request } from '../../test/support/local-stack';
import { bundleHandler } from './bundles';
import { log, withStdoutSilenced } from './log';
import { type BenchStack, type CallCounts, diffCounts } from './stack';
import { comparePaired } from './paired';
import {
  bareClients,
  type BareClients,
  prepareReplay,
  record,
  type RecordedCall,
  sendReplay,
  withCachedAnswers,
  withSdkCpu,
} from './replay';
import { round, summarize, type Summary } from './stats';

interface Counter {
  install(): { installed: string[]; snapshot(): { at: number; counts: CallCounts } };
}
const counter = (createRequire(__filename)('../support/aws-call-counter.cjs') as Counter).install();

export type BodySize = '1KB' | '100KB';
export const BODY_BYTES: Record<BodySize, number> = { '1KB': 1024, '100KB': 100 * 1024 };

type AnyHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface Scenario {
  readonly handler: string;
  /** The route or event, as a reader would name it. */
  readonly what: string;
  /** How the request is deduped, if at all. */
  readonly dedupe: string;
  /** Body sizes to measure; `null` for requests without a body (GET, or a body-less POST). */
  readonly sizes: readonly (BodySize | null)[];
  /** Records per invocation (SQS batches): CPU and calls are also reported per record. */
  readonly recordsPerInvocation?: number;
  /** Called once per measured or warm-up invocation, outside the timed section. */
  prepare(size: BodySize | null, count: number): Promise<(i: number) => unknown>;
  /**
   * For a request that consumes its state (a callback uses its run's task token once): strings to replace in the
   * replay of the calls recorded for invocation `recordedFor` so that it meets that state again, set up once more
   * for pair `pair` (a second run prepared per pair). Called outside the timed section.
   */
  replaySubstitutions?(
    recordedFor: number,
    pair: number,
    calls: readonly RecordedCall[],
    clients: BareClients,
  ): Promise<Map<string, string>>;
  /** Whether the handler's answer is the success the scenario expects. */
  ok(result: unknown): boolean;
}

export interface ScenarioRun {
  readonly handler: string;
  readonly what: string;
  readonly dedupe: string;
  readonly size: BodySize | null;
  readonly bodyBytes: number | null;
  readonly recordsPerInvocation: number;
  readonly iterations: number;
  readonly failures: number;
  /** CPU (user + system) of this process per invocation, ms. */
  readonly cpuMs: Summary;
  /**
   * Paired with each invocation (A, B, A, B …, alternating which goes first): the CPU of the same AWS calls
   * replayed bare from plain SDK clients (bench/lib/replay.ts), ms.
   */
  readonly bareCpuMs: Summary;
  /** The two medians of the pairs (bench/lib/paired.ts), ms: the sides of the ratio. */
  readonly cpuMedianMs: number;
  readonly bareCpuMedianMs: number;
  /** Median handler CPU / median bare-calls CPU (target 3: at most 1.3). */
  readonly cpuRatio: number;
  /** The median of the per-pair ratios, a check on the ratio of medians. */
  readonly cpuMedianPairRatio: number;
  /** Replayed calls that answered differently from the handler's (e.g. a task token already used), per invocation. */
  readonly replayMismatchesPerInvocation: number;
  readonly replayMismatchExamples: readonly string[];
  /** Bytes the handler wrote to stdout and stderr per invocation (its log lines, what CloudWatch Logs ingests). */
  readonly logBytesPerInvocation: number;
  /** Share of that CPU that is system (kernel) time: mostly the loopback sockets' work. */
  readonly systemCpuShare: number;
  /**
   * hookflow's own CPU, measured: the same handler invoked again (after the pairs) with every AWS call answered at
   * once from the answer the same operation last got (bench/lib/replay.ts, withCachedAnswers), median ms, and how
   * many of those invocations did not answer the expected success (then the figure took another path: read it as
   * indicative). Absent under the profiler.
   */
  readonly ownCpuMs?: {
    readonly median: number;
    /**
     * The same, each answer given after OWN_CPU_ANSWER_AFTER_MS (a timer, as a network answer comes after a wait):
     * the request's steps run apart, as in a real request, each after an idle gap. Median ms.
     */
    readonly waitingMedian?: number;
    readonly iterations: number;
    readonly failures: number;
  };
  /**
   * The CPU of the SDK calls themselves, each from its `send` to its answer, summed per invocation (median ms):
   * inside the handler, and in the bare replay (bench/lib/replay.ts, withSdkCpu). Calls in flight together are
   * each counted for their whole time: compare the two, which have the same concurrency. Absent under the profiler.
   */
  readonly sdkCpuMs?: { readonly handler: number; readonly bare: number };
  /** Wall time per invocation against the local stack's services, ms. */
  readonly wallMs: Summary;
  /**
   * Lambda's billed duration per invocation, on average: each invocation's wall time rounded up to the next
   * millisecond, as Lambda bills it (https://aws.amazon.com/lambda/pricing/, "rounded up to the nearest 1 ms"),
   * then averaged. Rounding the median instead puts the whole run on one side of a millisecond's edge.
   */
  readonly billedMsMean?: number;
  /** AWS SDK calls per invocation (mean), and whether every invocation made the same calls. */
  readonly awsCalls: Record<string, number>;
  readonly awsCallsConstant: boolean;
}

/**
 * Points this process's AWS SDK at the local stack (as `npm start` points its handlers) and sets the
 * configuration CDK gives each function, so that the deployed bundles can be required and invoked here.
 */
export function useStackForHandlers(stack: BenchStack): void {
  Object.assign(process.env, {
    ...localAwsEnv,
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SFN: stack.sfnEndpoint,
    AWS_ENDPOINT_URL_SQS: stack.sqsEndpoint,
    REGISTRY_TABLE: 'hookflow-registry',
    DEDUPE_TABLE: 'hookflow-dedupe',
    FANOUT_QUEUE_URL: stack.fanoutQueueUrl,
    EXECUTION_LINK_TEMPLATE: `${stack.url}/executions/{executionArn}`,
    POWERTOOLS_SERVICE_NAME: 'hookflow',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
}

const loaded = new Map<string, AnyHandler>();

/**
 * The handler's deployed bundle (minified, as `cdk synth` builds it), required in this process, with the AWS SDK
 * left external so that the call counter above sees its calls (bench/lib/bundles.ts, `sdk-external`).
 */
export async function loadHandler(name: string): Promise<AnyHandler> {
  const cached = loaded.get(name);
  if (cached !== undefined) return cached;
  const bundle = await bundleHandler(name, 'sdk-external');
  const handler = (createRequire(__filename)(bundle.file) as { handler: AnyHandler }).handler;
  loaded.set(name, handler);
  return handler;
}

/** A JSON object of exactly `bytes` bytes: `{...fields, "pad": "xxx…"}`. */
export function jsonOfSize(bytes: number, fields: Record<string, unknown> = {}): string {
  const base = JSON.stringify({ ...fields, pad: '' });
  if (base.length > bytes) throw new Error(`fields alone are ${base.length} bytes, over ${bytes}`);
  return JSON.stringify({ ...fields, pad: 'x'.repeat(bytes - base.length) });
}

const statusOf = (result: unknown) => (result as APIGatewayProxyResultV2 & { statusCode?: number }).statusCode;
const status =
  (...codes: number[]) =>
  (result: unknown) =>
    codes.includes(statusOf(result) ?? 0);

function post(
  path: string,
  routeKey: string,
  options: {
    headers?: Record<string, string>;
    body?: string;
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
  },
): APIGatewayProxyEventV2 {
  return httpEvent({
    method: 'POST',
    path,
    routeKey,
    ...options,
    headers: { 'content-type': 'application/json', ...options.headers },
  });
}

const INBOUND_SECRET = { 'inbound-webhook-secret': 'hf_local_inbound_secret' };
const ACME_ADMIN = { 'x-api-key': 'hf_local_acme_admin_key', 'x-api-org': 'acme' };

/** Each handler's main request. The state some need (a run to resume, a webhook to trigger) is made over HTTP. */
export function scenarios(stack: BenchStack): Scenario[] {
  const sizes: BodySize[] = ['1KB', '100KB'];
  const refs: string[] = [];
  const spares: string[] = [];
  let webhook: Promise<{ id: string; secret: string }> | undefined;
  const registeredWebhook = () =>
    (webhook ??= (async () => {
      const created = await request(`${stack.url}/api/webhooks`, { method: 'POST', headers: ACME_ADMIN });
      const { id, verifySecret } = created.body as { id: string; verifySecret: string };
      const bound = await request(`${stack.url}/api/webhooks/${id}/workflows/notify`, {
        method: 'PUT',
        headers: ACME_ADMIN,
      });
      if (created.status !== 201 || bound.status >= 300) throw new Error(`webhook setup failed: ${bound.text}`);
      return { id, secret: verifySecret };
    })());

  return [
    {
      handler: 'flow-trigger',
      what: 'POST /flows/hello/trigger',
      dedupe: 'Idempotency-Key (unique per request)',
      sizes,
      async prepare(size) {
        const body = jsonOfSize(BODY_BYTES[size!], { hello: 'world' });
        return () =>
          post('/flows/hello/trigger', 'POST /flows/{flowId}/trigger', {
            pathParameters: { flowId: 'hello' },
            headers: { authorization: 'Bearer hf_local_dev_key', 'idempotency-key': randomUUID() },
            body,
          });
      },
      ok: status(202),
    },
    {
      handler: 'flow-trigger',
      what: 'POST /flows/hello/trigger, no Idempotency-Key',
      dedupe: 'none',
      sizes: ['1KB'],
      async prepare(size) {
        const body = jsonOfSize(BODY_BYTES[size!], { hello: 'world' });
        return () =>
          post('/flows/hello/trigger', 'POST /flows/{flowId}/trigger', {
            pathParameters: { flowId: 'hello' },
            headers: { authorization: 'Bearer hf_local_dev_key' },
            body,
          });
      },
      ok: status(202),
    },
    {
      handler: 'client-webhook',
      what: 'POST /webhook/myclient/open (sync: waits for the Express run)',
      dedupe: 'none (the style has none)',
      sizes,
      async prepare(size) {
        const body = jsonOfSize(BODY_BYTES[size!], { hello: 'world' });
        return () =>
          post('/webhook/myclient/open', 'POST /webhook/{client}/{name}', {
            pathParameters: { client: 'myclient', name: 'open' },
            body,
          });
      },
      ok: status(200),
    },
    {
      handler: 'inbound',
      what: 'POST /inbound, one run',
      dedupe: 'uid (unique per request)',
      sizes,
      async prepare(size) {
        return () =>
          post('/inbound', 'POST /inbound', {
            headers: INBOUND_SECRET,
            body: jsonOfSize(BODY_BYTES[size!], { workflow: 'workflow name', uid: `bench-${randomUUID()}` }),
          });
      },
      ok: status(202),
    },
    {
      handler: 'inbound-run-status',
      what: 'GET /inbound/runs/{runRef}',
      dedupe: 'n/a (read)',
      sizes: [null],
      async prepare() {
        const started = await request(`${stack.url}/inbound`, {
          method: 'POST',
          headers: INBOUND_SECRET,
          body: JSON.stringify({ workflow: 'workflow name', uid: `bench-status-${randomUUID()}` }),
        });
        const { runRef } = started.body as { runRef: string };
        return () =>
          httpEvent({
            method: 'GET',
            path: `/inbound/runs/${runRef}`,
            routeKey: 'GET /inbound/runs/{runRef}',
            pathParameters: { runRef },
            headers: INBOUND_SECRET,
          });
      },
      ok: status(200),
    },
    {
      handler: 'inbound-fanout',
      what: 'SQS batch of 10 queued batch items (the fan-out worker)',
      dedupe: 'per item (its run reference)',
      sizes,
      recordsPerInvocation: 10,
      async prepare(size) {
        const sfn = new SFNClient({ endpoint: stack.sfnEndpoint, disableHostPrefix: true });
        const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({ maxResults: 1000 }));
        sfn.destroy();
        const arn = stateMachines.find((m) => m.name === 'hookflow-inbound-echo')?.stateMachineArn;
        if (arn === undefined) throw new Error('no hookflow-inbound-echo state machine on the local stack');
        // Leave room for the rest of the message (target, trigger) in the item's size.
        const runtime = JSON.parse(jsonOfSize(BODY_BYTES[size!] - 400)) as Record<string, unknown>;
        return () => {
          const records: SQSRecord[] = Array.from({ length: 10 }, (_, index) => {
            const id = randomUUID();
            const body = JSON.stringify({
              v: 1,
              runRef: `r_${id}`,
              dedupeKey: `inbound#ref#${id}`,
              target: { stateMachineArn: arn, workflowType: 'EXPRESS' },
              input: {
                stateValues: {},
                runtime,
                trigger: { style: 'inbound', workflow: 'workflow name', runRef: `r_${id}`, batchIndex: index },
              },
            });
            return {
              messageId: randomUUID(),
              receiptHandle: `bench-${id}`,
              body,
              attributes: {
                ApproximateReceiveCount: '1',
                SentTimestamp: String(Date.now()),
                SenderId: '000000000000',
                ApproximateFirstReceiveTimestamp: String(Date.now()),
              },
              messageAttributes: {},
              md5OfBody: createHash('md5').update(body).digest('hex'),
              eventSource: 'aws:sqs',
              eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:hookflow-fanout',
              awsRegion: 'us-east-1',
            };
          });
          return { Records: records } satisfies SQSEvent;
        };
      },
      ok: (result) => ((result as { batchItemFailures?: unknown[] } | undefined)?.batchItemFailures ?? []).length === 0,
    },
    {
      handler: 'event-webhook',
      what: 'POST /api/v2/webhook?ref=order-echo',
      dedupe: 'none (no key in the request)',
      sizes,
      async prepare(size) {
        const body = jsonOfSize(BODY_BYTES[size!], { order: 7 });
        return () => post('/api/v2/webhook', 'POST /api/v2/webhook', { query: { ref: 'order-echo' }, body });
      },
      ok: status(202),
    },
    {
      handler: 'event-intake',
      what: 'POST /api/v2/event (one structured CloudEvent, one subscriber)',
      dedupe: 'source + id (unique per request)',
      sizes,
      async prepare(size) {
        const envelope = { specversion: '1.0', source: '/bench', type: 'com.example.order.created' };
        const data = JSON.parse(jsonOfSize(BODY_BYTES[size!] - 150)) as Record<string, unknown>;
        return () =>
          post('/api/v2/event', 'POST /api/v2/event', {
            headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
            body: JSON.stringify({ ...envelope, id: randomUUID(), data }),
          });
      },
      ok: status(202),
    },
    {
      handler: 'event-callback',
      what: 'POST /api/v2/callback?ref=<run>&topic=approval (resumes a waiting Standard run)',
      dedupe: 'once per waiting task',
      sizes,
      async prepare(size, count) {
        // Two waiting runs per invocation, started over HTTP before the timed loop: one for the handler, one
        // for the bare replay of its calls (a task token resumes a task once).
        const start = async () => {
          const started = await request(`${stack.url}/api/v2/webhook?ref=approval`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"order":1}',
          });
          if (started.status !== 202) throw new Error(`approval run not started: ${started.text}`);
          return (started.body as { runRef: string }).runRef;
        };
        refs.length = 0;
        spares.length = 0;
        for (let i = 0; i < count; i++) {
          refs.push(await start());
          spares.push(await start());
        }
        await new Promise((r) => setTimeout(r, 500)); // let the runs reach their wait and store their tokens
        const body = jsonOfSize(BODY_BYTES[size!], { approvedBy: 'bench' });
        return (i) =>
          post('/api/v2/callback', 'POST /api/v2/callback', { query: { ref: refs[i]!, topic: 'approval' }, body });
      },
      async replaySubstitutions(i, pair, calls, clients) {
        const substitutions = new Map([[refs[i]!, spares[pair]!]]);
        const token = calls.find((c) => /^SendTask(Success|Failure)$/.test(c.operation))?.input.taskToken;
        const read = calls.find((c) => c.service === 'DynamoDB' && c.operation === 'GetItem');
        if (typeof token === 'string' && read !== undefined) {
          const input = JSON.parse(JSON.stringify(read.input).split(refs[i]!).join(spares[pair]!)) as object;
          const { Item } = (await clients.DynamoDB.send(new GetItemCommand(input as never))) as {
            Item?: { taskToken?: { S?: string } };
          };
          const spareToken = Item?.taskToken?.S;
          if (spareToken !== undefined) substitutions.set(token, spareToken);
        }
        return substitutions;
      },
      ok: status(204),
    },
    {
      handler: 'wait-for-event',
      what: 'the wait task of hookflow:WaitForEvent (a run begins waiting; Step Functions invokes it)',
      dedupe: 'once per ref + topic',
      sizes: [null],
      async prepare() {
        // The payload workflows/wait-for-event-states.ts sends; a fresh ref each time, so the run starts waiting.
        return () => ({
          taskToken: `bench-token-${randomUUID()}`,
          ref: randomUUID(),
          topic: 'approval',
          timeoutSeconds: 300,
          executionArn: `arn:aws:states:us-east-1:000000000000:execution:hookflow-bench:${randomUUID()}`,
        });
      },
      ok: (result) => (result as { outcome?: string } | undefined)?.outcome === 'waiting',
    },
    {
      handler: 'webhook-admin',
      what: 'POST /api/webhooks (create a webhook)',
      dedupe: 'n/a',
      sizes: [null],
      async prepare() {
        return () => post('/api/webhooks', 'POST /api/webhooks', { headers: ACME_ADMIN });
      },
      ok: status(201),
    },
    {
      handler: 'webhook-trigger',
      what: 'POST /api/trigger-webhooks/{id} (one bound workflow)',
      dedupe: 'Idempotency-Key (unique per request)',
      sizes,
      async prepare(size) {
        const { id, secret } = await registeredWebhook();
        const body = jsonOfSize(BODY_BYTES[size!], { foo: 'bar' });
        return () =>
          post(`/api/trigger-webhooks/${id}`, 'POST /api/trigger-webhooks/{webhookId}', {
            pathParameters: { webhookId: id },
            headers: { 'x-verify-signature': secret, 'idempotency-key': randomUUID() },
            body,
          });
      },
      ok: status(200),
    },
    {
      handler: 'webhook-process-status',
      what: 'GET /api/processes/{id}',
      dedupe: 'n/a (read)',
      sizes: [null],
      async prepare() {
        const { id, secret } = await registeredWebhook();
        const triggered = await request(`${stack.url}/api/trigger-webhooks/${id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-verify-signature': secret },
          body: '{"foo":"bar"}',
        });
        const processId = (triggered.body as { id: string }[])[0]?.id;
        if (processId === undefined) throw new Error(`no process from the trigger: ${triggered.text}`);
        await new Promise((r) => setTimeout(r, 300));
        return () =>
          httpEvent({
            method: 'GET',
            path: `/api/processes/${processId}`,
            routeKey: 'GET /api/processes/{processId}',
            pathParameters: { processId },
            headers: ACME_ADMIN,
          });
      },
      ok: status(200),
    },
  ];
}

/** Invocations of each scenario with the SDK answered from cache (hookflow's own CPU), at most, per way. */
const OWN_CPU_ITERATIONS = 60;
/** The wait before each cached answer in the second way of measuring hookflow's own CPU. */
export const OWN_CPU_ANSWER_AFTER_MS = 1;

export interface RunSettings {
  /** Pair each invocation with the bare replay of its calls (default true; off under the profiler). */
  readonly replay?: boolean;
  readonly warmup: number;
  readonly iterations: Record<BodySize | 'none', number>;
}

/**
 * Invokes each scenario's handler in this process, one request at a time, paired with a replay of the same AWS
 * calls from bare SDK clients (A, B, A, B …; odd pairs replay first, the calls of the previous invocation). Each
 * side is measured by process.cpuUsage() (user + system) around the awaited call only; the handler also by wall
 * time and by the AWS SDK calls it made (counted by wrapping the SDK clients' send). Handler log lines are
 * discarded (not written) and their bytes counted.
 */
export async function runScenarios(
  stack: BenchStack,
  settings: RunSettings,
  part: string,
  only: (scenario: Scenario, size: BodySize | null) => boolean = () => true,
): Promise<ScenarioRun[]> {
  useStackForHandlers(stack);
  const runs: ScenarioRun[] = [];
  const replay = settings.replay ?? true;
  const clients = bareClients();
  for (const scenario of scenarios(stack)) {
    const handler = await loadHandler(scenario.handler);
    for (const size of scenario.sizes) {
      if (!only(scenario, size)) continue;
      const iterations = settings.iterations[size ?? 'none'];
      if (iterations === 0) continue;
      const total = settings.warmup + iterations;
      const label = `${scenario.handler} ${size ?? ''}`.trim();
      log(part, `${label}: ${scenario.what}; ${settings.warmup} warm-up + ${iterations} measured pairs`);
      const makeEvent = await scenario.prepare(size, total);
      const cpu: number[] = [];
      const bare: number[] = [];
      const sdkInHandler: number[] = [];
      const sdkReplayed: number[] = [];
      const order: ('ab' | 'ba')[] = [];
      let systemMicros = 0;
      const wall: number[] = [];
      const calls: Record<string, number>[] = [];
      let failures = 0;
      let firstFailure: unknown;
      let mismatches = 0;
      const mismatchExamples = new Set<string>();
      let logBytes = 0;
      let counting = false;
      let lastCalls: RecordedCall[] | undefined;
      let lastIndex = 0;

      const invokeHandler = async (i: number) => {
        const event = makeEvent(i);
        const context = { ...testContext, awsRequestId: randomUUID() };
        const before = counter.snapshot().counts;
        counting = true;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const { result: recorded, sdkMs } = await withSdkCpu(() =>
          record(async () => {
            try {
              return await handler(event, context);
            } catch (error) {
              return error;
            }
          }),
        );
        const elapsed = performance.now() - t0;
        const used = process.cpuUsage(cpu0);
        counting = false;
        const after = counter.snapshot().counts;
        lastCalls = recorded.calls;
        lastIndex = i;
        return { result: recorded.result, elapsed, used, before, after, sdkMs };
      };
      const replayBare = async (pair: number) => {
        const calls = lastCalls ?? [];
        const substitutions = await scenario.replaySubstitutions?.(lastIndex, pair, calls, clients);
        const prepared = prepareReplay(calls, substitutions);
        const cpu0 = process.cpuUsage();
        const { result: outcome, sdkMs } = await withSdkCpu(() => sendReplay(clients, prepared));
        const used = process.cpuUsage(cpu0);
        return { ms: (used.user + used.system) / 1000, outcome, sdkMs };
      };

      await withStdoutSilenced(
        async () => {
          for (let i = 0; i < total; i++) {
            const bareFirst = replay && i % 2 === 1 && lastCalls !== undefined;
            const first = bareFirst ? await replayBare(i) : undefined;
            const h = await invokeHandler(i);
            const b =
              first ??
              (replay
                ? await replayBare(i)
                : { ms: Number.NaN, outcome: { mismatches: 0, examples: [] }, sdkMs: Number.NaN });
            if (i < settings.warmup) continue;
            if (!scenario.ok(h.result)) {
              failures++;
              firstFailure ??= h.result;
            }
            cpu.push((h.used.user + h.used.system) / 1000);
            bare.push(b.ms);
            sdkInHandler.push(h.sdkMs);
            sdkReplayed.push(b.sdkMs);
            order.push(bareFirst ? 'ba' : 'ab');
            systemMicros += h.used.system;
            wall.push(h.elapsed);
            mismatches += b.outcome.mismatches;
            for (const example of b.outcome.examples) mismatchExamples.add(example);
            calls.push(
              Object.fromEntries(Object.entries(diffCounts(h.before, h.after)).map(([op, { calls: n }]) => [op, n])),
            );
          }
        },
        (bytes) => {
          if (counting) logBytes += bytes;
        },
      );
      let ownCpuMs: ScenarioRun['ownCpuMs'];
      if (replay) {
        const own: number[] = [];
        const waiting: number[] = [];
        let ownFailures = 0;
        const ownIterations = Math.min(iterations, OWN_CPU_ITERATIONS);
        for (const [samples, afterMs] of [
          [own, 0],
          [waiting, OWN_CPU_ANSWER_AFTER_MS],
        ] as const) {
          await withStdoutSilenced(
            () =>
              withCachedAnswers(
                async () => {
                  for (let i = 0; i < ownIterations; i++) {
                    // The events prepared for the measured pairs, again: their calls are answered from cache.
                    const h = await invokeHandler(settings.warmup + (i % iterations));
                    samples.push((h.used.user + h.used.system) / 1000);
                    if (!scenario.ok(h.result)) ownFailures++;
                  }
                },
                { afterMs },
              ),
            () => undefined,
          );
        }
        ownCpuMs = {
          median: round(summarize(own).p50, 3),
          waitingMedian: round(summarize(waiting).p50, 3),
          // Both ways together.
          iterations: 2 * ownIterations,
          failures: ownFailures,
        };
      }
      if (failures > 0) {
        log(
          part,
          `  ${failures} of ${iterations} answers were not the expected success, e.g. ${JSON.stringify(firstFailure)?.slice(0, 300)}`,
        );
      }
      const operations = [...new Set(calls.flatMap((c) => Object.keys(c)))].sort();
      const awsCalls = Object.fromEntries(
        operations.map((op) => [op, round(calls.reduce((sum, c) => sum + (c[op] ?? 0), 0) / calls.length, 3)]),
      );
      const constant = calls.every((c) => operations.every((op) => (c[op] ?? 0) === (calls[0]![op] ?? 0)));
      const paired = replay
        ? comparePaired(cpu, bare, order)
        : { ratio: Number.NaN, medianPairRatio: Number.NaN, medianA: Number.NaN, medianB: Number.NaN };
      const run: ScenarioRun = {
        handler: scenario.handler,
        what: scenario.what,
        dedupe: scenario.dedupe,
        size,
        bodyBytes: size === null ? null : BODY_BYTES[size],
        recordsPerInvocation: scenario.recordsPerInvocation ?? 1,
        iterations,
        failures,
        cpuMs: summarize(cpu),
        bareCpuMs: summarize(bare),
        cpuMedianMs: round(paired.medianA, 3),
        bareCpuMedianMs: round(paired.medianB, 3),
        cpuRatio: round(paired.ratio, 3),
        cpuMedianPairRatio: round(paired.medianPairRatio, 3),
        replayMismatchesPerInvocation: round(mismatches / iterations, 3),
        replayMismatchExamples: [...mismatchExamples],
        logBytesPerInvocation: round(logBytes / total, 1),
        systemCpuShare: round(systemMicros / 1000 / cpu.reduce((a, b) => a + b, 0), 3),
        ...(ownCpuMs === undefined ? {} : { ownCpuMs }),
        ...(replay
          ? {
              sdkCpuMs: {
                handler: round(summarize(sdkInHandler).p50, 3),
                bare: round(summarize(sdkReplayed).p50, 3),
              },
            }
          : {}),
        wallMs: summarize(wall),
        billedMsMean: round(wall.reduce((total, ms) => total + Math.ceil(ms), 0) / wall.length, 3),
        awsCalls,
        awsCallsConstant: constant,
      };
      log(
        part,
        `  CPU median ${run.cpuMedianMs} ms vs the same calls bare ${run.bareCpuMedianMs} ms: x${run.cpuRatio} (pairs x${run.cpuMedianPairRatio})` +
          `${mismatches > 0 ? `, ${run.replayMismatchesPerInvocation} replayed calls per invocation answered differently (${run.replayMismatchExamples.join('; ')})` : ''}; ` +
          `${run.sdkCpuMs === undefined ? '' : `SDK calls' CPU ${run.sdkCpuMs.handler} ms in the handler, ${run.sdkCpuMs.bare} ms replayed; `}` +
          `${ownCpuMs === undefined ? '' : `own CPU (SDK answered from cache) ${ownCpuMs.median} ms at once, ${ownCpuMs.waitingMedian} ms waiting${ownCpuMs.failures > 0 ? ` (${ownCpuMs.failures} unexpected answers)` : ''}; `}` +
          `wall p50 ${run.wallMs.p50} ms; ${run.logBytesPerInvocation} log bytes; calls ${JSON.stringify(awsCalls)}`,
      );
      runs.push(run);
    }
  }
  clients.destroy();
  return runs;
}
