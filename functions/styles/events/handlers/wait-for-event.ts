/**
 * Lambda entry: the wait task of `hookflow:WaitForEvent` / lib/wait-for-event.ts invokes it with
 * `.waitForTaskToken`. Wiring only; the rules live in functions/styles/events/wait-for-event.ts.
 */
import { wireAws } from '../../../adapters/aws/wiring';
import { makeWaitForEventHandler } from '../wait-for-event';

const { config, logger, ports } = wireAws();

export const handler = makeWaitForEventHandler({
  waits: ports.waits,
  engine: ports.engine,
  logger,
  graceSeconds: config.WAIT_ITEM_GRACE_SECONDS,
  // An unanswered resume is sent again only until ANSWER_RESERVE_MS before the Lambda timeout: the reserve is for
  // giving the early callback back.
  deadline: ports.deadline,
});
