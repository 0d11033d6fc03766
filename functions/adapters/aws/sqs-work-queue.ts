import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { crashPoint } from '../../core/faults/crash-point';
import { QUEUE_MAX_DELAY_SECONDS, type QueueMessage, type WorkQueue } from '../../core/ports';
import type { CACHE_MIDDLEWARE, recordCalls, requestHandlerOptions } from './clients';
import type { cutShortAtDeadline } from './invocation-deadline';

/**
 * What the SQS client takes from ./clients.ts, handed in rather than imported: this module is also bundled into
 * a second file of its own (./sqs-fanout-queue.ts), which must not carry a copy of ./clients.ts and the DynamoDB
 * and Step Functions clients it imports.
 */
export interface SqsClientDeps {
  readonly requestHandlerOptions: typeof requestHandlerOptions;
  readonly recordCalls: typeof recordCalls;
  readonly cacheMiddleware: typeof CACHE_MIDDLEWARE;
  /** The handler's invocation deadline, which its SQS calls are cut short at too (./invocation-deadline.ts). */
  readonly cutShortAtDeadline: typeof cutShortAtDeadline;
}

/** A new SQS client, configured as every hookflow client (./clients.ts), recording its calls when asked to (tests). */
export function newSqsClient({
  requestHandlerOptions,
  recordCalls,
  cacheMiddleware,
  cutShortAtDeadline,
}: SqsClientDeps): SQSClient {
  return recordCalls(
    cutShortAtDeadline(
      new SQSClient({
        requestHandler: requestHandlerOptions(),
        cacheMiddleware,
        // Send to the configured (regional or AWS_ENDPOINT_URL_SQS) endpoint, not to the host inside a queue URL:
        // the fan-out queue is always in the function's own region.
        useQueueUrlAsEndpoint: false,
      }),
    ),
    'sqs',
  );
}

/**
 * SendMessageBatch takes 10 entries per call, and (on queues of any age) 256 KiB per call in total:
 * chunking to that keeps every call valid on every queue, including ones created before SQS allowed 1 MiB.
 */
export const SQS_BATCH_ENTRIES = 10;
export const SQS_BATCH_BYTES = 256 * 1024;
const PARALLEL_CALLS = 10;
const ATTEMPTS = 3;

/** The fan-out queue backed by SQS. */
export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async sendAll(messages: readonly QueueMessage[]): Promise<{ failedIds: readonly string[] }> {
    let pending = [...messages];
    for (let attempt = 1; attempt <= ATTEMPTS && pending.length > 0; attempt++) {
      if (attempt > 1) await this.sleep(50 * 2 ** attempt);
      const failed = new Set(await this.sendOnce(pending));
      pending = pending.filter((m) => failed.has(m.id));
    }
    return { failedIds: pending.map((m) => m.id) };
  }

  /** SendMessage with DelaySeconds; SQS refuses a value outside 0-900 (QUEUE_MAX_DELAY_SECONDS), so it is clamped. */
  async sendDelayed(message: QueueMessage, delaySeconds: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: message.body,
        DelaySeconds: Math.min(QUEUE_MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds))),
      }),
    );
  }

  /** One pass: every chunk sent, PARALLEL_CALLS at a time. Returns the ids that failed. */
  private async sendOnce(messages: readonly QueueMessage[]): Promise<string[]> {
    const chunks = chunk(messages);
    const failed: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const entries = chunks[next++]!;
        try {
          const output = await this.client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: entries.map((m) => ({ Id: m.id, MessageBody: m.body })),
            }),
          );
          for (const entry of output.Failed ?? []) if (entry.Id !== undefined) failed.push(entry.Id);
          crashPoint('batch-chunk-sent');
        } catch {
          failed.push(...entries.map((m) => m.id));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_CALLS, chunks.length) }, worker));
    return failed;
  }
}

/** Groups messages into SendMessageBatch calls: at most 10 entries and SQS_BATCH_BYTES of bodies each. */
export function chunk(messages: readonly QueueMessage[]): QueueMessage[][] {
  const chunks: QueueMessage[][] = [];
  let current: QueueMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body);
    if (current.length === SQS_BATCH_ENTRIES || (current.length > 0 && bytes + size > SQS_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
