import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CompactLogFormatter } from '../../../functions/core/logger';
import { executionNameOf } from '../../../functions/core/runs/execution-name';
import { executionLinker } from '../../../functions/core/runs/execution-link';
import { makeRunStarter } from '../../../functions/core/runs/start-run';
import { makeFlowTriggerHandler } from '../../../functions/styles/flow-trigger/http';
import { httpEvent, testContext } from '../../support/api-gateway-events';
import { FakeEngine, FakeRegistry, InMemoryDedupeStore } from '../../support/fakes';

/**
 * Issue 18, cost: CloudWatch Logs bills every byte a handler writes, so a successful request writes one compact
 * line at INFO (functions/core/logger.ts), while warnings and errors keep their detail. What the lines are
 * allowed to carry is asserted here on the lines a handler really writes, captured from stdout.
 */

const API_KEY = 'hf_test_logger_key';
const REQUEST_ID = '0b2a5f5e-1d5c-4f0e-9a1a-2f3b4c5d6e7f';

/** Lines written to stdout and stderr (warnings and errors) by `act`, parsed. */
async function linesOf(act: () => Promise<unknown>) {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    }),
  );
  try {
    await act();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  const raw = written.join('').split('\n').filter(Boolean);
  return { raw, parsed: raw.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const newLogger = (logLevel: 'INFO' | 'WARN' = 'INFO') =>
  new Logger({ serviceName: 'hookflow', logLevel, logFormatter: new CompactLogFormatter() });

function flowTrigger(logger: Logger) {
  const registry = new FakeRegistry().addFlow({ flowId: 'hello' }).addApiKey(API_KEY, { keyId: 'dev' });
  const engine = new FakeEngine();
  const startRun = makeRunStarter(
    { engine, dedupe: new InMemoryDedupeStore(), logger },
    { dedupeTtlSeconds: 60, dedupeWaitMs: 100, dedupeLeaseMs: 1000 },
  );
  const handler = makeFlowTriggerHandler({
    registry,
    startRun,
    logger,
    maxBodyBytes: 1024,
    executionLink: executionLinker('https://console.example/{executionArn}'),
    now: () => Date.now(),
  });
  return async (headers: Record<string, string>, body = '{"order":1}') =>
    (await handler(
      httpEvent({
        path: '/flows/hello/trigger',
        routeKey: 'POST /flows/{flowId}/trigger',
        pathParameters: { flowId: 'hello' },
        headers,
        body,
      }),
      { ...testContext, awsRequestId: REQUEST_ID },
    )) as APIGatewayProxyStructuredResultV2;
}

describe('handler log lines (CompactLogFormatter)', () => {
  it('a successful trigger writes one line: level, message, timestamp, request id, flow, execution name', async () => {
    // Arrange
    const trigger = flowTrigger(newLogger());

    // Act
    const { raw, parsed } = await linesOf(() => trigger({ authorization: `Bearer ${API_KEY}` }));

    // Assert: nothing Powertools adds by default that the log group already says, no key, no body. (cold_start
    // is there on an instance's first invocation only: whether this is one depends on the tests before it.)
    expect(parsed).toHaveLength(1);
    const { cold_start: _coldStart, ...line } = parsed[0]!;
    expect(line).toEqual({
      level: 'INFO',
      message: 'flow triggered',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      requestId: REQUEST_ID,
      flowId: 'hello',
      execution: expect.any(String),
    });
    expect(raw[0]).not.toContain(API_KEY);
    expect(raw[0]).not.toContain('"order"');
  });

  it('a warm, replayed trigger says replayed and no cold_start; the line stays within 250 bytes', async () => {
    // Arrange
    const trigger = flowTrigger(newLogger());
    const headers = { authorization: `Bearer ${API_KEY}`, 'idempotency-key': 'logger-test' };
    await linesOf(() => trigger(headers));

    // Act
    const { raw, parsed } = await linesOf(() => trigger(headers));

    // Assert
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ message: 'flow triggered', replayed: true });
    expect(parsed[0]).not.toHaveProperty('cold_start');
    expect(Buffer.byteLength(`${raw[0]}\n`)).toBeLessThanOrEqual(250);
  });

  it('a rejected request writes one line with its status and reason, and never the key it carried', async () => {
    // Arrange
    const trigger = flowTrigger(newLogger());

    // Act
    const { raw, parsed } = await linesOf(() => trigger({ authorization: 'Bearer hf_wrong_key_never_logged' }));

    // Assert
    expect(parsed).toEqual([expect.objectContaining({ level: 'INFO', message: 'request rejected', statusCode: 401 })]);
    expect(raw.join('\n')).not.toContain('hf_wrong_key_never_logged');
  });

  it('at WARN a successful request writes nothing', async () => {
    // Arrange
    const trigger = flowTrigger(newLogger('WARN'));

    // Act
    const { raw } = await linesOf(() => trigger({ authorization: `Bearer ${API_KEY}` }));

    // Assert
    expect(raw).toEqual([]);
  });

  it('warnings and errors keep their detail: the error with its stack, and the X-Ray trace id', async () => {
    // Arrange
    const logger = newLogger();
    const previous = process.env._X_AMZN_TRACE_ID;
    process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

    // Act
    const { parsed } = await linesOf(async () => {
      logger.info('fine');
      logger.error('request failed', new Error('boom'));
    });
    if (previous === undefined) delete process.env._X_AMZN_TRACE_ID;
    else process.env._X_AMZN_TRACE_ID = previous;

    // Assert
    expect(parsed[0]).not.toHaveProperty('xray_trace_id');
    expect(parsed[1]).toMatchObject({
      level: 'ERROR',
      message: 'request failed',
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      error: { name: 'Error', message: 'boom', stack: expect.stringContaining('Error: boom') },
    });
  });
});

describe('executionNameOf', () => {
  it.each([
    ['a Standard execution', 'arn:aws:states:eu-west-1:123456789012:execution:Orders:run-1', 'run-1'],
    ['an Express execution', 'arn:aws:states:eu-west-1:123456789012:express:Hello:hf-1-abc:0b2a5f5e', 'hf-1-abc'],
    ['something else, whole', 'not-an-arn', 'not-an-arn'],
  ])('%s', (_, arn, name) => {
    expect(executionNameOf(arn)).toBe(name);
  });
});
