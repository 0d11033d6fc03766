import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SQS_BATCH_BYTES, SqsWorkQueue, chunk } from '../../../functions/adapters/aws/sqs-work-queue';

const sqs = mockClient(SQSClient);
const messages = (n: number, size = 10) =>
  Array.from({ length: n }, (_, i) => ({ id: String(i), body: 'x'.repeat(size) }));
const noSleep = async () => undefined;

describe('SqsWorkQueue', () => {
  beforeEach(() => sqs.reset());

  it('chunks by 10 entries and by the per-call byte limit', () => {
    expect(chunk(messages(25)).map((c) => c.length)).toEqual([10, 10, 5]);
    const big = messages(5, Math.floor(SQS_BATCH_BYTES / 2) - 1);
    expect(chunk(big).map((c) => c.length)).toEqual([2, 2, 1]);
  });

  it('sends a delayed message with DelaySeconds kept inside the 0-900 s SQS accepts', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const queue = new SqsWorkQueue(new SQSClient({}), 'https://q', noSleep);

    await queue.sendDelayed({ id: 'a', body: '{"v":1}' }, 12.4);
    await queue.sendDelayed({ id: 'b', body: '{"v":1}' }, 5_000);

    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: 'https://q', MessageBody: '{"v":1}', DelaySeconds: 12 },
      { QueueUrl: 'https://q', MessageBody: '{"v":1}', DelaySeconds: 900 },
    ]);
  });

  it('sends 1,000 messages in 100 calls', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });

    const result = await new SqsWorkQueue(new SQSClient({}), 'https://q', noSleep).sendAll(messages(1000));

    expect(result.failedIds).toEqual([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(100);
  });

  it('retries the entries SQS failed, and reports the ones that never got through', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Failed: [
          { Id: '1', SenderFault: false, Code: 'InternalError' },
          { Id: '2', SenderFault: false, Code: 'InternalError' },
        ],
      })
      .resolvesOnce({ Failed: [{ Id: '2', SenderFault: false, Code: 'InternalError' }] })
      .resolves({ Failed: [{ Id: '2', SenderFault: false, Code: 'InternalError' }] });

    const result = await new SqsWorkQueue(new SQSClient({}), 'https://q', noSleep).sendAll(messages(3));

    expect(result.failedIds).toEqual(['2']);
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.map((e) => e.Id));
    expect(calls).toEqual([['0', '1', '2'], ['1', '2'], ['2']]);
  });

  it('treats a failed call as every entry in it failed', async () => {
    sqs.on(SendMessageBatchCommand).rejectsOnce(new Error('network')).resolves({ Failed: [] });

    const result = await new SqsWorkQueue(new SQSClient({}), 'https://q', noSleep).sendAll(messages(3));

    expect(result.failedIds).toEqual([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });
});
