/**
 * Lambda entry: the fan-out queue's worker (SQS event source): inbound batch items, and the starts any style queued
 * while the engine was busy. Wiring only; see functions/styles/inbound.
 */
import { fanoutQueueWhenBusy } from '../../../adapters/aws/fanout-queue';
import { wireAws } from '../../../adapters/aws/wiring';
import { makeFanoutHandler } from '../fanout-worker';

const wired = wireAws();

export const handler = makeFanoutHandler({
  startRun: wired.ports.startRun,
  // A registered webhook's queued process names its execution: started as is (functions/core/runs/queued-start-message.ts).
  engine: wired.ports.engine,
  logger: wired.logger,
  deliveries: wired.ports.deliveryLog,
  // A busy engine sends the item back to this same queue, delayed, instead of spending its receives.
  requeue: {
    queue: fanoutQueueWhenBusy(wired.config),
    settings: {
      maxRequeues: wired.config.FANOUT_BUSY_REQUEUES,
      backoffSeconds: wired.config.FANOUT_BUSY_BACKOFF_SECONDS,
    },
  },
});
