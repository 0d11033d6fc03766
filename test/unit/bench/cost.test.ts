import type { ScenarioRun } from '../../../bench/lib/in-process';
import {
  accessLogBytes,
  atApplicationLogLevelWarn,
  atCpuShare,
  type CostTable,
  LAMBDA_MB_PER_VCPU,
  LAMBDA_MEMORY_MB,
  PLATFORM_LOG_BYTES,
  PRICES,
  renderAccessLogLine,
} from '../../../bench/parts/cost';
import { ACCESS_LOG_FIELDS } from '../../../lib/hookflow-http-api';

describe('bench cost: the CPU-share what-if', () => {
  it("re-prices only the duration line, with the handler's CPU stretched to the function's share of a vCPU", () => {
    // Arrange: 2 ms billed on average, of which 1 ms is the handler's CPU on a full core.
    const table: CostTable = {
      title: 't',
      lines: [
        { item: 'API Gateway HTTP API', usage: '', perMillion: 1 },
        { item: 'Lambda duration (arm64, 256 MB)', usage: '', perMillion: 0.0067 },
        { item: 'CloudWatch Logs ingestion', usage: '', perMillion: 0.1 },
      ],
      total: 1.1067,
      floorLines: [],
      floor: 1,
      ratio: 1.1067,
    };
    const run = { cpuMedianMs: 1, billedMsMean: 2, wallMs: { p50: 1.5 } } as unknown as ScenarioRun;
    const share = LAMBDA_MEMORY_MB / LAMBDA_MB_PER_VCPU;

    // Act
    const whatIf = atCpuShare(table, run);

    // Assert: 2 ms - 1 ms + 1 ms / share, priced at 0.25 GB; the other lines unchanged.
    const billedMs = 2 - 1 + 1 / share;
    const duration = (LAMBDA_MEMORY_MB / 1024) * (billedMs / 1000) * PRICES.lambdaArmPerGbSecond * 1e6;
    expect(whatIf.billedMs).toBeCloseTo(billedMs, 3);
    expect(whatIf.durationPerMillion).toBeCloseTo(duration, 4);
    expect(whatIf.total).toBeCloseTo(1.1 + duration, 4);
    expect(whatIf.ratio).toBeCloseTo(1.1 + duration, 3);
    expect(whatIf.total).toBeGreaterThan(table.total);
  });
});

describe('bench cost: the application log level WARN what-if', () => {
  it("takes only the handler's own log bytes out of the total, Lambda's lines at the system level kept", () => {
    // Arrange: a table whose logs line priced 200 handler bytes per request (the platform's bytes at WARN: none).
    const logs = (bytes: number) => (bytes / 1e9) * PRICES.cloudwatchLogsPerGbIngested * 1e6;
    const table: CostTable = {
      title: 't',
      lines: [
        { item: 'API Gateway HTTP API', usage: '', perMillion: 1 },
        { item: 'CloudWatch Logs ingestion', usage: '', perMillion: logs(200 + PLATFORM_LOG_BYTES) },
      ],
      total: 1 + logs(200 + PLATFORM_LOG_BYTES),
      floorLines: [],
      floor: 1,
      ratio: 1 + logs(200 + PLATFORM_LOG_BYTES),
    };
    const run = { logBytesPerInvocation: 200 } as unknown as ScenarioRun;

    // Act
    const whatIf = atApplicationLogLevelWarn(table, run);

    // Assert
    expect(whatIf.handlerLogBytes).toBe(200);
    expect(whatIf.logsPerMillion).toBeCloseTo(logs(PLATFORM_LOG_BYTES), 4);
    expect(whatIf.total).toBeCloseTo(1 + logs(PLATFORM_LOG_BYTES), 4);
    expect(whatIf.ratio).toBeCloseTo(1 + logs(PLATFORM_LOG_BYTES), 3);
    expect(whatIf.total).toBeLessThan(table.total);
  });
});

describe("bench cost: API Gateway's access-log line", () => {
  it("writes the construct's own format, every field filled, and prices its bytes", () => {
    // Arrange
    const route = 'POST /flows/{flow}/trigger';

    // Act
    const line = renderAccessLogLine(ACCESS_LOG_FIELDS, route);

    // Assert: the same fields as the stage's format, no variable left unfilled, and the bytes are the line's.
    const parsed = JSON.parse(line) as Record<string, string>;
    expect(Object.keys(parsed)).toEqual(Object.keys(ACCESS_LOG_FIELDS));
    expect(parsed.routeKey).toBe(route);
    expect(line).not.toContain('$context');
    expect(accessLogBytes(route)).toBe(Buffer.byteLength(line));
  });

  it('refuses a format variable it has no value for, rather than pricing it as nothing', () => {
    // Arrange: a field the sample does not know.
    const format = { ...ACCESS_LOG_FIELDS, userAgent: '$context.identity.userAgent' };

    // Act
    const render = () => renderAccessLogLine(format, 'POST /inbound');

    // Assert
    expect(render).toThrow("no sample value for the access log's $context.identity.userAgent");
  });
});
