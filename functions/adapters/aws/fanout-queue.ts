import type { Config } from '../../core/config';
import { sqsClient } from './clients';
import { SqsWorkQueue } from './sqs-work-queue';

/**
 * The fan-out queue, for the handlers that send to it (inbound and its worker). Apart from wireAws
 * (./wiring.ts) so that no other handler's bundle reaches the SQS client: esbuild then leaves it out
 * (docs/performance.md, "Cold start"). Asking for it without FANOUT_QUEUE_URL fails the cold start, naming the
 * variable.
 */
export function fanoutQueue(config: Pick<Config, 'FANOUT_QUEUE_URL'>): SqsWorkQueue {
  if (config.FANOUT_QUEUE_URL === undefined)
    throw new Error('hookflow configuration is invalid: FANOUT_QUEUE_URL is not set');
  return new SqsWorkQueue(sqsClient(), config.FANOUT_QUEUE_URL);
}
