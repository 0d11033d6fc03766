import type { Clock } from '../clock';
import { compositeKey } from '../keys';
import type { DedupeStore, Registry, WebhookStore, WorkflowTarget } from '../ports';
import { ConflictError } from '../outcomes';
import type { DeliveryRecord, DeliveryRun } from './record';

/**
 * Replay's rules (docs/deliveries.md, "Replay"), pure: which deliveries a mode starts, and under which dedupe
 * key. The deliveries API (functions/styles/deliveries) runs them; each style's replay.ts builds the run input.
 */

/** Most deliveries one bulk replay call examines; `next` continues. A named limit, in docs/deliveries.md. */
export const MAX_BULK_REPLAY = 50;

/**
 * `if-no-run`: start only where the original started nothing, at most once per original (its dedupe key is
 * derived from the original's id). `force`: a new run every time, under a key of its own.
 */
export const REPLAY_MODES = ['if-no-run', 'force'] as const;
export type ReplayMode = (typeof REPLAY_MODES)[number];

/**
 * The delivery a replay stands for: a replay's record replays its original, so an `if-no-run` replay of a
 * replay claims the original's key, and a delivery and its failed replays together start at most one run.
 */
export const originalOf = (record: Pick<DeliveryRecord, 'id' | 'replayOf'>): string => record.replayOf ?? record.id;

/**
 * The dedupe key of one start of a replay. `part` names one run of a delivery that starts several (an inbound
 * batch item's index, a registered webhook's template); undefined for the delivery's single run.
 * if-no-run: `replay#<original>[#part]`, the same for every replay of that original (repeated or concurrent
 * replays start one run). force: `replay#<original>#force#<replay id>[#part]`, new for every replay.
 */
export function replayKey(record: DeliveryRecord, mode: ReplayMode, replayId: string, part?: string): string {
  const parts = part === undefined ? [] : [part];
  return mode === 'if-no-run'
    ? compositeKey('replay', originalOf(record), ...parts)
    : compositeKey('replay', originalOf(record), 'force', replayId, ...parts);
}

/**
 * Whether a delivery may be replayed at all: a refused one may not (409). A refusal is the request's own fault
 * (a bad credential, signature or body, a replayed signature): replaying it would turn it into a run without
 * the check that refused it.
 */
export function assertReplayable(record: DeliveryRecord): void {
  const reason = notReplayableReason(record);
  if (reason !== undefined) throw new ConflictError(reason);
}

/** Why the delivery is never replayed (it was refused), or undefined. */
export function notReplayableReason(record: DeliveryRecord): string | undefined {
  return record.outcome === 'refused'
    ? `delivery "${record.id}" was refused (${record.reason ?? `status ${record.status}`}): a refused request is not replayed`
    : undefined;
}

/**
 * Why an `if-no-run` replay starts nothing for this delivery as a whole, or undefined when it may start: a
 * started or deduplicated delivery has its run, a queued one will start by itself. `failed` started nothing.
 */
export function ifNoRunSkipReason(record: DeliveryRecord): string | undefined {
  switch (record.outcome) {
    case 'started':
      return `the original started ${runsText(record.runs)}`;
    case 'deduplicated':
      return `the original repeated an earlier request and got its run${record.runs.length === 0 ? '' : ` (${runsText(record.runs)})`}`;
    case 'queued':
      return 'the original is queued: it starts by itself when the engine has capacity';
    default:
      return undefined;
  }
}

/**
 * Whether the original already started the part of a multi-run delivery (a batch item by its run reference, a
 * bound workflow by its state machine): an `if-no-run` replay of a partly started delivery starts only the rest.
 */
export function originalRanPart(
  record: DeliveryRecord,
  part: { readonly runRef?: string; readonly stateMachineArn?: string },
): boolean {
  return record.runs.some(
    (run) =>
      run.executionArn !== undefined &&
      ((part.runRef !== undefined && run.runRef === part.runRef) ||
        (part.runRef === undefined &&
          part.stateMachineArn !== undefined &&
          stateMachineOfExecution(run.executionArn) === part.stateMachineArn)),
  );
}

/**
 * The state machine ARN an execution ARN belongs to: `arn:aws:states:<region>:<account>:execution:<sm>:<name>`
 * (Standard) or `…:express:<sm>:<name>:<id>` (Express)
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html, executionArn).
 */
export function stateMachineOfExecution(executionArn: string): string | undefined {
  const match = /^(arn:[^:]+:states:[^:]+:[^:]+):(?:execution|express):([^:]+):/.exec(executionArn);
  return match === null ? undefined : `${match[1]}:stateMachine:${match[2]}`;
}

const runsText = (runs: readonly DeliveryRun[]) =>
  runs.length === 0
    ? 'its run'
    : runs
        .map(
          (run) => run.executionArn ?? run.executionName ?? (run.runRef === undefined ? 'a run' : `run ${run.runRef}`),
        )
        .join(', ');

/** What a style's replay.ts is given: the registry and stores it re-resolves the registration with. */
export interface ReplayPlanDeps {
  readonly registry: Registry;
  readonly webhooks: WebhookStore;
  readonly dedupe: DedupeStore;
  readonly now: Clock;
}

/**
 * What a style that claim-checks (functions/core/runs/claim-check.ts) hands a replay so that its run input can be
 * claim-checked as the original's was: the payload, the style's input around a payload, and the bytes a stored
 * object would hold (what the run gets, as the style stores it: not always the raw request).
 */
export interface ReplayBody {
  readonly payload: unknown;
  readonly build: (payload: unknown) => Readonly<Record<string, unknown>>;
  readonly raw: Buffer;
  readonly contentType?: string;
}

/** A claim-checkable run's planned input: built inline (`input`), and what to claim-check it with (`body`). */
export function claimCheckable(body: ReplayBody): Pick<PlannedStart, 'input' | 'body'> {
  return { input: body.build(body.payload), body };
}

/** One run a replay would start, built as the style builds it. */
export interface PlannedStart {
  /** Which run of a delivery that starts several (a batch item's index, a bound template's id). */
  readonly part?: string;
  readonly target: WorkflowTarget;
  /** The style's own run input, its payload inline (the replay adds `deliveryId` and `replayOf`). */
  readonly input: Readonly<Record<string, unknown>>;
  /**
   * Set by the styles whose runs are claim-checked: the replay builds the input through the claim-check, so one
   * over Step Functions' 256 KiB gets a reference to a freshly stored object, as the original did. Parts that
   * share one `body` object (a registered webhook's bound workflows) share one stored object. Absent (inbound,
   * whose runs are never claim-checked): `input` as it is.
   */
  readonly body?: ReplayBody;
  /** Set when the original already started this part: an `if-no-run` replay skips it. */
  readonly alreadyRan?: boolean;
  /**
   * The style's own dedupe claim for this run, when the original carried one (an inbound uid, an Idempotency-Key):
   * an `if-no-run` replay claims it instead of `replay#<id>`, so that the replay and the sender's own retry of the
   * same request converge on one run, whichever comes first. `force` never uses it (a new run is the point).
   */
  readonly dedupe?: { readonly key: string; readonly fingerprint: string; readonly recordRun?: boolean };
}

/**
 * A style's replay: the runs the delivery's raw body makes today (the registration re-resolved: a registration
 * that is gone throws registrationGone), built with the style's own request parsing and input building.
 */
export type StyleReplayer = (
  deps: ReplayPlanDeps,
  record: DeliveryRecord,
  raw: Buffer,
) => Promise<readonly PlannedStart[]>;

/** 409: the delivery's registration no longer exists (or no longer starts runs), so a replay has nothing to start. */
export function registrationGone(record: DeliveryRecord, what: string): ConflictError {
  return new ConflictError(`delivery "${record.id}" cannot be replayed: its registration ${what} no longer exists`);
}
