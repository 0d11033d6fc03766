import { isExpired } from '../runs/dedupe-claim';
import { dedupeExpiryOf, executionNameOf } from '../runs/execution-name';
import { executionNameOfRunGuard } from '../runs/run-guard';
import type { DeliveryRecord, DeliveryRun } from './record';

/**
 * The runs of a record a guarded claim carries (docs/deliveries.md, "Records"): a claim for a guarded Express
 * workflow is the request's one write (functions/core/runs/run-guard.ts), so the record it carries cannot hold the
 * run's ARN, which AWS picks when the run starts. It holds the run guard's item instead (`runGuard`), which the run
 * writes as it begins, and the log reads that item whenever it hands out the record: `get` and `list` alike, so
 * every reader (the deliveries API's show, list and replay) sees the run as a recorded one. The DynamoDB log and the
 * in-memory fake both apply these two rules.
 */

/** The run guard items `records` wait on, each once (a page of a list asks for them together). */
export function runGuardsOf(records: readonly Pick<DeliveryRecord, 'runs'>[]): string[] {
  const keys = new Set<string>();
  for (const record of records) {
    for (const run of record.runs)
      if (run.runGuard !== undefined && run.executionArn === undefined) keys.add(run.runGuard);
  }
  return [...keys];
}

/**
 * The record as it reads at `nowMs`: each run named by its guard becomes that run (`executionArn`, from `named`:
 * guard item key to the execution ARN it holds). A guard item that is missing means one of two things, told apart
 * by the claim's dedupe window, which the run's name carries (`hf-<expiry>-…`, runs/execution-name.ts):
 * - within the window, the execution has not reached its guard yet: the run is left out, so the record reads as its
 *   claim wrote it (`started`, no run yet), as it read before the run was recorded;
 * - after it, the item is gone (its DynamoDB TTL is that expiry, workflows/express-run-guard.ts) while the record is
 *   kept longer (DELIVERY_RETENTION_DAYS): the claim was answered 202 and its run began, so the run reads by its
 *   execution name (`executionName`), the one its log lines carry (docs/construct.md, "Logs"). Its ARN cannot be
 *   rebuilt: an Express execution's ARN ends with an id AWS picks.
 * The name's expiry is the claim's own (runs/dedupe-claim.ts `runNameOf`), which every version of the code derives
 * the same way, so a rollback never names a claim's run differently.
 */
export function withGuardedRuns<T extends Pick<DeliveryRecord, 'runs'>>(
  record: T,
  named: ReadonlyMap<string, string>,
  nowMs: number,
): T {
  if (!record.runs.some((run) => run.runGuard !== undefined)) return record;
  // A run the record also lists by its ARN (a queued start the fan-out worker added once it began: its name is the
  // claim's, core/deliveries/started-runs.ts) is that run: listed once.
  const listed = new Set(
    record.runs.flatMap((run) => (run.executionArn === undefined ? [] : [executionNameOf(run.executionArn)])),
  );
  const runs = record.runs.flatMap((run): DeliveryRun[] => {
    if (run.runGuard === undefined) return [run];
    if (run.executionArn === undefined && listed.has(executionNameOfRunGuard(run.runGuard))) return [];
    const { runGuard, ...rest } = run;
    const executionArn = rest.executionArn ?? named.get(runGuard);
    if (executionArn !== undefined) return [{ ...rest, executionArn }];
    const executionName = executionNameOfRunGuard(runGuard);
    const windowEnd = dedupeExpiryOf(executionName);
    return windowEnd !== undefined && isExpired({ expiresAt: windowEnd }, nowMs) ? [{ ...rest, executionName }] : [];
  });
  return { ...record, runs };
}
