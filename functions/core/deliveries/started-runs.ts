import { executionNameOf } from '../runs/execution-name';
import type { DeliveryOutcome, DeliveryRun } from './record';

/**
 * Queue when busy: how the fan-out worker's start of a queued run enters its delivery's record (docs/deliveries.md,
 * "Queue when busy"). One request may queue several starts (a CloudEvents delivery with several subscribers, an
 * inbound batch), each its own message, started in any order, each maybe redelivered: every start adds its run,
 * once. The DynamoDB adapter (functions/adapters/aws/dynamodb-delivery-log.ts) expresses this rule in one
 * conditional UpdateItem; the in-memory fake applies it as is.
 */

/**
 * What names a started run across redeliveries of its message: its runRef (an inbound item's), else its execution
 * name (a queued start's name is fixed before it is queued, and an Express run started again under the same name
 * has an ARN of its own but the same name), else its ARN.
 */
export function startedRunKey(run: DeliveryRun): string {
  if (run.runRef !== undefined) return `ref:${run.runRef}`;
  if (run.executionArn !== undefined) return `name:${executionNameOf(run.executionArn)}`;
  return 'unknown';
}

/** A record the worker may add a started run to: still queued, or already marked started by the worker. */
export function acceptsStartedRun(outcome: DeliveryOutcome, startedKeys: readonly string[] | undefined): boolean {
  return outcome === 'queued' || (outcome === 'started' && startedKeys !== undefined);
}

/**
 * The entry a run listed at queue time (by runRef, without an ARN yet) keeps until its start: the one the started
 * run replaces. Undefined when there is none.
 */
export function placeholderIndexOf(runs: readonly DeliveryRun[], run: DeliveryRun): number | undefined {
  if (run.runRef === undefined) return undefined;
  const index = runs.findIndex((listed) => listed.runRef === run.runRef && listed.executionArn === undefined);
  return index < 0 ? undefined : index;
}

/**
 * The record's runs and started keys once `run` has started; undefined when nothing changes (the record does not
 * accept it, or this run was added already: a redelivered message). The run goes last; its placeholder, if any,
 * goes (so the list never names one run twice).
 */
export function withStartedRun(
  record: { readonly outcome: DeliveryOutcome; readonly runs: readonly DeliveryRun[] },
  startedKeys: readonly string[] | undefined,
  run: DeliveryRun,
): { readonly runs: readonly DeliveryRun[]; readonly startedKeys: readonly string[] } | undefined {
  const key = startedRunKey(run);
  if (!acceptsStartedRun(record.outcome, startedKeys) || startedKeys?.includes(key) === true) return undefined;
  const placeholder = placeholderIndexOf(record.runs, run);
  const kept = placeholder === undefined ? record.runs : record.runs.filter((_, i) => i !== placeholder);
  return { runs: [...kept, run], startedKeys: [...(startedKeys ?? []), key] };
}
