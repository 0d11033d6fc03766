import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { fanoutQueueWhenBusy } from '../../../functions/adapters/aws/fanout-queue';

const sqs = mockClient(SQSClient);
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/hookflow-fanout';

/**
 * The fan-out queue the handlers that queue only when busy use (lib/handler-bundling.ts QUEUE_WHEN_BUSY_HANDLERS):
 * its module (a second file, deployed) and its SQS client are loaded at the first send, not at cold start.
 * test/infra/handler-bundling.test.ts runs the same through the built files.
 */
describe('fanoutQueueWhenBusy', () => {
  beforeEach(() => sqs.reset());

  it('fails the cold start without FANOUT_QUEUE_URL, naming the variable, as the eager queue does', () => {
    // Act
    const ask = () => fanoutQueueWhenBusy({ FANOUT_QUEUE_URL: undefined });
    // Assert
    expect(ask).toThrow('FANOUT_QUEUE_URL is not set');
  });

  it('sends a delayed message to the configured queue, as SqsWorkQueue does', async () => {
    // Arrange
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const queue = fanoutQueueWhenBusy({ FANOUT_QUEUE_URL: QUEUE_URL });
    // Act
    await queue.sendDelayed({ id: 'a', body: '{"v":1}' }, 12.4);
    await queue.sendDelayed({ id: 'b', body: '{"v":1}' }, 3);
    // Assert
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, MessageBody: '{"v":1}', DelaySeconds: 12 },
      { QueueUrl: QUEUE_URL, MessageBody: '{"v":1}', DelaySeconds: 3 },
    ]);
  });

  it('rejects a send SQS refuses, so that a queued start lets the engine 503 stand', async () => {
    // Arrange
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('throttled'), { name: 'RequestThrottled' }));
    const queue = fanoutQueueWhenBusy({ FANOUT_QUEUE_URL: QUEUE_URL });
    // Act
    const sent = queue.sendDelayed({ id: 'a', body: '{"v":1}' }, 1);
    // Assert
    await expect(sent).rejects.toThrow('throttled');
  });
});
