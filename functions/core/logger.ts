import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';

type Attributes = Parameters<LogFormatter['formatAttributes']>[0];
type ExtraAttributes = Parameters<LogFormatter['formatAttributes']>[1];

/**
 * Every handler line, compact: CloudWatch Logs bills each byte ingested ($0.50 per GB), and a handler writes one
 * line per successful request, so the line's fixed part is paid a million times per million webhooks
 * (docs/BENCHMARKS.md, "Cost per million"). Powertools' default line repeats on every line what the log group
 * already says (function_arn, function_name, function_memory_size, service) or what is constant
 * (sampling_rate), about 250 bytes. A custom formatter is Powertools' documented way to choose the keys
 * (https://docs.powertools.aws.dev/lambda/typescript/latest/features/logger/, "Custom log formatter").
 *
 * Kept, and why:
 * - `level` and `timestamp` (RFC 3339): with Lambda's JSON log format, Lambda reads both from a line the
 *   runtime did not format itself (Powertools writes to stdout directly) to filter by the application log level;
 *   a line without them is taken as INFO, and one without a timestamp gets one added
 *   (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
 * - `message`, and `requestId`: Lambda's own name for the invocation's id in its JSON lines
 *   (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html), which joins a line
 *   to the platform's WARN lines (timeouts, crashes) and to Lambda's metrics when its START/END/REPORT lines
 *   are not kept (lib/hookflow.ts, `systemLogLevel`).
 * - `cold_start`, only on the first invocation of an instance: without REPORT lines it is where an INIT shows.
 * - `xray_trace_id` on WARN and ERROR lines only: the detail an operator follows into X-Ray when something
 *   went wrong; a successful request's line does without it.
 * Whatever the call adds (an error's name, message and stack, the request's own keys) follows unchanged.
 */
export class CompactLogFormatter extends LogFormatter {
  override formatAttributes(attributes: Attributes, extra: ExtraAttributes): LogItem {
    const detail = attributes.logLevel !== 'TRACE' && attributes.logLevel !== 'DEBUG' && attributes.logLevel !== 'INFO';
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        requestId: attributes.lambdaContext?.awsRequestId,
        // LogItem drops undefined keys: a warm invocation's line has no cold_start at all.
        cold_start: attributes.lambdaContext?.coldStart === true ? true : undefined,
        xray_trace_id: detail ? attributes.xRayTraceId : undefined,
      },
    }).addAttributes(extra);
  }
}

/**
 * One structured JSON logger for every handler (Powertools reads POWERTOOLS_LOG_LEVEL, and in Lambda the
 * application log level Lambda sets, AWS_LAMBDA_LOG_LEVEL, first). Never log headers, query strings or
 * bodies: they carry keys and signatures. At INFO a handler writes at most one line per successful request.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'hookflow',
  logFormatter: new CompactLogFormatter(),
});
