import type { ScenarioRun } from '../lib/in-process';
import { round } from '../lib/stats';
import type { AwsCallsResult } from './aws-calls';
import type { FanoutResult } from './fanout';
import type { HandlerCpuResult } from './handler-cpu';

/**
 * Public list prices, us-east-1, as issue 7 gives them (DynamoDB on-demand after AWS's November 2024 price
 * reduction). They were not re-read from AWS's price pages by this script: check them before quoting.
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: 'issue 7 (DynamoDB on-demand prices after the November 2024 reduction); not re-checked by this run',
  apiGatewayHttpPerMillionRequests: 1.0,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamodbPerMillionWriteUnits: 0.625,
  dynamodbPerMillionReadUnits: 0.125,
  sqsStandardPerMillionRequests: 0.4,
  stepFunctionsExpressPerMillionRequests: 1.0,
  stepFunctionsExpressPerGbSecond: 0.00001667,
  stepFunctionsExpressMinimumGb: 0.0625,
  stepFunctionsExpressBillingIncrementSeconds: 0.1,
  stepFunctionsStandardPerMillionTransitions: 25.0,
} as const;

/** lib/hookflow-function.ts: every handler is arm64 with 256 MB. */
export const LAMBDA_MEMORY_MB = 256;
/** Lambda gives a function one vCPU's worth of CPU time at 1,769 MB, and a proportional share below. */
const FULL_VCPU_MB = 1769;

export interface CostLine {
  readonly item: string;
  /** What one unit of work (a webhook, or a batched item) uses of it. */
  readonly usage: string;
  /** $ per million units of work. */
  readonly perMillion: number;
}

export interface CostTable {
  readonly title: string;
  readonly lines: CostLine[];
  readonly total: number;
  /** The same work with no overhead: only the Step Functions start. */
  readonly floor: number;
  readonly overheadRatio: number;
}

export interface CostResult {
  readonly prices: typeof PRICES;
  readonly lambdaMemoryMb: number;
  readonly assumptions: string[];
  readonly singleWebhook: CostTable;
  readonly batchedItem: CostTable;
  /** $ per million invocations for each extra 10 ms of billed Lambda duration at this memory size. */
  readonly per10msPerMillion: number;
  /** The flow trigger's Lambda duration if its measured CPU ran at 256 MB's share of a vCPU (an estimate). */
  readonly cpuShareDurationMs: number;
  readonly cpuShareTotal: number;
}

const lambdaGbSeconds = (ms: number) => (LAMBDA_MEMORY_MB / 1024) * (Math.ceil(ms) / 1000);
const perMillion = (dollarsPerUnit: number) => round(dollarsPerUnit * 1e6, 4);

/** Express: $1/M requests, plus GB-seconds billed per 100 ms at 64 MB at least (an echo run: one increment). */
const expressStart = () =>
  PRICES.stepFunctionsExpressPerMillionRequests / 1e6 +
  PRICES.stepFunctionsExpressMinimumGb *
    PRICES.stepFunctionsExpressBillingIncrementSeconds *
    PRICES.stepFunctionsExpressPerGbSecond;

function table(title: string, lines: CostLine[]): CostTable {
  const total = round(
    lines.reduce((sum, line) => sum + line.perMillion, 0),
    4,
  );
  const floor = perMillion(expressStart());
  return { title, lines, total, floor, overheadRatio: round(total / floor, 2) };
}

function find(runs: readonly ScenarioRun[], handler: string, size: string, dedupe?: (d: string) => boolean) {
  const run = runs.find((r) => r.handler === handler && r.size === size && (dedupe?.(r.dedupe) ?? true));
  if (run === undefined) throw new Error(`no ${handler} ${size} run in the handler results`);
  return run;
}

/** 6. Cost per million single webhooks and per million batched items, from the other parts' measurements. */
export function computeCost(handlers: HandlerCpuResult, fanout: FanoutResult, calls: AwsCallsResult): CostResult {
  const trigger = find(handlers.runs, 'flow-trigger', '1KB', (d) => d !== 'none');
  const triggerCalls = calls.perHandler.find((r) => r.handler === 'flow-trigger' && r.dedupe !== 'none')!;
  const worker = find(handlers.runs, 'inbound-fanout', '1KB');
  const batch = fanout.runs[0]!;
  const items = batch.items;
  const perItem = (op: string) => (batch.calls[op]?.calls ?? 0) / items;
  const writesPerItem = ['DynamoDB.PutItem', 'DynamoDB.UpdateItem', 'DynamoDB.DeleteItem'].reduce(
    (sum, op) => sum + perItem(op),
    0,
  );
  const readsPerItem = ['DynamoDB.GetItem', 'DynamoDB.Query'].reduce((sum, op) => sum + perItem(op), 0);
  const sqsPerItem = ['SQS.SendMessageBatch', 'SQS.ReceiveMessage', 'SQS.DeleteMessageBatch'].reduce(
    (sum, op) => sum + perItem(op),
    0,
  );
  const workerInvocationsPerItem = perItem('SQS.ReceiveMessage');
  const expressLine = (usage: string): CostLine => ({
    item: 'Step Functions Express start (request + one 100 ms, 64 MB increment)',
    usage,
    perMillion: perMillion(expressStart()),
  });

  const triggerMs = trigger.wallMs.p50;
  const single = table('Per million single webhooks (flow trigger, 1 KB, Idempotency-Key)', [
    {
      item: 'API Gateway HTTP API',
      usage: '1 request (under 512 KB)',
      perMillion: PRICES.apiGatewayHttpPerMillionRequests,
    },
    { item: 'Lambda requests', usage: '1 invocation', perMillion: PRICES.lambdaPerMillionRequests },
    {
      item: `Lambda duration (arm64, ${LAMBDA_MEMORY_MB} MB)`,
      usage: `${Math.ceil(triggerMs)} ms billed (measured wall p50, local services)`,
      perMillion: perMillion(lambdaGbSeconds(triggerMs) * PRICES.lambdaArmPerGbSecond),
    },
    {
      item: 'DynamoDB writes (on-demand)',
      usage: `${triggerCalls.dynamodbWrites} write(s), items under 1 KB: ${triggerCalls.dynamodbWrites} WRU`,
      perMillion: perMillion((triggerCalls.dynamodbWrites * PRICES.dynamodbPerMillionWriteUnits) / 1e6),
    },
    {
      item: 'DynamoDB reads (on-demand)',
      usage: `${triggerCalls.dynamodbReads} eventually consistent read(s) under 4 KB: ${triggerCalls.dynamodbReads / 2} RRU`,
      perMillion: perMillion(((triggerCalls.dynamodbReads / 2) * PRICES.dynamodbPerMillionReadUnits) / 1e6),
    },
    expressLine(`${triggerCalls.stepFunctions} start(s)`),
  ]);

  const acceptedMs = fanout.acceptedMsMedian;
  const workerMs = worker.wallMs.p50;
  const batched = table(`Per million batched items (POST /inbound, ${items}-item batches)`, [
    {
      item: 'API Gateway HTTP API',
      usage: `1 request per ${items} items (${Math.ceil(batch.requestBytes / 1024)} KB, one 512 KB unit)`,
      perMillion: round(PRICES.apiGatewayHttpPerMillionRequests / items, 4),
    },
    {
      item: 'Lambda requests',
      usage: `1 inbound invocation per ${items} items + ${round(workerInvocationsPerItem, 3)} worker invocations per item`,
      perMillion: round(PRICES.lambdaPerMillionRequests * (1 / items + workerInvocationsPerItem), 4),
    },
    {
      item: `Lambda duration (arm64, ${LAMBDA_MEMORY_MB} MB)`,
      usage: `inbound ${Math.ceil(acceptedMs)} ms per batch (POST to 202, local) + worker ${Math.ceil(workerMs)} ms per 10 items (wall p50, local)`,
      perMillion: perMillion(
        (lambdaGbSeconds(acceptedMs) / items + lambdaGbSeconds(workerMs) * workerInvocationsPerItem) *
          PRICES.lambdaArmPerGbSecond,
      ),
    },
    {
      item: 'SQS standard requests',
      usage: `${round(sqsPerItem, 3)} per item (SendMessageBatch, ReceiveMessage, DeleteMessageBatch of 10; each under 64 KB)`,
      perMillion: perMillion((sqsPerItem * PRICES.sqsStandardPerMillionRequests) / 1e6),
    },
    {
      item: 'DynamoDB writes (on-demand)',
      usage: `${round(writesPerItem, 3)} per item, under 1 KB each`,
      perMillion: perMillion((writesPerItem * PRICES.dynamodbPerMillionWriteUnits) / 1e6),
    },
    {
      item: 'DynamoDB reads (on-demand)',
      usage: `${round(readsPerItem, 4)} per item (per-batch lookups), eventually consistent: half an RRU each`,
      perMillion: perMillion(((readsPerItem / 2) * PRICES.dynamodbPerMillionReadUnits) / 1e6),
    },
    expressLine('1 start per item'),
  ]);

  const cpuShareDurationMs = round(
    trigger.cpuMs.p50 * (FULL_VCPU_MB / LAMBDA_MEMORY_MB) + Math.max(0, triggerMs - trigger.cpuMs.p50),
    1,
  );
  const per10ms = perMillion(lambdaGbSeconds(10) * PRICES.lambdaArmPerGbSecond);
  const durationLine = single.lines.find((l) => l.item.startsWith('Lambda duration'))!;
  const cpuShareTotal = round(
    single.total -
      durationLine.perMillion +
      perMillion(lambdaGbSeconds(cpuShareDurationMs) * PRICES.lambdaArmPerGbSecond),
    4,
  );
  return {
    prices: PRICES,
    lambdaMemoryMb: LAMBDA_MEMORY_MB,
    assumptions: [
      'Lambda durations are the local measurements (wall time against dynalite, fauxqs and the local Step Functions endpoint on loopback): AWS service calls take longer over the network, so the real billed durations are likely longer. The sensitivity line above says what each extra 10 ms adds.',
      `Lambda at ${LAMBDA_MEMORY_MB} MB gets about ${round((100 * LAMBDA_MEMORY_MB) / FULL_VCPU_MB, 1)}% of a vCPU (one vCPU at ${FULL_VCPU_MB} MB): CPU-bound work stretches by ${round(FULL_VCPU_MB / LAMBDA_MEMORY_MB, 1)}x. The CPU-share estimate scales the measured CPU p50 by that factor and keeps the rest of the wall time.`,
      'DynamoDB: every item hookflow writes on these paths is under 1 KB (1 WRU per write); registry reads are eventually consistent GetItems under 4 KB (0.5 RRU). TTL deletes are free.',
      'SQS: the worker side counts the event source mapping as the local stack emulates it, one ReceiveMessage and one DeleteMessageBatch per batch of 10; Lambda also long-polls an idle queue, which is not per item and not counted.',
      "Not included (not in the issue's price list): CloudWatch Logs ingestion of the handlers' log lines, X-Ray traces (the functions have active tracing; sampled), data transfer, free tiers.",
    ],
    singleWebhook: single,
    batchedItem: batched,
    per10msPerMillion: per10ms,
    cpuShareDurationMs,
    cpuShareTotal,
  };
}
