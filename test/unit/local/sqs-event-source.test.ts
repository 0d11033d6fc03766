import {
  DeleteMessageBatchCommand,
  type DeleteMessageBatchCommandInput,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context, SQSEvent } from 'aws-lambda';
import { lambdaContext } from '../../../local/gateway/api-gateway-event';
import { type SqsHandler, startSqsEventSource } from '../../../local/sqs/event-source';

/**
 * The local SQS event source keeps the worker's Lambda timeout as Lambda's event source mapping does
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html, cited in local/sqs/event-source.ts):
 * it refuses a timeout longer than the queue's visibility timeout, and a batch whose invocation runs past the
 * timeout fails whole: nothing of it is deleted, so every message comes back after the visibility timeout.
 */
describe('the local SQS event source: the function timeout and partial batch responses', () => {
  const sqs = mockClient(SQSClient);
  const client = new SQSClient({ region: 'us-east-1' });
  const queue = {
    queueUrl: 'http://127.0.0.1:9/000000000000/work',
    queueArn: 'arn:aws:sqs:us-east-1:000000000000:work',
  };
  const stops: (() => Promise<void>)[] = [];

  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    sqs.reset();
  });

  /** One batch of `ids`, then empty polls; resolves with the deletes once the handler has had the batch. */
  function queueOf(ids: readonly string[]) {
    let served = false;
    sqs.on(ReceiveMessageCommand).callsFake(async () => {
      if (served) {
        await new Promise((r) => setTimeout(r, 20));
        return { Messages: [] };
      }
      served = true;
      return { Messages: ids.map((id) => ({ MessageId: id, ReceiptHandle: `rh-${id}`, Body: `{"id":"${id}"}` })) };
    });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  }
  const deleted = () =>
    sqs
      .commandCalls(DeleteMessageBatchCommand)
      .flatMap((call) => (call.args[0].input as DeleteMessageBatchCommandInput).Entries!.map((e) => e.ReceiptHandle));

  function start(handler: SqsHandler, timeoutMs: number | undefined, log: string[] = []) {
    const source = startSqsEventSource({
      client,
      ...queue,
      functionName: 'hookflow-worker',
      handler,
      context: lambdaContext,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      visibilityTimeoutSeconds: 1,
      concurrency: 1,
      log: (line) => log.push(line),
    });
    stops.push(() => source.stop());
  }
  const until = async (done: () => boolean) => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('refuses a function timeout longer than the queue visibility timeout, as Lambda refuses the mapping', () => {
    // Arrange
    const handler: SqsHandler = async () => undefined;

    // Act
    const starting = () => start(handler, 1_001);

    // Assert
    expect(starting).toThrow(
      "hookflow-worker's timeout (1.001 s) exceeds the visibility timeout of http://127.0.0.1:9/000000000000/work (1 s); Lambda refuses such an event source mapping",
    );
  });

  it('deletes a batch that answers within the timeout; its context counts down from the timeout', async () => {
    // Arrange
    queueOf(['a', 'b']);
    const remaining: number[] = [];
    const handler: SqsHandler = async (_event: SQSEvent, context: Context) => {
      remaining.push(context.getRemainingTimeInMillis());
    };

    // Act
    start(handler, 500);
    await until(() => deleted().length === 2);

    // Assert
    expect(deleted()).toEqual(['rh-a', 'rh-b']);
    expect(remaining[0]).toBeGreaterThan(0);
    expect(remaining[0]).toBeLessThanOrEqual(500);
  });

  it('leaves the whole batch on the queue when the invocation runs past its timeout', async () => {
    // Arrange
    queueOf(['a', 'b']);
    const log: string[] = [];
    let finished = false;
    const handler: SqsHandler = async () => {
      await new Promise((r) => setTimeout(r, 300));
      finished = true;
      return { batchItemFailures: [] };
    };

    // Act
    start(handler, 100, log);
    await until(() => finished);
    await new Promise((r) => setTimeout(r, 50));

    // Assert: it would have reported every record done, but Lambda had stopped it by then.
    expect(log).toContain(
      'hookflow-worker stopped at its timeout with a batch of 2: Task timed out after 0.10 seconds',
    );
    expect(deleted()).toEqual([]);
  });

  it('deletes all but the records batchItemFailures names (ReportBatchItemFailures)', async () => {
    // Arrange
    queueOf(['a', 'b', 'c']);
    let handled = false;
    const handler: SqsHandler = async () => {
      handled = true;
      return { batchItemFailures: [{ itemIdentifier: 'b' }] };
    };

    // Act
    start(handler, 500);
    await until(() => deleted().length === 2);

    // Assert
    expect(handled).toBe(true);
    expect(deleted()).toEqual(['rh-a', 'rh-c']);
  });

  it('leaves the whole batch when batchItemFailures names a record that is not in it', async () => {
    // Arrange
    queueOf(['a', 'b']);
    let handled = false;
    const handler: SqsHandler = async () => {
      handled = true;
      return { batchItemFailures: [{ itemIdentifier: 'not-in-the-batch' }] };
    };

    // Act
    start(handler, 500);
    await until(() => handled);
    await new Promise((r) => setTimeout(r, 50));

    // Assert
    expect(deleted()).toEqual([]);
  });

  it('without a timeout, waits for the batch however long it takes', async () => {
    // Arrange
    queueOf(['a']);
    const handler: SqsHandler = async () => {
      await new Promise((r) => setTimeout(r, 150));
    };

    // Act
    start(handler, undefined);
    await until(() => deleted().length === 1);

    // Assert
    expect(deleted()).toEqual(['rh-a']);
  });
});
