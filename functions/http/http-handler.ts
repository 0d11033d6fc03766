import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DomainError } from '../core/outcomes';
import { newDeliveryId } from '../core/deliveries/ids';
import {
  type Delivery,
  type RecorderDeps,
  type RecorderSettings,
  newDelivery,
  recordDelivery,
} from '../core/deliveries/recorder';
import { httpAnswerOf } from './outcome-to-http';
import { errorResponse } from './responses';
import { eventBodyBytes } from './request';

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** The header every answer carries: the request's delivery id (docs/deliveries.md). */
export const DELIVERY_ID_HEADER = 'hookflow-delivery-id';

/**
 * Answering before Lambda's timeout (docs/scale.md, gap 9; wired by functions/adapters/aws/wiring.ts as
 * ports.deadline, the AWS calls' side in functions/adapters/aws/invocation-deadline.ts).
 */
export interface Deadline {
  /**
   * ANSWER_RESERVE_MS: how long before its Lambda timeout a request stops waiting on its work and is answered 503
   * with Retry-After; the time left to record the delivery and answer. 0: no deadline.
   */
  readonly reserveMs: number;
  /**
   * Runs `work` with every AWS call it makes cut short at `atMs` (epoch ms): its result, or `{ done: false }` once
   * the deadline has come first (the work's outcome is then dropped).
   */
  within<T>(atMs: number, work: () => Promise<T>): Promise<{ done: true; value: T } | { done: false }>;
}

/**
 * When an invocation's work must stop (epoch ms): `reserveMs` before Lambda's end for it, `endsAt`. None where no
 * deadline is wired or it is off (0). The HTTP handlers answer there; the wait-for-event function stops sending an
 * unanswered resume again there (functions/styles/events/wait-for-event.ts).
 */
export function deadlineAt(deadline: Pick<Deadline, 'reserveMs'> | undefined, endsAt: number): number | undefined {
  return deadline === undefined || deadline.reserveMs === 0 ? undefined : endsAt - deadline.reserveMs;
}

/** What every HTTP handler is built with: its logger and, where its AWS calls can be cut short, its deadline. */
export interface HttpHandlerDeps {
  readonly logger: Logger;
  readonly deadline?: Deadline;
}

/** The answer to a request whose work did not end before its deadline (above). */
export const RAN_OUT_OF_TIME =
  'the request ran out of time before the workflow engine or store answered; retry shortly (with the same Idempotency-Key, if it had one)';

/** How long the time left after the deadline may be used to record the delivery: the rest is for answering. */
const ANSWER_MARGIN_MS = 100;

/** What a handler records its deliveries with (wired by functions/adapters/aws/wiring.ts). */
export interface Recording {
  readonly deps: Omit<RecorderDeps, 'logger'>;
  readonly settings: RecorderSettings;
  readonly now?: () => number;
}

/**
 * Wraps a style's request handling in the middleware every route shares: the Lambda context in every log
 * line, and domain outcomes turned into `{ "error": ... }` answers by outcome-to-http.ts, which expose their message; anything
 * else is logged with its stack and answered with a generic 500 that carries only the request id.
 *
 * Deliveries (docs/deliveries.md): every request gets a delivery id at receipt, and every answer, 500 included,
 * carries it in `Hookflow-Delivery-Id`. The style reports into the `Delivery` it is handed (the registration it
 * resolved, the runs it started); once the answer is known and `recording` is wired, the record is written
 * (functions/core/deliveries/recorder.ts holds the rules), before the answer leaves: Lambda freezes what runs after.
 */
export function httpHandler(
  { logger, deadline }: HttpHandlerDeps,
  handle: (event: APIGatewayProxyEventV2, delivery: Delivery) => Promise<APIGatewayProxyStructuredResultV2>,
  recording?: Recording,
): HttpHandler {
  const now = recording?.now ?? Date.now;
  const answered = async (event: APIGatewayProxyEventV2, context: Context) => {
    const receivedAtMs = now();
    const delivery = newDelivery(
      {
        id: newDeliveryId(receivedAtMs),
        receivedAtMs,
        method: event.requestContext?.http?.method ?? 'POST',
        path: event.rawPath ?? '',
        headers: event.headers ?? {},
        // Decoded only where it may be kept (a handler that records): up to 5 MB copied for nothing otherwise.
        rawBody: recording === undefined ? Buffer.alloc(0) : eventBodyBytes(event),
      },
      recording,
    );
    let answer: APIGatewayProxyStructuredResultV2;
    let reason: string | undefined;
    // Lambda's end for this invocation; no deadline where none is wired, it is off (0), or there is no room left.
    const endsAt = Date.now() + (context.getRemainingTimeInMillis?.() ?? 0);
    const stopAt = deadlineAt(deadline, endsAt);
    const timed = stopAt !== undefined && stopAt > Date.now();
    let ranOut = false;
    try {
      const outcome = timed
        ? await deadline!.within(stopAt!, () => handle(event, delivery))
        : { done: true as const, value: await handle(event, delivery) };
      if (outcome.done) answer = outcome.value;
      else {
        // Lambda would stop the function at its timeout and API Gateway answer a bare 500; the work's calls
        // were cut short at the deadline, and whatever it had done is what a call that got no answer leaves.
        ranOut = true;
        reason = 'ran out of time';
        answer = errorResponse(503, RAN_OUT_OF_TIME, { 'retry-after': '1' });
        logger.warn('request ran out of time', { reserveMs: deadline!.reserveMs });
      }
    } catch (error) {
      if (error instanceof DomainError) {
        answer = httpAnswerOf(error);
        reason = error.message;
        logger.info('request rejected', { statusCode: answer.statusCode, reason: error.message });
      } else {
        logger.error('request failed', error as Error);
        reason = 'internal error';
        answer = errorResponse(500, `internal error; quote request id ${context.awsRequestId} when reporting it`);
      }
    }
    answer = { ...answer, headers: { ...answer.headers, [DELIVERY_ID_HEADER]: delivery.id } };
    if (recording !== undefined) {
      const record = () =>
        recordDelivery(
          delivery,
          { status: answer.statusCode ?? 200, ...(reason === undefined ? {} : { reason }) },
          { ...recording.deps, logger },
          recording.settings,
        );
      if (!ranOut) await record();
      // After the deadline, within what is left of the invocation: the answer goes out either way.
      else if (!(await deadline!.within(endsAt - ANSWER_MARGIN_MS, record)).done) {
        logger.warn('delivery not recorded: out of time');
      }
    }
    return answer;
  };
  return withLambdaContext(logger, answered);
}

/**
 * The Lambda context in every log line of the invocation, and the logger's per-invocation state reset after it:
 * what Powertools' `injectLambdaContext` does, as its method decorator does it (`Logger.injectLambdaContext` in
 * @aws-lambda-powertools/logger: `refreshSampleRateCalculation`, `addContext`, `logEventIfEnabled`, then
 * `resetKeys` and `clearBuffer` however the invocation ends), with the Logger's own public methods
 * (https://docs.powertools.aws.dev/lambda/typescript/latest/features/logger/, "Capturing Lambda context info").
 * It was the same middleware run by middy, whose runner costs each request more than the middleware: a request
 * object, its plugin hooks, an AbortController, and (as a Lambda context has getRemainingTimeInMillis) a timer
 * and a Promise.race to throw a TimeoutError 5 ms before Lambda's own timeout, which nothing here caught (it
 * reached Lambda as an invocation error, as the timeout itself does). Measured in docs/performance.md, "CPU per
 * request".
 */
export function withLambdaContext<E, R>(
  logger: Logger,
  handle: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    logger.refreshSampleRateCalculation();
    logger.addContext(context);
    logger.logEventIfEnabled(event);
    try {
      return await handle(event, context);
    } finally {
      logger.resetKeys();
      logger.clearBuffer();
    }
  };
}
