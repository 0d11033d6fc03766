import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DedupeRecord, DedupeStore, RunHandle, WorkflowEngine, WorkflowType } from '../ports';
import { EngineBusyError, InProgressError, KeyReusedError, nothingStarted } from '../outcomes';
import { crashPoint } from '../faults/crash-point';
import { executionNameFor, randomExecutionName } from './execution-name';
import { runNameOf, startedRunOf } from './dedupe-claim';
import { guardingStateMachine } from './run-guard';
import { type Clock } from '../clock';
import type { DeliveryRecord } from '../deliveries/record';

export interface RunTarget {
  readonly stateMachineArn: string;
  readonly workflowType: WorkflowType;
  /** WorkflowTarget.runGuarded: an Express workflow whose run guard records a deduped run (./run-guard.ts). */
  readonly runGuarded?: true;
}

export interface DedupeRequest {
  /** Scoped by the caller (style, tenant, key id) so that two callers' keys never collide. */
  readonly key: string;
  /** Hash of what makes the request this request (its body): the same key with another body is refused. */
  readonly fingerprint: string;
  /**
   * Record the started run on the claim even for a Standard workflow (a second write), because something other
   * than a duplicate reads the run off the claim without access to Step Functions: inbound's
   * GET /inbound/runs/{runRef} and its resent-batch DUPLICATE answers.
   */
  readonly recordRun?: boolean;
  /**
   * The request's delivery record, for the claim to carry (docs/deliveries.md: the claim is the record): `carried`
   * is told whether the claim holds it when the start ends (true once claimed with it; false again if the claim was
   * released, or when the request turned out a duplicate), so the recorder writes a record only when none is held.
   */
  readonly delivery?: { readonly record: DeliveryRecord; carried(byClaim: boolean): void };
  /**
   * Queue when busy (docs/deliveries.md): a start the busy engine refused keeps its claim instead of releasing it,
   * so the run's name (derived from the claim) is fixed now. The start queued for later takes the claim over once
   * its lease ends, under that same name, as a sender's retry would: the EngineBusyError names the run (`runName`)
   * and asks to wait out the lease (`retryAfterSeconds`).
   */
  readonly keepClaimWhenBusy?: boolean;
}

/**
 * What names an unkeyed run whose start may be tried twice (docs/deliveries.md, "Queue when busy": the request's own
 * start and, if the engine was busy, the queued one): its delivery, as `dlv#<id>`, and when it was received.
 */
export interface RunNaming {
  readonly key: string;
  readonly createdAt: number;
}

export interface StartRunRequest {
  readonly target: RunTarget;
  readonly input: unknown;
  readonly dedupe?: DedupeRequest;
  /**
   * An unkeyed start (no `dedupe`) under a deterministic name instead of a random one: derived as a claim's is, so
   * that a second start of the same delivery is refused as a claim's retry is (Standard: ExecutionAlreadyExists,
   * which the engine adapter answers with that run; Express: the run guard ends it as Hookflow.DuplicateRun).
   * StartExecution: "An execution can't use the name of another execution for 90 days"; a second call with the same
   * name starts nothing and answers ExecutionAlreadyExists (or the open run itself, for an identical input):
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
   */
  readonly naming?: RunNaming;
}

export interface StartedRun {
  readonly run: RunHandle;
  /** True when this request repeated an earlier one and got that one's run. */
  readonly replayed: boolean;
}

export interface RunStarterSettings {
  readonly dedupeTtlSeconds: number;
  /** How long a duplicate waits for the first request to record its run. */
  readonly dedupeWaitMs: number;
  /** After this long without a recorded run, a claim's owner is presumed dead and the claim is taken over. */
  readonly dedupeLeaseMs: number;
  /** How often a waiting duplicate re-reads the claim. */
  readonly pollIntervalMs?: number;
}

export interface RunStarterDeps {
  readonly engine: WorkflowEngine;
  readonly dedupe: DedupeStore;
  readonly logger: Logger;
  readonly now?: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type StartRun = (request: StartRunRequest) => Promise<StartedRun>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The heart of every style: dedupe, then start. Without a dedupe key it is one StartExecution. With one,
 * a single conditional write claims the key; the winner starts the run; every duplicate answers with that
 * same run (waiting briefly if the winner is still starting it). For a Standard workflow that is all: the claim
 * named the run's execution ARN (state machine ARN + the name derived from the claim), and a duplicate asks
 * Step Functions whether it exists. For an Express workflow AWS adds a random id to the ARN: a guarded one
 * (./run-guard.ts) names its run on the guard's item as it begins, which a duplicate reads; for any other the
 * winner records the run on the claim with a second write (docs/aws-calls.md says why).
 * If the start fails, the claim is released so the caller's retry can succeed: nothing half-accepted.
 */
export function makeRunStarter(deps: RunStarterDeps, settings: RunStarterSettings): StartRun {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const pollIntervalMs = settings.pollIntervalMs ?? 50;

  return async ({ target, input, dedupe, naming }) => {
    if (dedupe === undefined) {
      const name =
        naming === undefined
          ? randomExecutionName()
          : executionNameFor(
              naming.key,
              naming.createdAt,
              Math.floor(naming.createdAt / 1000) + settings.dedupeTtlSeconds,
            );
      try {
        const run = await deps.engine.start({ ...target, name, input });
        return { run, replayed: false };
      } catch (error) {
        // Named by its delivery, the run's name is fixed: a busy answer says which it will be.
        throw naming !== undefined && error instanceof EngineBusyError ? error.naming(name) : error;
      }
    }

    const owner = randomUUID();
    // A guarded Express run names itself on the guard's item (./run-guard.ts): the claim is the one write, unless
    // something reads the run off the claim itself (recordRun). A delivery record the claim carries names that item
    // as its run, and the log reads it there (core/deliveries/guarded-runs.ts, docs/deliveries.md).
    const guardedBy = dedupe.recordRun === true ? undefined : guardingStateMachine(target);
    const runOf = (record: DedupeRecord) => startedRunOf(record, deps.engine, deps.dedupe);
    const claim = await deps.dedupe.claim(
      {
        key: dedupe.key,
        fingerprint: dedupe.fingerprint,
        owner,
        now: now(),
        leaseMs: settings.dedupeLeaseMs,
        ttlSeconds: settings.dedupeTtlSeconds,
        ...(target.workflowType === 'STANDARD' && dedupe.recordRun !== true
          ? { standardStateMachineArn: target.stateMachineArn }
          : {}),
        ...(guardedBy === undefined ? {} : { guardedStateMachineArn: guardedBy }),
        ...(dedupe.delivery === undefined ? {} : { delivery: dedupe.delivery.record }),
      },
      runOf,
    );

    if (claim.outcome === 'duplicate') {
      if (claim.record.fingerprint !== dedupe.fingerprint) {
        throw new KeyReusedError('this idempotency key was already used with a different request body');
      }
      return { run: await awaitStartedRun(claim.record), replayed: true };
    }

    // A take-over keeps the first claimant's record: this request's own is written apart.
    dedupe.delivery?.carried(claim.record.delivery?.id === dedupe.delivery.record.id);
    crashPoint('dedupe-claimed');
    const name = runNameOf(claim.record);
    let run: RunHandle;
    try {
      run = await deps.engine.start({ ...target, name, input });
      crashPoint('run-started');
    } catch (error) {
      const leaseSeconds = Math.max(1, Math.ceil(settings.dedupeLeaseMs / 1000));
      if (!nothingStarted(error)) {
        // The engine did not answer: the run may exist. Releasing would let the retry claim afresh, under a new
        // execution name, and start it twice. The claim stays; once its lease runs out the retry takes it over
        // with the same createdAt, so the same name: Standard answers ExecutionAlreadyExists (and hookflow reads
        // that run), Express's run guard ends the second one as Hookflow.DuplicateRun.
        throw new EngineBusyError(
          'the workflow engine did not confirm the start; the run may have started. Retry after Retry-After seconds: the same request finds it, and never starts it twice',
          { mayHaveStarted: true, retryAfterSeconds: leaseSeconds, runName: name },
        );
      }
      if (dedupe.keepClaimWhenBusy === true && error instanceof EngineBusyError) {
        // Kept for a queued start: the claim (and its name) stays, as when the start may have happened.
        throw new EngineBusyError(error.message, { retryAfterSeconds: leaseSeconds, runName: name });
      }
      await deps.dedupe
        .release(dedupe.key, owner)
        // Released, the claim took its record with it: the recorder writes the `failed` record apart.
        .then(() => dedupe.delivery?.carried(false))
        .catch((releaseError: unknown) => {
          // The claim stays until its lease runs out; then a retry takes it over. Nothing is lost.
          deps.logger.warn('could not release dedupe claim', { error: releaseError as Error });
        });
      throw error;
    }
    // A Standard claim named this run when it was written, and a guarded Express run names itself on its guard's
    // item as it begins: nothing to record.
    if (claim.record.executionArn !== undefined || claim.record.guardedBy !== undefined)
      return { run, replayed: false };
    try {
      await deps.dedupe.complete(dedupe.key, owner, run);
    } catch (error) {
      // The run has started, so this request *is* accepted: answering 5xx would invite a retry and a
      // second run. Duplicates will wait out the lease and take the claim over (Standard: same name).
      deps.logger.error('run started but not recorded on its dedupe claim', {
        error: error as Error,
        executionArn: run.executionArn,
      });
    }
    return { run, replayed: false };

    async function awaitStartedRun(claimed: DedupeRecord): Promise<RunHandle> {
      const started = await runOf(claimed);
      if (started !== undefined) return started;
      const deadline = now() + settings.dedupeWaitMs;
      // A claim that names its Standard run is polled with DescribeExecution, whose account-wide bucket is small
      // (refill 15/s in us-east-1, docs/scale.md): back off, doubling up to 1 s, so a storm of duplicates of one
      // key cannot drain it. A recorded run is polled on the claim (a GetItem) at the plain interval.
      let interval = pollIntervalMs;
      while (now() < deadline) {
        await sleep(interval);
        if (claimed.executionArn !== undefined) interval = Math.min(interval * 2, Math.max(pollIntervalMs, 1_000));
        const record = await deps.dedupe.get(dedupe!.key, now());
        if (record === undefined) break; // released: the first request failed to start its run
        const run = await runOf(record);
        if (run !== undefined) return run;
      }
      throw new InProgressError(
        'a request with this idempotency key is still being processed; retry shortly',
        Math.max(1, Math.ceil(settings.dedupeWaitMs / 1000)),
      );
    }
  };
}
