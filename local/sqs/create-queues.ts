import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface FanoutQueues {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
}

/**
 * The fan-out queue and its dead-letter queue, as lib/fanout-queue.ts deploys them: after
 * `maxReceiveCount` deliveries a message moves to the DLQ. Idempotent: existing queues are reused.
 */
export async function createFanoutQueues(
  client: SQSClient,
  options: { name: string; maxReceiveCount: number; visibilityTimeoutSeconds: number },
): Promise<FanoutQueues> {
  const deadLetterQueueUrl = await ensureQueue(client, `${options.name}-dlq`, {});
  const queueUrl = await ensureQueue(client, options.name, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: await arnOf(client, deadLetterQueueUrl),
      maxReceiveCount: options.maxReceiveCount,
    }),
  });
  return { queueUrl, queueArn: await arnOf(client, queueUrl), deadLetterQueueUrl };
}

/** Creates the queue, or (kept from an earlier start, perhaps with other settings) updates it. */
async function ensureQueue(client: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  try {
    return (await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
  } catch (error) {
    if (!/QueueNameExists|QueueAlreadyExists/.test((error as Error).name)) throw error;
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
    await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    return QueueUrl!;
  }
}

async function arnOf(client: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes!.QueueArn!;
}
