import { DEFAULT_SYSTEM_LOG_LEVEL } from '../../lib/hookflow-function';
import { ACCESS_LOG_FIELDS } from '../../lib/hookflow-http-api';
import type { ScenarioRun } from '../lib/in-process';
import { round } from '../lib/stats';
import type { DeliveriesComparison, DeliveriesResult, DeliveriesSide } from './deliveries';
import type { FanoutResult } from './fanout';
import type { HandlerCpuResult } from './handler-cpu';

/**
 * Public list prices, us-east-1, read from AWS's pricing pages (cited per line; the first tier of each):
 * - API Gateway HTTP APIs, $1.00 per million requests (first 300 million): https://aws.amazon.com/api-gateway/pricing/
 * - Lambda arm64, $0.0000133334 per GB-second and $0.20 per million requests: https://aws.amazon.com/lambda/pricing/
 * - Lambda INIT phase billed like the invoke phase for on-demand ZIP functions on managed runtimes since
 *   1 August 2025 ("AWS Lambda standardizes billing for INIT Phase", which also says INITs typically occur in
 *   under 1% of invocations): https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/
 * - DynamoDB on-demand, $0.625 per million write request units and $0.125 per million read request units (an
 *   eventually consistent read of up to 4 KB is half a unit): https://aws.amazon.com/dynamodb/pricing/on-demand/
 * - Step Functions Express, $1.00 per million requests plus $0.00001667 per GB-second, rounded up to 100 ms and
 *   billed in 64 MB chunks; Standard, $0.025 per 1,000 state transitions: https://aws.amazon.com/step-functions/pricing/
 * - CloudWatch Logs, standard log class, $0.50 per GB ingested: https://aws.amazon.com/cloudwatch/pricing/
 * - SQS standard queues, $0.40 per million requests (64 KB chunks): https://aws.amazon.com/sqs/pricing/
 * - DynamoDB Standard table class storage, $0.25 per GB-month (after the first 25 GB), and every item takes 100
 *   bytes of overhead: https://aws.amazon.com/dynamodb/pricing/on-demand/ and
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 * - S3 Standard, $0.005 per 1,000 PUT requests and $0.023 per GB-month (first 50 TB): https://aws.amazon.com/s3/pricing/
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: 'first tier, no free tier',
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
  cloudwatchLogsPerGbIngested: 0.5,
  dynamodbStoragePerGbMonth: 0.25,
  s3PerMillionPuts: 5.0,
  s3StandardPerGbMonth: 0.023,
} as const;

/** A month as storage prices count it (GB-month: 30 days is close enough for a 7-day retention). */
const DAYS_PER_MONTH = 30;

/**
 * The share of invocations that are cold starts (their INIT phase billed), from AWS's INIT-billing post
 * ("typically occur in under 1% of invocations"): an assumption, not a measurement; real traffic decides it.
 */
export const COLD_START_SHARE = 0.01;
/**
 * The INIT duration priced (ms): an assumption, not a measurement. Lambda's INIT is the runtime's own start plus
 * the handler's load, in AWS, on Graviton; the cold-start part (3) measures only the load, on this machine, a
 * part of it (the flow trigger's load, wall, is shown beside this figure). A proxy that priced that part alone
 * would understate INIT, so the figure stays a named, round assumption.
 */
export const ASSUMED_INIT_MS = 250;

/**
 * Lambda's own log lines per invocation (its system log). The construct gives every handler the JSON log format
 * (lib/hookflow-function.ts), in which they are JSON objects: platform.start, platform.runtimeDone and
 * platform.report, at INFO (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html,
 * "JSON format for system logs"). Built from their documented shape with typical values; computed, not measured.
 */
const PLATFORM_LOG_LINES = [
  '{"time":"2026-01-01T00:00:00.000Z","type":"platform.start","record":{"requestId":"00000000-0000-0000-0000-000000000000","version":"$LATEST"}}\n',
  '{"time":"2026-01-01T00:00:00.013Z","type":"platform.runtimeDone","record":{"requestId":"00000000-0000-0000-0000-000000000000","status":"success","spans":[{"name":"responseLatency","start":"2026-01-01T00:00:00.000Z","durationMs":12.1},{"name":"responseDuration","start":"2026-01-01T00:00:00.012Z","durationMs":0.1}],"metrics":{"durationMs":12.34,"producedBytes":120}}}\n',
  '{"time":"2026-01-01T00:00:00.014Z","type":"platform.report","record":{"requestId":"00000000-0000-0000-0000-000000000000","metrics":{"durationMs":12.34,"billedDurationMs":13,"memorySizeMB":256,"maxMemoryUsedMB":98},"status":"success"}}\n',
];
/** Bytes of Lambda's per-invocation lines when the system log level keeps them (INFO or DEBUG). */
export const PLATFORM_LOG_BYTES_WHEN_KEPT = PLATFORM_LOG_LINES.reduce((sum, line) => sum + Buffer.byteLength(line), 0);

/**
 * Lambda's per-invocation bytes at a system log level: none at WARN, where Lambda sends only its lines at WARN and
 * above (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html), so not the
 * INFO lines above; all of them at INFO or DEBUG.
 */
export function platformLogBytes(systemLogLevel: string): number {
  return systemLogLevel === 'WARN' ? 0 : PLATFORM_LOG_BYTES_WHEN_KEPT;
}

/** The system log level the construct deploys by default (`systemLogLevel` prop), so the bytes it costs. */
export const SYSTEM_LOG_LEVEL: string = DEFAULT_SYSTEM_LOG_LEVEL;
export const PLATFORM_LOG_BYTES = platformLogBytes(SYSTEM_LOG_LEVEL);

/**
 * What API Gateway writes into the access-log format for one successful webhook: typical values, not measured (the
 * local gateway keeps no access log). An HTTP API's request id is 16 characters; an empty variable (no integration
 * error) is written as "-"; latencies of tens of milliseconds, a response of hundreds of bytes.
 */
const ACCESS_LOG_SAMPLE: Readonly<Record<string, string>> = {
  '$context.requestId': 'Jq7fGhS2IAMEVdA=',
  '$context.identity.sourceIp': '203.0.113.24',
  '$context.requestTime': '06/Dec/2026:01:12:00 +0000',
  '$context.httpMethod': 'POST',
  '$context.status': '202',
  '$context.responseLength': '187',
  '$context.integrationStatus': '200',
  '$context.integrationErrorMessage': '-',
  '$context.responseLatency': '38',
  '$context.integrationLatency': '35',
};

/**
 * Bytes of API Gateway's access-log line for one request on a route (`POST /flows/{flow}/trigger`): the construct
 * access-logs its stage as JSON (lib/hookflow-http-api.ts, ACCESS_LOG_FIELDS), as AWS recommends for every stage of
 * an HTTP API ("we recommend that you write logs to CloudWatch Logs for all stages of your HTTP API":
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html). Each `$context` variable is
 * replaced by its value, so a field added to the format without a sample value here fails the bench, not prices 0.
 * The floor's stage, logged by the same recommendation, writes the same line: it sits on both sides of a ratio.
 */
export function accessLogBytes(routeKey: string): number {
  return Buffer.byteLength(renderAccessLogLine(ACCESS_LOG_FIELDS, routeKey));
}

/** An access-log format (field name to `$context` variable) written as API Gateway writes it, with the sample values. */
export function renderAccessLogLine(format: Readonly<Record<string, string>>, routeKey: string): string {
  const values: Record<string, string> = { ...ACCESS_LOG_SAMPLE, '$context.routeKey': routeKey };
  return JSON.stringify(format).replace(/\$context\.[A-Za-z.]+/g, (variable) => {
    const value = values[variable];
    if (value === undefined) throw new Error(`no sample value for the access log's ${variable}`);
    return value;
  });
}

/** The single webhooks' route, as API Gateway's `$context.routeKey` names it (functions/routes.ts). */
const FLOW_TRIGGER_ROUTE_KEY = 'POST /flows/{flow}/trigger';
/** The batch route's (functions/routes.ts). */
const INBOUND_ROUTE_KEY = 'POST /inbound';

/** lib/hookflow-function.ts: every handler is arm64 with 256 MB. */
export const LAMBDA_MEMORY_MB = 256;

/**
 * Lambda gives a function CPU in proportion to its memory: "at 1,769 MB, a function has the equivalent of one
 * vCPU" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). At 256 MB that is about a
 * seventh of one. How the share is enforced over short bursts is not documented, so the cost table prices the
 * local wall time (CPU at a full core, a lower bound) and this share gives the upper bound beside it: a busy
 * instance, whose CPU runs at the share all the time (CpuShareWhatIf).
 */
export const LAMBDA_MB_PER_VCPU = 1769;

export interface CostLine {
  readonly item: string;
  /** What one unit of work uses of it, and where that figure comes from (measured by which part, or computed). */
  readonly usage: string;
  /** $ per million units of work. */
  readonly perMillion: number;
}

export interface CostTable {
  readonly title: string;
  readonly lines: CostLine[];
  readonly total: number;
  /** The floor: the same work with nothing between API Gateway and Step Functions. */
  readonly floorLines: CostLine[];
  readonly floor: number;
  /** total / floor. */
  readonly ratio: number;
  /** The issue's target for this ratio, if it has one. */
  readonly target?: number;
  /** The same with delivery recording on (the deliveries part's measured calls and items, priced). */
  readonly withRecording?: { readonly total: number; readonly ratio: number; readonly note: string };
  /** Information: the same request if its CPU ran at the function's share of a vCPU (atCpuShare). */
  readonly atCpuShare?: CpuShareWhatIf;
  /** Information: the same request with the handlers' application log level at WARN (atApplicationLogLevelWarn). */
  readonly atLogLevelWarn?: LogLevelWhatIf;
}

/**
 * What the CloudWatch Logs line would bill with the construct's `applicationLogLevel` at WARN instead of its default,
 * INFO: a successful request's one handler line is INFO (functions/core/logger.ts), and below the application level
 * Lambda's AWS_LAMBDA_LOG_LEVEL makes Powertools write nothing (lib/hookflow-function.ts, `handlerLogging`), so only
 * Lambda's own lines at the system level are left. Computed, information only: the duration line is kept as measured
 * at INFO, though the line also costs about 0.05-0.07 ms of CPU (docs/performance.md, "The success line"), so this
 * slightly overstates the total; the targets are read on the table.
 */
export interface LogLevelWhatIf {
  readonly applicationLogLevel: 'WARN';
  /** The handler's bytes per request at INFO (part 2), left out. */
  readonly handlerLogBytes: number;
  readonly logsPerMillion: number;
  readonly total: number;
  readonly ratio: number;
}

/**
 * What the Lambda duration would bill if the handler's CPU ran at the function's share of a vCPU, the rest of the
 * wall time (waiting for AWS's answers) unchanged: computed, information only, not what the target is read on.
 */
export interface CpuShareWhatIf {
  /** LAMBDA_MEMORY_MB / LAMBDA_MB_PER_VCPU. */
  readonly share: number;
  /** The handler's CPU per request, measured in process (part 2, median), ms. */
  readonly cpuMs: number;
  /** Billed ms on average: the measured billed duration plus the CPU stretched to the share. */
  readonly billedMs: number;
  readonly durationPerMillion: number;
  readonly total: number;
  readonly ratio: number;
}

/** What recording adds per million deliveries, one comparison of the deliveries part priced. */
export interface RecordingCost {
  readonly name: string;
  readonly description: string;
  readonly lines: CostLine[];
  readonly total: number;
}

export interface CostResult {
  readonly prices: typeof PRICES;
  readonly lambdaMemoryMb: number;
  readonly coldStartShare: number;
  readonly initMs: number;
  /** Lambda's system log level the figures assume (the construct's default), and its per-invocation bytes. */
  readonly systemLogLevel: string;
  readonly platformLogBytes: number;
  /** What Lambda's START/END/REPORT lines would add per invocation at system log level INFO. */
  readonly platformLogBytesWhenKept: number;
  /** $ per million invocations those lines would add. */
  readonly platformLogsWhenKeptPerMillion: number;
  readonly assumptions: string[];
  readonly unkeyed: CostTable;
  readonly keyed: CostTable;
  readonly batchedItem: CostTable;
  /** What recording adds per million deliveries (unkeyed, keyed, a body over the inline limit); absent without
   * the deliveries part's figures. */
  readonly recording?: RecordingCost[];
  /** $ per million invocations for each extra 10 ms of billed Lambda duration at this memory size. */
  readonly per10msPerMillion: number;
}

/** The CPU-share what-if of one single-webhook table (CpuShareWhatIf): the duration line re-priced, the rest kept. */
export function atCpuShare(t: CostTable, run: ScenarioRun): CpuShareWhatIf {
  const share = LAMBDA_MEMORY_MB / LAMBDA_MB_PER_VCPU;
  const cpuMs = run.cpuMedianMs;
  const measuredBilledMs = run.billedMsMean ?? Math.ceil(run.wallMs.p50);
  const billedMs = round(measuredBilledMs + cpuMs / share - cpuMs, 3);
  const durationPerMillion = billedDurationPerMillion(billedMs);
  // The table's duration line, priced from the same run (lambdaLines): replaced, every other line kept.
  const total = round(t.total - billedDurationPerMillion(measuredBilledMs) + durationPerMillion, 4);
  return { share: round(share, 4), cpuMs, billedMs, durationPerMillion, total, ratio: round(total / t.floor, 3) };
}

/** The single-webhook table's CloudWatch Logs line, priced from the same run (lambdaLines), without the handler's. */
export function atApplicationLogLevelWarn(t: CostTable, run: ScenarioRun): LogLevelWhatIf {
  const handlerLogBytes = run.logBytesPerInvocation ?? 0;
  const logsPerMillion = logsIngestedPerMillion(PLATFORM_LOG_BYTES);
  const total = round(t.total - logsIngestedPerMillion(handlerLogBytes + PLATFORM_LOG_BYTES) + logsPerMillion, 4);
  return { applicationLogLevel: 'WARN', handlerLogBytes, logsPerMillion, total, ratio: round(total / t.floor, 3) };
}

const lambdaGbSeconds = (ms: number) => (LAMBDA_MEMORY_MB / 1024) * (Math.ceil(ms) / 1000);
/** GB-seconds of a duration already billed (rounded up per invocation, then averaged: ScenarioRun.billedMsMean). */
const billedGbSeconds = (billedMs: number) => (LAMBDA_MEMORY_MB / 1024) * (billedMs / 1000);
/** $ per million invocations of a duration already billed: the single-webhook tables' duration line. */
const billedDurationPerMillion = (billedMs: number) =>
  perMillion(billedGbSeconds(billedMs) * PRICES.lambdaArmPerGbSecond);
const perMillion = (dollarsPerUnit: number) => round(dollarsPerUnit * 1e6, 4);
/** $ per million invocations of this many bytes of log lines ingested per invocation. */
const logsIngestedPerMillion = (bytes: number) => perMillion((bytes / 1e9) * PRICES.cloudwatchLogsPerGbIngested);
const sum = (lines: readonly CostLine[]) =>
  round(
    lines.reduce((total, line) => total + line.perMillion, 0),
    4,
  );

/** Express: $1/M requests, plus GB-seconds billed per 100 ms at 64 MB at least (an echo run: one increment). */
const expressStart = () =>
  PRICES.stepFunctionsExpressPerMillionRequests / 1e6 +
  PRICES.stepFunctionsExpressMinimumGb *
    PRICES.stepFunctionsExpressBillingIncrementSeconds *
    PRICES.stepFunctionsExpressPerGbSecond;

const apiGatewayLine = (usage = '1 request (under 512 KB)', perRequest = 1): CostLine => ({
  item: 'API Gateway HTTP API',
  usage,
  perMillion: round(PRICES.apiGatewayHttpPerMillionRequests * perRequest, 4),
});
/** API Gateway's access-log line, per request (perRequest: a batch's share of it per item). */
const accessLogLine = (routeKey: string, perRequest = 1): CostLine => {
  const bytes = accessLogBytes(routeKey);
  return {
    item: 'API Gateway access log (CloudWatch Logs)',
    usage: `computed: one ${bytes}-byte JSON line per request (lib/hookflow-http-api.ts's format, typical values)${perRequest === 1 ? '' : `, ${round(perRequest, 4)} request per item`}`,
    perMillion: logsIngestedPerMillion(bytes * perRequest),
  };
};
const expressLine = (usage: string): CostLine => ({
  item: 'Step Functions Express start (request + one 100 ms, 64 MB increment)',
  usage,
  perMillion: perMillion(expressStart()),
});
/** The floor of issue 18: API Gateway's direct Step Functions integration, no Lambda: one request, one start. */
const singleFloor = () => [
  apiGatewayLine(),
  accessLogLine(FLOW_TRIGGER_ROUTE_KEY),
  expressLine('1 StartExecution (the same workflow run on both sides)'),
];

function table(title: string, lines: CostLine[], floorLines: CostLine[], target?: number): CostTable {
  const total = sum(lines);
  const floor = sum(floorLines);
  return {
    title,
    lines,
    total,
    floorLines,
    floor,
    ratio: round(total / floor, 3),
    ...(target === undefined ? {} : { target }),
  };
}

function find(runs: readonly ScenarioRun[], handler: string, size: string, dedupe?: (d: string) => boolean) {
  const run = runs.find((r) => r.handler === handler && r.size === size && (dedupe?.(r.dedupe) ?? true));
  if (run === undefined) throw new Error(`no ${handler} ${size} run in the handler results`);
  return run;
}

const READS = ['DynamoDB.GetItem', 'DynamoDB.Query', 'DynamoDB.BatchGetItem'];
const WRITES = ['DynamoDB.PutItem', 'DynamoDB.UpdateItem', 'DynamoDB.DeleteItem', 'DynamoDB.BatchWriteItem'];
const countOf = (calls: Record<string, number>, ops: readonly string[]) =>
  round(
    ops.reduce((total, op) => total + (calls[op] ?? 0), 0),
    3,
  );

/** The Lambda-fronted lines of one single-webhook request, from one in-process run (handlers part). */
function lambdaLines(run: ScenarioRun, measuredLoadMs: number | undefined, recordWrites = 0): CostLine[] {
  const initMs = ASSUMED_INIT_MS;
  const load =
    measuredLoadMs === undefined ? '' : `; the handler's load alone, part 3: ${round(measuredLoadMs, 1)} ms wall here`;
  const reads = countOf(run.awsCalls, READS);
  // Without recording: a record's own PutItem, when the run made one, is priced apart (recordingCost).
  const measuredWrites = countOf(run.awsCalls, WRITES);
  const withoutRecord = Math.min(recordWrites, measuredWrites);
  const writes = round(measuredWrites - withoutRecord, 3);
  const starts = run.awsCalls['SFN.StartExecution'] ?? 0;
  const durationMs = run.wallMs.p50;
  // Results written before billedMsMean existed: the median rounded up, as the cost part priced it then.
  const billedMs = run.billedMsMean ?? Math.ceil(durationMs);
  const logBytes = (run.logBytesPerInvocation ?? 0) + PLATFORM_LOG_BYTES;
  return [
    apiGatewayLine(),
    accessLogLine(FLOW_TRIGGER_ROUTE_KEY),
    { item: 'Lambda requests', usage: '1 invocation', perMillion: PRICES.lambdaPerMillionRequests },
    {
      item: `Lambda duration (arm64, ${LAMBDA_MEMORY_MB} MB)`,
      usage: `measured: wall p50 ${round(durationMs, 2)} ms in process against the local services; computed: billed ${round(billedMs, 2)} ms on average (each invocation rounded up to 1 ms) × ${LAMBDA_MEMORY_MB / 1024} GB`,
      perMillion: billedDurationPerMillion(billedMs),
    },
    {
      item: 'Lambda INIT (billed since August 2025)',
      usage: `computed: ${COLD_START_SHARE * 100}% of invocations cold (assumed) × ${initMs} ms INIT (assumed: the runtime's start and the handler's load${load}) × ${LAMBDA_MEMORY_MB / 1024} GB`,
      perMillion: perMillion(COLD_START_SHARE * lambdaGbSeconds(initMs) * PRICES.lambdaArmPerGbSecond),
    },
    {
      item: 'DynamoDB writes (on-demand)',
      usage: `measured: ${writes} write(s) per request (call counter${withoutRecord > 0 ? `; the record's ${withoutRecord} PutItem left out, priced under recording` : ''}); computed: items under 1 KB, 1 WRU each`,
      perMillion: perMillion((writes * PRICES.dynamodbPerMillionWriteUnits) / 1e6),
    },
    {
      item: 'DynamoDB reads (on-demand)',
      usage: `measured: ${reads} read(s) per request (call counter); computed: eventually consistent, under 4 KB, ½ RRU each`,
      perMillion: perMillion(((reads / 2) * PRICES.dynamodbPerMillionReadUnits) / 1e6),
    },
    expressLine(`measured: ${starts} start(s) per request (call counter)`),
    {
      item: 'CloudWatch Logs ingestion',
      usage: `measured: ${round(run.logBytesPerInvocation ?? 0, 0)} bytes of handler log lines per request; computed: + ${PLATFORM_LOG_BYTES} bytes of Lambda's START/END/REPORT lines (system log level ${SYSTEM_LOG_LEVEL}, the construct's default)`,
      perMillion: logsIngestedPerMillion(logBytes),
    },
  ];
}

const writesOf = (calls: Record<string, number>) => countOf(calls, WRITES);
const s3Puts = (calls: Record<string, number>) => calls['S3.PutObject'] ?? 0;

/**
 * Bytes a side keeps for the records' retention: its item (plus DynamoDB's 100 bytes per item) and its index entry
 * (the same overhead) when it is a record, and the S3 objects it wrote. A side that does not record keeps at most a
 * plain claim for its dedupe window, left out here (shorter than the retention, and the same without recording).
 */
function storedGbDays(side: DeliveriesSide, retentionDays: number): { dynamodb: number; s3: number } {
  const item = side.item;
  const isRecord = item?.indexBytes !== undefined;
  const dynamodbBytes = isRecord ? item.bytes + 100 + item.indexBytes + 100 : 0;
  const s3Bytes = s3Puts(side.calls) * side.request.bodyBytes;
  return { dynamodb: (dynamodbBytes / 1e9) * retentionDays, s3: (s3Bytes / 1e9) * retentionDays };
}

/**
 * What side A of a deliveries comparison costs on top of side B, per million requests: the DynamoDB write units
 * (measured calls × item sizes read back), the S3 PUTs (measured), the storage for the retention (computed), and the
 * Lambda duration the measured latency difference would bill (local, a proxy; never below 0).
 */
export function recordingCost(comparison: DeliveriesComparison, retentionDays: number): RecordingCost {
  const { a, b, latency } = comparison;
  const wru = round(a.writeUnitsPerRequest - b.writeUnitsPerRequest, 3);
  const puts = round(s3Puts(a.calls) - s3Puts(b.calls), 3);
  const storedA = storedGbDays(a, retentionDays);
  const storedB = storedGbDays(b, retentionDays);
  const extraMs = Math.max(0, latency.medianA - latency.medianB);
  const itemText = (side: DeliveriesSide) =>
    side.item === undefined
      ? 'no item'
      : `${side.item.bytes} B item (${side.item.writeUnits} WRU)${side.item.indexBytes === undefined ? '' : ` + ${side.item.indexBytes} B index entry (${side.item.indexWriteUnits} WRU)`}`;
  const lines: CostLine[] = [
    {
      item: 'DynamoDB write units (on-demand)',
      usage: `measured: ${a.label} ${writesOf(a.calls)} write(s), ${itemText(a)}: ${a.writeUnitsPerRequest} WRU; ${b.label} ${writesOf(b.calls)} write(s), ${itemText(b)}: ${b.writeUnitsPerRequest} WRU; computed: A − B = ${wru} WRU per request`,
      perMillion: perMillion((wru * PRICES.dynamodbPerMillionWriteUnits) / 1e6),
    },
    {
      item: 'S3 PUT (body store)',
      usage: `measured: ${s3Puts(a.calls)} PutObject per request against ${s3Puts(b.calls)}`,
      perMillion: perMillion((puts * PRICES.s3PerMillionPuts) / 1e6),
    },
    {
      item: `Storage for the ${retentionDays}-day retention`,
      usage: `computed: A − B = DynamoDB ${round(((storedA.dynamodb - storedB.dynamodb) * 1e9) / retentionDays, 0)} B (item + index entry, 100 B overhead each), S3 ${round(((storedA.s3 - storedB.s3) * 1e9) / retentionDays, 0)} B, kept ${retentionDays} days`,
      perMillion: perMillion(
        ((storedA.dynamodb - storedB.dynamodb) * PRICES.dynamodbStoragePerGbMonth +
          (storedA.s3 - storedB.s3) * PRICES.s3StandardPerGbMonth) /
          DAYS_PER_MONTH,
      ),
    },
    {
      item: `Lambda duration (arm64, ${LAMBDA_MEMORY_MB} MB)`,
      usage: `measured: latency median ${round(latency.medianA, 2)} ms against ${round(latency.medianB, 2)} ms through the local gateway (×${latency.ratio.toFixed(3)}); computed: ${round(extraMs, 2)} ms more billed, a local proxy`,
      perMillion: perMillion((LAMBDA_MEMORY_MB / 1024) * (extraMs / 1000) * PRICES.lambdaArmPerGbSecond),
    },
  ];
  return { name: comparison.name, description: comparison.description, lines, total: sum(lines) };
}

/** 6. Cost per million single webhooks and per million batched items, next to their floors, from the other parts. */
export function computeCost(
  handlers: HandlerCpuResult,
  fanout: FanoutResult,
  measuredLoadMs?: number,
  deliveries?: DeliveriesResult,
): CostResult {
  const keyedRun = find(handlers.runs, 'flow-trigger', '1KB', (d) => d !== 'none');
  const unkeyedRun = find(handlers.runs, 'flow-trigger', '1KB', (d) => d === 'none');
  const recording = deliveries?.comparisons.map((c) => recordingCost(c, deliveries.settings.retentionDays));
  const comparison = (name: string) => deliveries?.comparisons.find((c) => c.name === name);
  const recordingOf = (name: string) => recording?.find((r) => r.name === name);
  /** The record's own writes (recorded side's writes minus the unrecorded side's): priced under recording. */
  const recordWrites = (name: string) => {
    const c = comparison(name);
    return c === undefined ? 0 : Math.max(0, writesOf(c.a.calls) - writesOf(c.b.calls));
  };
  const withRecording = (base: CostTable, name: string, note: string): CostTable => {
    const added = recordingOf(name);
    if (added === undefined) return base;
    const total = round(base.total + added.total, 4);
    return { ...base, withRecording: { total, ratio: round(total / base.floor, 3), note } };
  };
  const single = (name: 'unkeyed' | 'keyed', run: ScenarioRun, target: number, note: string) => {
    const base = table(
      `Per million single webhooks, ${name} (POST /flows/hello/trigger, 1 KB, ${name === 'keyed' ? 'Idempotency-Key' : 'no Idempotency-Key'})`,
      lambdaLines(run, measuredLoadMs, recordWrites(name)),
      singleFloor(),
      target,
    );
    return withRecording(
      { ...base, atCpuShare: atCpuShare(base, run), atLogLevelWarn: atApplicationLogLevelWarn(base, run) },
      name,
      note,
    );
  };
  const unkeyed = single(
    'unkeyed',
    unkeyedRun,
    1.15,
    'its record, an item of its own: one PutItem and its index entry; measured by the deliveries part',
  );
  const keyed = single(
    'keyed',
    keyedRun,
    1.45,
    "no extra call, the claim carries the record: a larger item and its index entry, written once by the claim (a guarded Express run is named by its run guard's item, which the record points to); measured by the deliveries part",
  );

  const accessLog = accessLogLine(FLOW_TRIGGER_ROUTE_KEY).perMillion;
  /** total / floor with the floor's access-log line taken out (information: the ratios are read with it in). */
  const unloggedRatio = (t: CostTable) => round(t.total / (t.floor - accessLog), 3);

  const worker = find(handlers.runs, 'inbound-fanout', '1KB');
  const batch = fanout.runs[0]!;
  const items = batch.items;
  const perItem = (op: string) => (batch.calls[op]?.calls ?? 0) / items;
  const writesPerItem = WRITES.reduce((total, op) => total + perItem(op), 0);
  const readsPerItem = READS.reduce((total, op) => total + perItem(op), 0);
  const sqsPerItem = ['SQS.SendMessageBatch', 'SQS.ReceiveMessage', 'SQS.DeleteMessageBatch'].reduce(
    (total, op) => total + perItem(op),
    0,
  );
  const workerInvocationsPerItem = perItem('SQS.ReceiveMessage');
  const acceptedMs = fanout.acceptedMsMedian;
  const workerMs = worker.wallMs.p50;
  const batched = table(
    `Per million batched items (POST /inbound, ${items}-item batches)`,
    [
      apiGatewayLine(
        `1 request per ${items} items (${Math.ceil(batch.requestBytes / 1024)} KB, one 512 KB unit)`,
        1 / items,
      ),
      accessLogLine(INBOUND_ROUTE_KEY, 1 / items),
      {
        item: 'Lambda requests',
        usage: `measured: 1 inbound invocation per ${items} items + ${round(workerInvocationsPerItem, 3)} worker invocations per item`,
        perMillion: round(PRICES.lambdaPerMillionRequests * (1 / items + workerInvocationsPerItem), 4),
      },
      {
        item: `Lambda duration (arm64, ${LAMBDA_MEMORY_MB} MB)`,
        usage: `measured: inbound ${Math.ceil(acceptedMs)} ms per batch (POST to 202, local) + worker ${Math.ceil(workerMs)} ms per 10 items (wall p50, local)`,
        perMillion: perMillion(
          (lambdaGbSeconds(acceptedMs) / items + lambdaGbSeconds(workerMs) * workerInvocationsPerItem) *
            PRICES.lambdaArmPerGbSecond,
        ),
      },
      {
        item: 'SQS standard requests',
        usage: `measured: ${round(sqsPerItem, 3)} per item (SendMessageBatch, ReceiveMessage, DeleteMessageBatch of 10; each under 64 KB)`,
        perMillion: perMillion((sqsPerItem * PRICES.sqsStandardPerMillionRequests) / 1e6),
      },
      {
        item: 'DynamoDB writes (on-demand)',
        usage: `measured: ${round(writesPerItem, 3)} per item; computed: under 1 KB each`,
        perMillion: perMillion((writesPerItem * PRICES.dynamodbPerMillionWriteUnits) / 1e6),
      },
      {
        item: 'DynamoDB reads (on-demand)',
        usage: `measured: ${round(readsPerItem, 4)} per item (per-batch lookups); computed: ½ RRU each`,
        perMillion: perMillion(((readsPerItem / 2) * PRICES.dynamodbPerMillionReadUnits) / 1e6),
      },
      expressLine('1 start per item'),
      {
        item: 'CloudWatch Logs ingestion',
        usage: `measured: ${round((worker.logBytesPerInvocation ?? 0) / worker.recordsPerInvocation, 0)} bytes of worker log lines per item; computed: + Lambda's platform lines per worker invocation`,
        perMillion: logsIngestedPerMillion(
          (worker.logBytesPerInvocation ?? 0) / worker.recordsPerInvocation +
            PLATFORM_LOG_BYTES * workerInvocationsPerItem,
        ),
      },
    ],
    [
      apiGatewayLine(`1 request per ${items} items`, 1 / items),
      accessLogLine(INBOUND_ROUTE_KEY, 1 / items),
      expressLine('1 start per item'),
    ],
  );

  return {
    prices: PRICES,
    lambdaMemoryMb: LAMBDA_MEMORY_MB,
    coldStartShare: COLD_START_SHARE,
    initMs: ASSUMED_INIT_MS,
    systemLogLevel: SYSTEM_LOG_LEVEL,
    platformLogBytes: PLATFORM_LOG_BYTES,
    platformLogBytesWhenKept: PLATFORM_LOG_BYTES_WHEN_KEPT,
    platformLogsWhenKeptPerMillion: logsIngestedPerMillion(PLATFORM_LOG_BYTES_WHEN_KEPT),
    assumptions: [
      'Measured: AWS calls per request (the call counter in the handlers part), handler log bytes per request (what the deployed bundle wrote to stdout and stderr in process), Lambda duration (wall p50 in process against the local services on loopback), Computed: everything else, from the prices above.',
      'Lambda durations are local: AWS service calls take longer over the network, so real billed durations are longer. The sensitivity line says what each extra 10 ms adds.',
      `Lambda CPU: the duration is priced at the wall time measured here, where the handler's CPU runs on a full core. A ${LAMBDA_MEMORY_MB} MB function has about ${round(LAMBDA_MEMORY_MB / LAMBDA_MB_PER_VCPU, 3)} of a vCPU (AWS: one vCPU at ${LAMBDA_MB_PER_VCPU} MB), and AWS does not document how that share applies to a burst of a few milliseconds; "at the CPU share" under each single-webhook table prices the same request with its CPU stretched to that share (a busy instance), as the upper bound. Information, not what the targets are read on.`,
      `INIT: billed like invocation time since August 2025 for on-demand functions; ${COLD_START_SHARE * 100}% of invocations cold is AWS's own "typically under 1%", an assumption.`,
      `CloudWatch Logs: the handlers write their JSON lines to stdout themselves (Powertools), and Lambda's JSON log format keeps such lines as written, so the bytes measured are the bytes ingested. Lambda's own per-invocation lines follow the construct's system log level: ${SYSTEM_LOG_LEVEL} by default, where Lambda sends none of them (${PLATFORM_LOG_BYTES} bytes); at INFO (\`systemLogLevel\` prop) they would add ${PLATFORM_LOG_BYTES_WHEN_KEPT} bytes per invocation (computed from their JSON shape), ${'$'}${logsIngestedPerMillion(PLATFORM_LOG_BYTES_WHEN_KEPT).toFixed(3)} per million.`,
      `API Gateway's access log: the construct's stage writes one JSON line per request (${accessLogBytes(FLOW_TRIGGER_ROUTE_KEY)} bytes for a single webhook, computed from its format with typical values), ${'$'}${accessLog.toFixed(3)} per million. AWS recommends access logs on every stage of an HTTP API, so the floor's stage writes the same line and both sides carry it. Were the floor's stage not logged at all, the single webhooks would read ${unloggedRatio(unkeyed)}× (unkeyed) and ${unloggedRatio(keyed)}× (keyed) instead.`,
      'DynamoDB: every item hookflow writes on these paths is under 1 KB (1 WRU per write); registry reads are eventually consistent GetItems under 4 KB (½ RRU). TTL deletes are free.',
      'Step Functions: the workflow run is the same on both sides (one Express start of the echo workflow), so its cost sits in the floor too; a Standard workflow bills per state transition instead, the same on both sides.',
      'Not included: X-Ray traces (sampled), data transfer, free tiers, SQS long polling of an idle queue.',
    ],
    unkeyed,
    keyed,
    batchedItem: batched,
    ...(recording === undefined ? {} : { recording }),
    per10msPerMillion: perMillion(lambdaGbSeconds(10) * PRICES.lambdaArmPerGbSecond),
  };
}
