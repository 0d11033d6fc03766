import { newSqsClient, type SqsClientDeps, SqsWorkQueue } from './sqs-work-queue';

/**
 * The fan-out queue as the handlers that send to it only when the engine is busy load it: at their first busy
 * start, not at cold start (./fanout-queue.ts, `fanoutQueueWhenBusy`). In a deployed handler this module is a
 * second file beside index.js (`sqs-fanout-queue.js`: `FANOUT_QUEUE` in lib/handler-bundling.ts), bundled on its
 * own, so that V8 does not read, pre-parse and run the SQS client at every cold start of a handler whose requests
 * almost never use it (docs/performance.md, "Cold start"). A second bundle has its own copy of every module it
 * imports, so what it takes from the handler's bundle comes in ({@link SqsClientDeps}); the copies it does carry
 * (./sqs-work-queue.ts, functions/core/ports.ts' delay limit, functions/core/faults/crash-point.ts, whose only
 * point reached here is this module's own `batch-chunk-sent`) hold no class the handler checks with `instanceof`
 * (test/infra/handler-bundling.test.ts checks the list).
 */
export function sqsFanoutQueue(deps: SqsClientDeps, queueUrl: string): SqsWorkQueue {
  return new SqsWorkQueue(newSqsClient(deps), queueUrl);
}
