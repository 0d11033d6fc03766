import { createHash, randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LambdaTimedOutError, withinTimeout } from '../lambda-timeout';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface SqsEventSourceOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly functionName: string;
  readonly handler: SqsHandler;
  readonly context: (functionName: string, awsRequestId: string, timeoutMs?: number) => Context;
  /** The function's timeout (undefined: none); at most the queue's visibility timeout, as Lambda requires. */
  readonly timeoutMs?: number;
  /** The queue's visibility timeout, which Lambda checks the function's timeout against. */
  readonly visibilityTimeoutSeconds: number;
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
 *
 * The function's timeout, as Lambda's (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html):
 * - "Your function's timeout must be less than or equal to the queue's visibility timeout. Lambda validates this
 *   requirement when you create or update an event source mapping and will return an error": so does this, at start
 *   (else a batch would come back to another poller while its first invocation still runs);
 * - an invocation that runs past it fails, and "if Lambda encounters an error at any point while processing a
 *   batch, all messages in that batch return to the queue. After the visibility timeout, the messages become
 *   visible to Lambda again": the whole batch stays, whatever the function had done with it.
 */
export function startSqsEventSource(options: SqsEventSourceOptions): { stop(): Promise<void> } {
  const { timeoutMs, visibilityTimeoutSeconds } = options;
  if (timeoutMs !== undefined && timeoutMs > visibilityTimeoutSeconds * 1000) {
    throw new Error(
      `${options.functionName}'s timeout (${timeoutMs / 1000} s) exceeds the visibility timeout of ${options.queueUrl} (${visibilityTimeoutSeconds} s); Lambda refuses such an event source mapping`,
    );
  }
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
      const context = options.context(options.functionName, randomUUID(), timeoutMs);
      const response = await withinTimeout(options.handler({ Records: records }, context), timeoutMs);
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      if ([...failed].some((id) => !records.some((r) => r.messageId === id))) {
        // "Lambda treats a batch as a complete failure if your function returns … an empty string itemIdentifier,
        // a null itemIdentifier … an itemIdentifier value with a message ID that doesn't exist"
        // (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
        failed = new Set(records.map((r) => r.messageId));
      }
    } catch (error) {
      const what = error instanceof LambdaTimedOutError ? 'stopped at its timeout with' : 'failed';
      options.log?.(`${options.functionName} ${what} a batch of ${records.length}: ${(error as Error).message}`);
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
