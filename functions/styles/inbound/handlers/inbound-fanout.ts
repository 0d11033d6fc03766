/** Lambda entry: the fan-out queue's worker (SQS event source). Wiring only; see functions/styles/inbound. */
import { fanoutQueue } from '../../../adapters/aws/fanout-queue';
import { wireAws } from '../../../adapters/aws/wiring';
import { makeFanoutHandler } from '../fanout-worker';

const wired = wireAws();

export const handler = makeFanoutHandler({
  startRun: wired.ports.startRun,
  logger: wired.logger,
  deliveries: wired.ports.deliveryLog,
  // A busy engine sends the item back to this same queue, delayed, instead of spending its receives.
  requeue: {
    queue: fanoutQueue(wired.config),
    settings: {
      maxRequeues: wired.config.FANOUT_BUSY_REQUEUES,
      backoffSeconds: wired.config.FANOUT_BUSY_BACKOFF_SECONDS,
    },
  },
});
