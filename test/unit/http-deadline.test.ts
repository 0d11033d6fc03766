import { Logger } from '@aws-lambda-powertools/logger';
import { invocationDeadline } from '../../functions/adapters/aws/invocation-deadline';
import {
  type Deadline,
  DELIVERY_ID_HEADER,
  httpHandler,
  RAN_OUT_OF_TIME,
  type Recording,
} from '../../functions/http/http-handler';
import { CREDENTIAL_HEADERS } from '../../functions/http/request';
import { httpEvent, testContext } from '../support/api-gateway-events';
import { InMemoryDeliveryLog } from '../support/in-memory-delivery-log';

/**
 * An HTTP handler answers before its Lambda timeout (functions/http/http-handler.ts, `Deadline`; docs/scale.md,
 * gap 9): ANSWER_RESERVE_MS before it, work still going gets 503 with Retry-After and the delivery is recorded,
 * where Lambda would have stopped the function and API Gateway answered a bare 500 with no record. The deadline
 * is the one the handlers are wired with (functions/adapters/aws/invocation-deadline.ts).
 */
describe('an HTTP handler at its deadline', () => {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const contextWith = (remainingMs: number) => {
    const endsAt = Date.now() + remainingMs;
    return { ...testContext, getRemainingTimeInMillis: () => endsAt - Date.now() };
  };
  const event = () => httpEvent({ path: '/flows/hello/trigger', body: '{"hello":"world"}' });
  const recordingTo = (log: InMemoryDeliveryLog): Recording => ({
    deps: { log, credentialHeaders: CREDENTIAL_HEADERS },
    settings: { retentionDays: 7, inlineBodyBytes: 4_096 },
  });
  const deadline = (reserveMs: number): Deadline => ({ reserveMs, within: invocationDeadline.within });
  /** Work that resolves its registration, then waits for ever (a call that never comes back). */
  const stuck = async (_event: unknown, delivery: { resolved(r: object): void }) => {
    delivery.resolved({ style: 'flow', registration: 'hello', record: true });
    return new Promise<never>(() => undefined);
  };

  it('answers 503 with Retry-After, its delivery id and the reason recorded, the reserve before the timeout', async () => {
    // Arrange
    const log = new InMemoryDeliveryLog();
    const handler = httpHandler({ logger, deadline: deadline(1_000) }, stuck, recordingTo(log));
    const startedAt = Date.now();

    // Act
    const answer = await handler(event(), contextWith(1_400));

    // Assert
    const tookMs = Date.now() - startedAt;
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body!)).toEqual({ error: RAN_OUT_OF_TIME });
    expect(answer.headers).toMatchObject({ 'retry-after': '1' });
    expect(tookMs).toBeGreaterThanOrEqual(390);
    expect(tookMs).toBeLessThan(1_000);
    const id = String(answer.headers![DELIVERY_ID_HEADER]);
    expect(log.records.get(id)).toMatchObject({ id, status: 503, reason: 'ran out of time' });
  });

  it('answers as the work does when it ends before the deadline', async () => {
    // Arrange
    const handler = httpHandler({ logger, deadline: deadline(1_000) }, async () => ({ statusCode: 202, body: '{}' }));

    // Act
    const answer = await handler(event(), contextWith(1_400));

    // Assert
    expect(answer.statusCode).toBe(202);
  });

  it.each([
    ['the reserve is 0 (no deadline)', 0, 600],
    ['the reserve leaves no time', 1_000, 600],
    ['no deadline is wired', undefined, 600],
  ])('lets the work run on when %s', async (_case, reserveMs, remainingMs) => {
    // Arrange: work that takes longer than the time left before the deadline would be
    const slow = async () => {
      await new Promise((done) => setTimeout(done, 300));
      return { statusCode: 202, body: '{}' };
    };
    const deps = reserveMs === undefined ? { logger } : { logger, deadline: deadline(reserveMs) };
    const handler = httpHandler(deps, slow);

    // Act
    const answer = await handler(event(), contextWith(remainingMs));

    // Assert
    expect(answer.statusCode).toBe(202);
  });
});
