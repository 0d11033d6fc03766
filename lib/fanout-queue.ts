import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * How many fan-out workers the queue's event source runs at once at most (its maximum concurrency). A reserved
 * concurrency on the worker must be at least this:
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html ("don't configure a maximum concurrency
 * higher than the function's reserved concurrency").
 */
export const FANOUT_MAX_CONCURRENCY = 20;

export interface FanoutQueueProps {
  /** The worker's timeout: the visibility timeout is six times it, as AWS advises for event sources. */
  readonly workerTimeout: Duration;
  /** Deliveries before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /**
   * Who hears of it when an item lands in the dead-letter queue, e.g. `[new SnsAction(topic)]`
   * (aws-cdk-lib/aws-cloudwatch-actions). What to do then: docs/construct.md, "When the dead-letter alarm fires".
   * @default - none: the alarm only changes state in the CloudWatch console, and nobody is told
   */
  readonly alarmActions?: readonly IAlarmAction[];
  /** Queues that already exist (HookflowProps.fanoutQueues), instead of two new ones. */
  readonly existing?: { readonly queue: IQueue; readonly deadLetterQueue: IQueue };
  /** A customer managed KMS key for new queues. @default - SQS managed encryption */
  readonly encryptionKey?: IKey;
}

/**
 * The queue inbound batches fan out through, its dead-letter queue (14 days to inspect and redrive), and an
 * alarm that fires as soon as anything lands there: a message in the DLQ is an accepted item that never ran.
 */
export class FanoutQueue extends Construct {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: FanoutQueueProps) {
    super(scope, id);
    const encryption =
      props.encryptionKey === undefined
        ? { encryption: QueueEncryption.SQS_MANAGED }
        : { encryption: QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey };
    if (props.existing !== undefined) {
      this.queue = props.existing.queue;
      this.deadLetterQueue = props.existing.deadLetterQueue;
    } else {
      const deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
        retentionPeriod: Duration.days(14),
        ...encryption,
        enforceSSL: true,
      });
      Validations.of(deadLetterQueue).acknowledge({
        // cfn-guard, Control Tower CT.SQS.PR.1 (every queue has a dead-letter queue).
        id: 'cdk-validator-cfnguard::sqs_dlq_check',
        reason:
          'This is the dead-letter queue. A dead-letter queue of its own would only move failed items further from the alarm that watches this one.',
      });
      this.deadLetterQueue = deadLetterQueue;
      this.queue = new Queue(this, 'Queue', {
        visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * 6),
        retentionPeriod: Duration.days(4),
        ...encryption,
        enforceSSL: true,
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
      });
    }
    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'hookflow: fan-out items failed every attempt and wait in the dead-letter queue',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm.addAlarmAction(...(props.alarmActions ?? []));
  }

  /** Makes `worker` the queue's consumer, reporting partial batch failures as the worker does. */
  addWorker(worker: IFunction): void {
    worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: FANOUT_MAX_CONCURRENCY,
      }),
    );
  }
}
