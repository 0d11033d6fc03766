import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseJsonKeepingNumbers } from '../../core/json';
import { crashPoint } from '../../core/faults/crash-point';
import { executionNameOf } from '../../core/runs/execution-name';
import type { StartRun, StartedRun } from '../../core/runs/start-run';
import { DomainError, EngineBusyError, type OutcomeKind } from '../../core/outcomes';
import { QUEUE_MAX_DELAY_SECONDS, type WorkQueue, type WorkflowEngine } from '../../core/ports';
import type { DeliveryLog } from '../../core/deliveries/log';
import type { DeliveryRecord, DeliveryRun } from '../../core/deliveries/record';
import {
  type FanoutMessage,
  UID_FINGERPRINT,
  encodeFanoutMessage,
  fanoutMessageSchema,
} from '../../core/runs/queued-start-message';

/**
 * What the fan-out worker does with each domain outcome of a start: this worker's edge map, as
 * functions/http/outcome-to-http.ts is the HTTP one. A duplicate is no outcome here: startRun answers it with
 * the first run (replayed), and the item is done. `retry`: the outcome is passing (the engine was busy,
 * another delivery of the item is still starting it), so the record is reported failed and SQS redelivers it
 * after its visibility timeout; a busy engine is first answered by a requeue (busyRequeueDelay below), which
 * spends none of the item's receives, and comes here once its requeues are used up. `fail`: the item cannot
 * start as it is; it is reported failed too (nothing accepted is dropped) and reaches the dead-letter queue
 * after its receives, logged as an error.
 */
export const FANOUT_DISPOSITION: Readonly<Record<OutcomeKind, 'retry' | 'fail'>> = {
  'engine-busy': 'retry',
  'in-progress': 'retry',
  'partial-failure': 'retry',
  'invalid-input': 'fail',
  unauthorized: 'fail',
  forbidden: 'fail',
  'not-found': 'fail',
  conflict: 'fail',
  duplicate: 'fail',
  gone: 'fail',
  'too-large': 'fail',
  'unsupported-content': 'fail',
  'key-reused': 'fail',
};

/** Errors that are no domain outcome (an SDK fault, a network error) are retried: they are usually passing. */
export function fanoutDisposition(error: unknown): 'retry' | 'fail' {
  return error instanceof DomainError ? FANOUT_DISPOSITION[error.kind] : 'retry';
}

export interface BusyRequeueSettings {
  /** FANOUT_BUSY_REQUEUES: how many times an item may be sent back because the engine was busy. */
  readonly maxRequeues: number;
  /** FANOUT_BUSY_BACKOFF_SECONDS: the first requeue's delay, doubled on each further one. */
  readonly backoffSeconds: number;
}

/**
 * When a busy item comes back (seconds), or undefined when it has used its requeues. Exponential backoff with
 * "equal jitter" (half fixed, half random, so a throttled batch does not come back as one wave), at least the
 * busy outcome's Retry-After (a start that may have happened holds its claim that long), at most SQS's 900 s.
 */
export function busyRequeueDelay(
  requeuesSoFar: number,
  retryAfterSeconds: number,
  settings: BusyRequeueSettings,
  random: () => number = Math.random,
): number | undefined {
  if (requeuesSoFar >= settings.maxRequeues) return undefined;
  const backoff = Math.min(QUEUE_MAX_DELAY_SECONDS, settings.backoffSeconds * 2 ** requeuesSoFar);
  const jittered = backoff / 2 + (random() * backoff) / 2;
  return Math.min(QUEUE_MAX_DELAY_SECONDS, Math.max(retryAfterSeconds, Math.ceil(jittered)));
}

export interface FanoutDeps {
  readonly startRun: StartRun;
  /** Starts a message that names its execution (`name`: a registered webhook's process). */
  readonly engine?: Pick<WorkflowEngine, 'start'>;
  readonly logger: Logger;
  /**
   * Where a busy item goes back to, delayed (the fan-out queue itself). Without it, a busy item is thrown
   * back to SQS like any passing failure, spending one of its receives.
   */
  readonly requeue?: { readonly queue: WorkQueue; readonly settings: BusyRequeueSettings };
  readonly random?: () => number;
  /** Where a queued request's record is marked started (docs/deliveries.md, "Queue when busy"). */
  readonly deliveries?: Pick<DeliveryLog, 'markStarted'>;
}

/**
 * The run has started: a failure to record it is logged, never thrown. Thrown, SQS would redeliver the message, and
 * an Express run's second start (ended by the run guard) has an ARN of its own, which would be recorded instead.
 */
async function markStarted(
  deps: FanoutDeps,
  deliveryId: string,
  run: DeliveryRun | undefined,
  rebuilt: DeliveryRecord | undefined,
): Promise<void> {
  try {
    const marked = await deps.deliveries!.markStarted(deliveryId, run, rebuilt);
    // Not marked: a claim carries the record (a start that may have happened), or a redelivery marked it already.
    if (!marked) deps.logger.info('queued delivery not marked started', { deliveryId });
  } catch (error) {
    deps.logger.warn('queued delivery started, but its record could not be marked', {
      deliveryId,
      error: error as Error,
    });
  }
}

/**
 * One message's start, as the style that queued it starts it. A named one (a registered webhook's process) asks for
 * its execution name: Standard executions are unique by name, and the engine answers a name already taken with that
 * run (sfn-engine.ts), so a start that may have happened before and the queued one are one run. The others go
 * through the run starter: deduped on the uid's claim, or named by their delivery.
 */
async function startMessage(deps: FanoutDeps, message: FanoutMessage): Promise<StartedRun> {
  if (message.name !== undefined) {
    if (deps.engine === undefined) throw new Error("a named fan-out message needs the worker's engine");
    const run = await deps.engine.start({ ...message.target, name: message.name, input: message.input });
    return { run, replayed: false };
  }
  return deps.startRun({
    target: message.target,
    input: message.input,
    ...(message.dedupeKey === undefined
      ? message.naming === undefined
        ? {}
        : { naming: message.naming }
      : message.fingerprint === undefined
        ? // The claim is the run record GET /inbound/runs/{runRef} reads: recorded, whatever the workflow type.
          { dedupe: { key: message.dedupeKey, fingerprint: UID_FINGERPRINT, recordRun: true } }
        : // Another style's claim (an event workflow's Idempotency-Key), as that style claims it.
          { dedupe: { key: message.dedupeKey, fingerprint: message.fingerprint } }),
  });
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
    let started;
    try {
      started = await startMessage(deps, message);
    } catch (error) {
      if (!(error instanceof EngineBusyError) || deps.requeue === undefined) throw error;
      const requeues = message.busyRequeues ?? 0;
      const delaySeconds = busyRequeueDelay(requeues, error.retryAfterSeconds, deps.requeue.settings, deps.random);
      if (delaySeconds === undefined) throw error;
      // A new message: it starts with no receives. If this send fails, the error below fails the record and
      // SQS redelivers the original. If the worker dies after the send, both copies run through startRun on
      // the same dedupe key (and execution name): one run.
      await deps.requeue.queue.sendDelayed(
        { id: record.messageId, body: encodeFanoutMessage({ ...message, busyRequeues: requeues + 1 }) },
        delaySeconds,
      );
      crashPoint('fanout-item-requeued');
      deps.logger.warn('fan-out item requeued: the engine is busy', {
        runRef: message.runRef,
        deliveryId: message.deliveryId,
        busyRequeues: requeues + 1,
        delaySeconds,
        error: error.message,
      });
      return;
    }
    const { run, replayed } = started;
    crashPoint('fanout-item-started');
    if (message.deliveryId !== undefined && deps.deliveries !== undefined) {
      // A named start's record names its runs already (every process of the webhook's delivery, when queued).
      await markStarted(
        deps,
        message.deliveryId,
        message.name === undefined
          ? { executionArn: run.executionArn, ...(message.runRef === undefined ? {} : { runRef: message.runRef }) }
          : undefined,
        // Written `started` if the handler died before writing it (a named start: with this process's run).
        message.record === undefined
          ? undefined
          : { ...message.record, runs: message.name === undefined ? [] : [{ executionArn: run.executionArn }] },
      );
    }
    const receives = record.attributes.ApproximateReceiveCount;
    deps.logger.info('fan-out item started', {
      ...(message.style === undefined ? {} : { style: message.style }),
      runRef: message.runRef,
      ...(message.deliveryId === undefined ? {} : { deliveryId: message.deliveryId }),
      execution: executionNameOf(run.executionArn),
      ...(replayed ? { replayed: true } : {}),
      ...(receives === '1' ? {} : { receiveCount: receives }),
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
      const context = {
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: error as Error,
      };
      if (fanoutDisposition(error) === 'retry') deps.logger.warn('fan-out item failed; SQS will redeliver it', context);
      else deps.logger.error('fan-out item cannot start; it goes to the dead-letter queue after its receives', context);
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
