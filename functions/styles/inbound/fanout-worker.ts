import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseJsonKeepingNumbers } from '../../core/json';
import { crashPoint } from '../../core/faults/crash-point';
import type { StartRun } from '../../core/runs/start-run';
import { UID_FINGERPRINT, fanoutMessageSchema } from './fanout-message';

export interface FanoutDeps {
  readonly startRun: StartRun;
  readonly logger: Logger;
}

/**
 * Starts the run of one queued batch item, deduped on its key: a message delivered twice (SQS is
 * at-least-once) or retried after a fault finds the claim and starts nothing new, and the execution name
 * derives from the key, so Standard workflows refuse a second run even if the claim was lost. Throwing
 * reports the record as failed: SQS redelivers it, and after a few attempts moves it to the dead-letter queue.
 */
export function makeFanoutRecordHandler(deps: FanoutDeps) {
  return async (record: SQSRecord): Promise<void> => {
    const parsed = fanoutMessageSchema.safeParse(parseJsonKeepingNumbers(record.body));
    if (!parsed.success) throw new Error(`message ${record.messageId} is not a fan-out message`);
    const message = parsed.data;
    const { run, replayed } = await deps.startRun({
      target: message.target,
      input: message.input,
      dedupe: { key: message.dedupeKey, fingerprint: UID_FINGERPRINT },
    });
    crashPoint('fanout-item-started');
    deps.logger.info('fan-out item started', {
      runRef: message.runRef,
      executionArn: run.executionArn,
      replayed,
      receiveCount: record.attributes.ApproximateReceiveCount,
    });
  };
}

/**
 * The SQS-triggered Lambda: Powertools' BatchProcessor runs the records in parallel and reports the failed
 * ones as batchItemFailures (the event source mapping has ReportBatchItemFailures on), so one bad record
 * never makes SQS redeliver the good ones.
 */
export function makeFanoutHandler(deps: FanoutDeps): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const handleRecord = makeFanoutRecordHandler(deps);
  const logged = async (record: SQSRecord) => {
    try {
      await handleRecord(record);
    } catch (error) {
      deps.logger.warn('fan-out item failed; SQS will redeliver it', {
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: error as Error,
      });
      throw error;
    }
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .handler((event, context) =>
      // A processor per invocation: it holds the batch's state, and the local stack may invoke concurrently.
      processPartialResponse(event, logged, new BatchProcessor(EventType.SQS), {
        context,
        throwOnFullBatchFailure: false,
      }),
    ) as unknown as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
}
