import type { Config } from '../../core/config';
import type { WorkQueue } from '../../core/ports';
import { sqsClient, sqsClientDeps } from './clients';
import { SqsWorkQueue } from './sqs-work-queue';

/**
 * The fan-out queue, for the handlers that send to it. Apart from wireAws (./wiring.ts) so that no other
 * handler's bundle reaches the SQS client: esbuild then leaves it out (docs/performance.md, "Cold start").
 * Asking for it without FANOUT_QUEUE_URL fails the cold start, naming the variable.
 *
 * `fanoutQueue`: the SQS client in the handler's bundle, built with it, for inbound, whose batches go to the queue
 * on any request. `fanoutQueueWhenBusy`: loaded at the first send, for the handlers that send only when the engine
 * is busy (queue when busy: docs/deliveries.md) and the fan-out worker (a busy item goes back to the queue).
 */
export function fanoutQueue(config: Pick<Config, 'FANOUT_QUEUE_URL'>): SqsWorkQueue {
  return new SqsWorkQueue(sqsClient(), queueUrlOf(config));
}

function queueUrlOf(config: Pick<Config, 'FANOUT_QUEUE_URL'>): string {
  if (config.FANOUT_QUEUE_URL === undefined)
    throw new Error('hookflow configuration is invalid: FANOUT_QUEUE_URL is not set');
  return config.FANOUT_QUEUE_URL;
}

/**
 * The fan-out queue, its module and its SQS client loaded at the first send. The import path is the one the
 * bundling leaves external (lib/handler-bundling.ts `FANOUT_QUEUE.importPath`): deployed, it is compiled to
 * `require("./sqs-fanout-queue")`, which finds the second file beside index.js. A send that fails (the module
 * included) rejects as an SQS call would: a queued start then lets the engine's 503 stand
 * (functions/core/runs/keep-busy-start.ts), a requeue leaves the item to SQS's redelivery.
 */
export function fanoutQueueWhenBusy(config: Pick<Config, 'FANOUT_QUEUE_URL'>): WorkQueue {
  const queueUrl = queueUrlOf(config);
  let loaded: Promise<WorkQueue> | undefined;
  const queue = () =>
    (loaded ??= import('./sqs-fanout-queue').then(
      (module) => module.sqsFanoutQueue(sqsClientDeps(), queueUrl),
      (error: unknown) => {
        loaded = undefined; // tried again at the next send
        throw error;
      },
    ));
  return {
    sendAll: async (messages) => (await queue()).sendAll(messages),
    sendDelayed: async (message, delaySeconds) => (await queue()).sendDelayed(message, delaySeconds),
  };
}
