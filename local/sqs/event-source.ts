import { createHash, randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface SqsEventSourceOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly functionName: string;
  readonly handler: SqsHandler;
  readonly context: (functionName: string, awsRequestId: string) => Context;
  /** Records per invocation (Lambda's BatchSize). */
  readonly batchSize?: number;
  /** Concurrent pollers, each invoking the handler one batch at a time. */
  readonly concurrency?: number;
  readonly log?: (line: string) => void;
}

/**
 * Lambda's SQS event source mapping, with ReportBatchItemFailures, for the local stack: long-polls the
 * queue, invokes the handler with real SQS event records, and deletes the records that succeeded. Records
 * listed in batchItemFailures (or the whole batch, if the handler throws or names a record that is not in
 * it) stay on the queue, come back after the visibility timeout, and after the queue's maxReceiveCount go
 * to its dead-letter queue (fauxqs applies the redrive policy, as SQS does).
 */
export function startSqsEventSource(options: SqsEventSourceOptions): { stop(): Promise<void> } {
  const abort = new AbortController();
  const batchSize = options.batchSize ?? 10;

  const poll = async () => {
    while (!abort.signal.aborted) {
      let messages: Message[];
      try {
        ({ Messages: messages = [] } = await options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        ));
      } catch (error) {
        if (abort.signal.aborted) return;
        options.log?.(`polling ${options.queueUrl} failed: ${(error as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (messages.length > 0) await invoke(messages);
    }
  };

  const invoke = async (messages: Message[]) => {
    const records = messages.map((m) => toRecord(m, options.queueArn));
    let failed: Set<string>;
    try {
      const response = await options.handler({ Records: records }, options.context(options.functionName, randomUUID()));
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      if ([...failed].some((id) => !records.some((r) => r.messageId === id))) {
        failed = new Set(records.map((r) => r.messageId)); // as Lambda does: an unknown id fails the batch
      }
    } catch (error) {
      options.log?.(`${options.functionName} failed a batch of ${records.length}: ${(error as Error).message}`);
      failed = new Set(records.map((r) => r.messageId));
    }
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    for (let i = 0; i < done.length; i += 10) {
      await options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  };

  const pollers = Array.from({ length: options.concurrency ?? 2 }, () => poll());
  return {
    stop: async () => {
      abort.abort();
      await Promise.allSettled(pollers);
    },
  };
}

/** An SQS message as Lambda's event source mapping hands it to a function. */
function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId === undefined ? {} : { MessageGroupId: attributes.MessageGroupId }),
      ...(attributes.MessageDeduplicationId === undefined
        ? {}
        : { MessageDeduplicationId: attributes.MessageDeduplicationId }),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
          ...(value.BinaryValue === undefined
            ? {}
            : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody:
      message.MD5OfBody ??
      createHash('md5')
        .update(message.Body ?? '')
        .digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
  };
}
