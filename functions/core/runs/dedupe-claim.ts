import type { DeliveryRecord } from '../deliveries/record';
import type { ClaimRequest, ClaimResult, DedupeRecord, DedupeStore, RunHandle, WorkflowEngine } from '../ports';
import { executionNameFor, standardExecutionArn } from './execution-name';
import { runGuardKey } from './run-guard';

/**
 * The dedupe claim and lease policy, stated once. As Powertools' BasePersistenceLayer holds the idempotency
 * rules and its DynamoDB layer only stores, BaseDedupeStore decides and a store only keeps records and
 * applies each rule atomically: DynamoDbDedupeStore writes the rules below as condition expressions,
 * InMemoryDedupeStore (test/support/fakes.ts) evaluates these very functions. Timeline of one key:
 *
 *   t0 claim A (new record: owner A, lease until t0+lease, expires t0+ttl)
 *   t1 claim B: A's claim is live, B is a duplicate and waits for A's run
 *   t2 A starts its run. Express: A records the run on the claim, and every later claim is a duplicate
 *      answered with it, until expiry. Standard: nothing more is written; the claim named its run at t0
 *      (`executionArn`), and a duplicate asks Step Functions whether that run exists (`startedRunOf`)
 *   or, if A died before recording a run: once the lease ran out, the next claim takes it over (same
 *   createdAt, so the same execution name: a Standard run A did start is found, not doubled; Express's run
 *   guard ends a second start of the name). A Standard claim records no run, so after its lease a late
 *   duplicate takes it over too, and Step Functions' name idempotency hands it A's run (ExecutionAlreadyExists)
 *   after expiry the key is free again (expiry is checked here, never left to TTL deletion).
 */

/** Whether a record no longer counts (DynamoDB's TTL deletes expired items up to days late). */
export function isExpired(record: Pick<DedupeRecord, 'expiresAt'>, nowMs: number): boolean {
  return record.expiresAt * 1000 <= nowMs;
}

/**
 * The record a first claim writes: for a Standard workflow, with the ARN its run will have. A delivery record the
 * claim carries names the run as the claim does: the Standard run's ARN, or the run guard's item that will name a
 * guarded Express run (core/deliveries/guarded-runs.ts), so the claim stays the request's one write.
 */
export function newClaim(request: ClaimRequest): DedupeRecord {
  const expiresAt = Math.floor(request.now / 1000) + request.ttlSeconds;
  // runNameOf's name for this claim: its key, creation time and expiry.
  const name = executionNameFor(request.key, request.now, expiresAt);
  const claim: DedupeRecord = {
    key: request.key,
    fingerprint: request.fingerprint,
    owner: request.owner,
    createdAt: request.now,
    leaseUntil: request.now + request.leaseMs,
    expiresAt,
    ...(request.standardStateMachineArn === undefined
      ? {}
      : { executionArn: standardExecutionArn(request.standardStateMachineArn, name) }),
    ...(request.guardedStateMachineArn === undefined ? {} : { guardedBy: request.guardedStateMachineArn }),
    ...(request.delivery === undefined ? {} : { delivery: request.delivery }),
  };
  if (claim.delivery === undefined) return claim;
  if (claim.executionArn !== undefined) {
    return { ...claim, delivery: { ...claim.delivery, runs: [{ executionArn: claim.executionArn }] } };
  }
  if (claim.guardedBy !== undefined) {
    return {
      ...claim,
      delivery: { ...claim.delivery, runs: [{ runGuard: runGuardKey(claim.guardedBy, name) }] },
    };
  }
  return claim;
}

/**
 * How long the item of a claim lives (its TTL attribute, epoch seconds): the later of the claim's dedupe expiry
 * and the retention of the delivery record it carries. The claim's own expiry stays `expiresAt`, checked in every
 * condition: a record outlives the dedupe window, and its key is free again when the window ends.
 */
export function itemExpiresAt(record: DedupeRecord): number {
  return Math.max(record.expiresAt, record.delivery?.expiresAt ?? 0);
}

/** The record a claim carries once its Express run is recorded on it: the run is the record's run. */
export function completed(record: DedupeRecord, run: RunHandle): DedupeRecord {
  return {
    ...record,
    run,
    ...(record.delivery === undefined
      ? {}
      : { delivery: { ...record.delivery, runs: [{ executionArn: run.executionArn }] } }),
  };
}

/** The execution name of a claim's run: derived from its key and creation time, the same after a take-over. */
export function runNameOf(record: DedupeRecord): string {
  return executionNameFor(record.key, record.createdAt, record.expiresAt);
}

/**
 * The run a claim stands for, if it has started: recorded on the claim (Express); for a claim that named its
 * Standard run, that execution if Step Functions has it (one DescribeExecution); for a guarded Express claim, the
 * run its guard admitted under the claim's name (one GetItem). On duplicate paths only.
 */
export async function startedRunOf(
  record: DedupeRecord,
  engine: Pick<WorkflowEngine, 'findRun'>,
  guards: Pick<DedupeStore, 'guardedRun'>,
): Promise<RunHandle | undefined> {
  if (record.run !== undefined) return record.run;
  if (record.guardedBy !== undefined) return guards.guardedRun(record.guardedBy, runNameOf(record));
  return record.executionArn === undefined ? undefined : engine.findRun(record.executionArn);
}

/** Whether a claim names where its run will be found (a Standard execution ARN, or a run guard's item). */
export function namesItsRun(record: DedupeRecord): boolean {
  return record.executionArn !== undefined || record.guardedBy !== undefined;
}

/** A claim whose owner recorded no run within its lease: that owner crashed or timed out. */
export function mayTakeOver(record: DedupeRecord, nowMs: number): boolean {
  return record.run === undefined && record.leaseUntil <= nowMs;
}

/** The record a take-over writes: new owner and lease, the first claim's createdAt (so the same name). */
export function takenOver(record: DedupeRecord, request: ClaimRequest): DedupeRecord {
  return { ...record, owner: request.owner, leaseUntil: request.now + request.leaseMs };
}

/** Only the owner records the run. */
export function mayComplete(record: DedupeRecord, owner: string): boolean {
  return record.owner === owner;
}

/** Only the owner gives a claim up, and only before a run is recorded (a recorded run is kept for duplicates). */
export function mayRelease(record: DedupeRecord, owner: string): boolean {
  return record.owner === owner && record.run === undefined;
}

/**
 * What a conditional first write reports: when stored, the expired record it replaced (if the store returns it);
 * when the condition failed, the live record (when the store returns it).
 */
export type FirstWrite =
  | { readonly stored: true; readonly replaced?: DedupeRecord }
  | { readonly stored: false; readonly existing?: DedupeRecord };

/**
 * The claim algorithm over four storage operations, each one atomic in the store. Subclasses store; they
 * never decide.
 */
export abstract class BaseDedupeStore implements DedupeStore {
  /** Writes `record` unless a live record holds its key (absent, or `isExpired` at `nowMs`). */
  protected abstract putIfFree(record: DedupeRecord, nowMs: number): Promise<FirstWrite>;
  /** Replaces `previousOwner`'s claim with `record` if it is still theirs with no run (`mayTakeOver`'s state). */
  protected abstract replaceOwner(record: DedupeRecord, previousOwner: string): Promise<boolean>;
  /** The stored record, expired or not. */
  protected abstract read(key: string): Promise<DedupeRecord | undefined>;
  /** Keeps a delivery record whose claim was replaced, on an item of its own (one write). */
  protected abstract archive(delivery: DeliveryRecord): Promise<void>;

  abstract complete(key: string, owner: string, run: RunHandle): Promise<void>;
  abstract release(key: string, owner: string): Promise<void>;
  abstract guardedRun(stateMachineArn: string, executionName: string): Promise<RunHandle | undefined>;

  async get(key: string, now: number): Promise<DedupeRecord | undefined> {
    const record = await this.read(key);
    return record === undefined || isExpired(record, now) ? undefined : record;
  }

  /**
   * `runOf` (startedRunOf with the engine) settles a claim past its lease that named its Standard run: if that run
   * exists, the claim is a duplicate answered with it (one DescribeExecution), not taken over and started again.
   */
  async claim(
    request: ClaimRequest,
    runOf?: (record: DedupeRecord) => Promise<RunHandle | undefined>,
  ): Promise<ClaimResult> {
    // Each pass either claims or meets a live record; a record that vanished in between (released, expired)
    // sends it round again.
    for (;;) {
      const record = newClaim(request);
      const first = await this.putIfFree(record, request.now);
      if (first.stored) {
        await this.keepReplaced(first.replaced, record, request.now);
        return { outcome: 'claimed', record };
      }
      const existing = first.existing ?? (await this.get(request.key, request.now));
      if (existing === undefined) continue;
      if (!mayTakeOver(existing, request.now)) return { outcome: 'duplicate', record: existing };
      const started = namesItsRun(existing) ? await runOf?.(existing) : undefined;
      if (started !== undefined) return { outcome: 'duplicate', record: { ...existing, run: started } };
      const replacement = takenOver(existing, request);
      if (await this.replaceOwner(replacement, existing.owner)) return { outcome: 'claimed', record: replacement };
      const current = await this.get(request.key, request.now);
      // Another duplicate took it over first: theirs now.
      if (current !== undefined) return { outcome: 'duplicate', record: current };
    }
  }

  /**
   * A key used again after its dedupe window replaces the expired claim, and with it the record of the earlier
   * delivery it carried, which must outlive the window (DELIVERY_RETENTION_DAYS): that record moves to an item of
   * its own. One write, only when a key comes back after its window. If it fails, the earlier record is lost and
   * nothing else: the claim is taken, the request goes on.
   */
  private async keepReplaced(replaced: DedupeRecord | undefined, record: DedupeRecord, nowMs: number): Promise<void> {
    const earlier = replaced?.delivery;
    if (earlier === undefined || earlier.id === record.delivery?.id || earlier.expiresAt * 1000 <= nowMs) return;
    await this.archive(earlier).catch(() => undefined);
  }
}
