import type { DeliveryRecord } from './deliveries/record';
import type { LedgerEntry } from './verify/delivery-ledger';
import type { WhenBusy } from './registration';
import type { RegistrationVerifier, SigningSecrets } from './verify/verifier-config';

/**
 * The small interfaces the core talks to. The core never imports @aws-sdk: one adapter per AWS client
 * implements each port (functions/adapters/aws/), and tests or the local stack wire real or local ones.
 */

export type WorkflowType = 'EXPRESS' | 'STANDARD';

/** Where a run goes: a state machine (or a version or alias of one) and its type. */
export interface WorkflowTarget {
  readonly stateMachineArn: string;
  readonly workflowType: WorkflowType;
  /**
   * An Express workflow that starts with hookflow's run guard (workflows/express-run-guard.ts): its first state
   * writes the execution's ARN under `run#<state machine>#<name>`, so a duplicate finds a deduped run there and
   * the claim needs no second write to record it (functions/core/runs/run-guard.ts). Set by whoever resolves the
   * workflow and knows: the local manifest (every ASL workflow gets the guard), the construct (ExpressRunGuard).
   */
  readonly runGuarded?: true;
}

/** A registry item's key: the registry table is one table of `pk` + `sk` items (single-table design). */
export interface RegistryKey {
  readonly pk: string;
  readonly sk: string;
}

/** A registry item as stored: plain attributes, its key among them. */
export type StoredItem = Readonly<Record<string, unknown>>;

/**
 * The registry table, read generically. Each style owns its registry slice (its items' keys, its codec and the
 * reads its handlers make: functions/styles/<style>/registration.ts; API keys: core/auth/api-keys.ts), so this
 * port, its DynamoDB adapter, the read cache and the test fake know no style, and a new style touches none of them.
 */
export interface Registry {
  /** One item by its key (GetItem); undefined when there is none. */
  getItem(key: RegistryKey): Promise<StoredItem | undefined>;
  /** Every item of one partition, in sort-key order (Query, page after page). */
  queryPartition(pk: string): Promise<readonly StoredItem[]>;
}

/** A registered webhook (seed 5): created through the admin API, owned by one organisation. */
export interface RegisteredWebhook {
  readonly id: string;
  readonly orgId: string;
  readonly createdOn: string;
  readonly updatedOn: string;
  readonly createdById: string;
  readonly updatedById: string;
  /**
   * The verification secret, and the one it replaced while that still verifies. Kept as is (DynamoDB encrypts
   * it at rest) because an HMAC can only be checked with the secret itself; shown once, never returned again.
   */
  readonly secrets: SigningSecrets;
  /** How triggers prove they know the secret (default: seed 5's X-Verify-Signature), and replay protection. */
  readonly verifier: RegistrationVerifier;
  /** `false`: its triggers write no delivery record (docs/deliveries.md, "Turning it off"); absent: recorded. */
  readonly recordDeliveries?: boolean;
  /** A busy engine: queue the bound workflows' starts (absent: the style's default, `queue`) or answer 503. */
  readonly whenBusy?: WhenBusy;
}

/** The settings `PATCH /api/webhooks/{id}` may change; each is kept on the webhook item only when not its default. */
export type WebhookSettingName = 'recordDeliveries' | 'whenBusy';

/**
 * A change to a webhook's settings, as stored: `set` writes each value given (one that differs from its default),
 * `remove` deletes each named attribute (set back to its default: absent means the default). A setting named in
 * neither is left as it is. The rule that picks one or the other is the style's (manage-webhooks.ts), so the
 * DynamoDB store and its in-memory fake only apply it.
 */
export interface WebhookSettingsChange {
  readonly set: { readonly recordDeliveries?: false; readonly whenBusy?: WhenBusy };
  readonly remove: readonly WebhookSettingName[];
}

/** A workflow bound to a webhook: seed 5's trigger `webhookId:<id>` set on the template. */
export interface WebhookBinding {
  readonly webhookId: string;
  readonly eventWorkflowTemplateId: string;
  readonly orgId: string;
  readonly createdOn: string;
  readonly createdById: string;
}

export interface WebhookStore {
  /** Stores a new webhook; its id is random, so a clash is an error, never an overwrite. */
  create(webhook: RegisteredWebhook): Promise<void>;
  /**
   * Replaces a webhook's secrets if it still exists, `orgId` owns it and its current secret is still
   * `replacing` (the one the caller read): of two concurrent rotations exactly one wins, so the secret each
   * caller is shown is the one that verifies. `missing`: no such webhook of `orgId`; `conflict`: rotated meanwhile.
   */
  updateSecrets(
    id: string,
    orgId: string,
    secrets: SigningSecrets,
    updated: { updatedOn: string; updatedById: string },
    replacing: string,
  ): Promise<'updated' | 'missing' | 'conflict'>;
  /**
   * Changes a webhook's settings if it still exists and `orgId` owns it, and answers the webhook as it now is;
   * undefined when there is no such webhook of `orgId`.
   */
  updateSettings(
    id: string,
    orgId: string,
    change: WebhookSettingsChange,
    updated: { updatedOn: string; updatedById: string },
  ): Promise<RegisteredWebhook | undefined>;
  /** The webhook with every binding, in one strongly consistent read. */
  get(id: string): Promise<{ webhook: RegisteredWebhook; bindings: readonly WebhookBinding[] } | undefined>;
  listByOrg(orgId: string): Promise<readonly RegisteredWebhook[]>;
  /** Deletes the webhook if `orgId` owns it, then its bindings. False when there was none to delete. */
  delete(id: string, orgId: string): Promise<boolean>;
  bind(binding: WebhookBinding): Promise<void>;
  /** False when the template was not bound. */
  unbind(webhookId: string, eventWorkflowTemplateId: string): Promise<boolean>;
}

/** What a trigger started for one bound workflow (seed 5's process), as stored; status comes from the run. */
export interface ProcessRecord {
  readonly id: string;
  readonly orgId: string;
  readonly webhookId: string;
  readonly eventWorkflowTemplateId: string;
  readonly stateMachineArn: string;
  /** The execution is named after the process id, so its ARN follows from the state machine's. */
  readonly executionArn: string;
  readonly triggerEvent: unknown;
  /** SHA-256 of the trigger's raw body: a repeated Idempotency-Key with another body is refused. */
  readonly fingerprint: string;
  readonly createdOn: string;
  /**
   * When a trigger queued its start because the engine was busy (whenBusy: queue), ISO 8601: the status reads
   * PENDING `queued` until the run exists, not FAILED "never started" (styles/registered-webhooks/process-view.ts).
   */
  readonly queuedOn?: string;
}

export interface ProcessStore {
  /** Stores the record unless its id exists; returns the stored one when it does (a repeated trigger). */
  create(record: ProcessRecord): Promise<{ readonly created: boolean; readonly record: ProcessRecord }>;
  get(id: string): Promise<ProcessRecord | undefined>;
  /**
   * Marks a stored record's start queued (sets `queuedOn`), only on the busy path; false when no record holds the
   * id (nothing is created).
   */
  markQueued(id: string, queuedOn: string): Promise<boolean>;
}

/**
 * What sits under a run's ref and topic: a task waiting for an event, written by the workflow's wait-for-event
 * function (a Lambda task with `.waitForTaskToken`, see workflows/wait-for-event-states.ts), or a callback that
 * arrived before the run waited (EARLY), kept until the wait begins and takes it, or until it expires.
 */
export interface WaitingTask {
  readonly ref: string;
  readonly topic: string;
  /** Absent on an EARLY item (and on one the workflow took: RESUMED without a token). */
  readonly taskToken?: string;
  readonly executionArn?: string;
  /** When the task started waiting (ISO 8601) and how long it may wait: the token dies after that. */
  readonly enteredTime?: string;
  readonly timeoutSeconds?: number;
  /**
   * When the run entered the wait state (`$$.State.EnteredTime`, ISO 8601): no later than the task's timeout clock
   * started, where `enteredTime` is no earlier. Absent on items written before it was stored.
   */
  readonly stateEnteredTime?: string;
  /**
   * Until when a retry of the attempt that stored this token may still write its own (epoch ms,
   * functions/styles/events/wait-rules.ts `retryWritesBy`). Absent on items written before it was stored.
   */
  readonly retryWritesBy?: number;
  /** CLAIMED: a callback is resuming it (until `leaseUntil`; after that its handler is presumed dead). */
  readonly status: 'WAITING' | 'CLAIMED' | 'RESUMED' | 'EXPIRED' | 'EARLY';
  /** The event id of the callback that resumed the task (or was kept early, or holds the claim), if it carried one. */
  readonly resumedBy?: string;
  /** A CLAIMED task's claim: who holds it (a random id per delivery) and until when (epoch ms). */
  readonly claimOwner?: string;
  readonly leaseUntil?: number;
  /** An EARLY item's expiry (ISO 8601). */
  readonly expiresAtIso?: string;
}

/** A callback kept before its run waits: the task's result when the wait begins. */
export interface EarlyCallback {
  readonly callbackStatus: 'succeeded' | 'failed';
  /** The task's output (succeeded) or `{ error, cause }` (failed). */
  readonly output: unknown;
  readonly eventId?: string;
  readonly expiresAt: Date;
}

/** One delivery's claim on a waiting task. */
export interface TaskClaim {
  readonly owner: string;
  /**
   * The token the delivery read and will resume with: the claim holds only if the item still carries it. A wait
   * task that was retried (or run again after a restart) replaces its item with a new token between a
   * delivery's read and its claim; resuming the old token would then fail the run's callback.
   */
  readonly taskToken: string;
  readonly eventId?: string;
  /** Epoch ms: claims whose lease ended before this may be taken over. */
  readonly now: number;
  readonly leaseUntil: number;
}

export interface WaitStore {
  get(ref: string, topic: string): Promise<WaitingTask | undefined>;
  /**
   * Claims the task for one delivery (CLAIMED by `owner` until `leaseUntil`, epoch ms), only if it is WAITING or
   * its previous claim's lease ran out (that claimer died): false means another callback got there first.
   */
  claim(ref: string, topic: string, claim: TaskClaim): Promise<boolean>;
  /**
   * The owner's resume succeeded: CLAIMED -> RESUMED (by `eventId`). False when the owner no longer holds the claim
   * (a retry of the wait task wrote its own token over it).
   */
  confirm(ref: string, topic: string, owner: string, eventId?: string): Promise<boolean>;
  /**
   * The owner's claim on a task that was closed by no callback while a retry of its wait may still come: the
   * callback is kept in its place (CLAIMED -> EARLY, as `keepEarly` keeps one), for the retry to take. False when the
   * owner no longer holds the claim (the retry has written its own token meanwhile).
   */
  keepEarlyInstead(ref: string, topic: string, owner: string, callback: EarlyCallback): Promise<boolean>;
  /** Gives the owner's claim back (resuming failed for a passing reason, e.g. throttling) so a retry can resume it. */
  release(ref: string, topic: string, owner: string): Promise<void>;
  /**
   * `taskToken` is dead: every later callback gets 410. Only while the item still holds that token: false when a
   * retry of the wait (a new token) has replaced it meanwhile, whose task still waits.
   */
  markExpired(ref: string, topic: string, taskToken: string): Promise<boolean>;
  /**
   * Keeps a callback for a wait that has not begun; false if something live (a wait, a callback) is already there.
   * `now` in epoch ms.
   */
  keepEarly(ref: string, topic: string, callback: EarlyCallback, now: number): Promise<boolean>;
  /**
   * Stores the token of a task that begins waiting, unless a live EARLY callback holds the key, or this very token
   * is already there in a callback's hands (the SDK's retry of a put that landed): false then. Anything else there
   * (a resumed or expired wait, an earlier attempt of this wait) is replaced.
   */
  beginWait(wait: BeginningWait, now: number): Promise<boolean>;
  /**
   * Takes the live EARLY callback for the execution that begins waiting (EARLY -> RESUMED, kept until
   * `retainUntil`, epoch seconds); undefined if none is live (it expired, or another wait took it).
   */
  takeEarly(
    ref: string,
    topic: string,
    taker: { readonly executionArn: string; readonly now: number; readonly retainUntil: number },
  ): Promise<EarlyCallback | undefined>;
  /** Gives a taken early callback back (EARLY again, with its own expiry) when completing the task failed. */
  returnEarly(ref: string, topic: string, callback: EarlyCallback): Promise<void>;
}

/** A task that begins waiting for an event: what its wait item holds. */
export interface BeginningWait {
  readonly ref: string;
  readonly topic: string;
  readonly taskToken: string;
  readonly executionArn: string;
  /** When the wait was stored (ISO 8601): never before the task's own timeout clock started. */
  readonly enteredTime: string;
  readonly timeoutSeconds: number;
  /** When the run entered the wait state (ISO 8601), when the state sent it: never after that clock started. */
  readonly stateEnteredTime?: string;
  /** Until when a retry of this attempt may still write its own token (epoch ms), when the attempt knows it. */
  readonly retryWritesBy?: number;
  /** When the item may go (epoch seconds, the table's TTL attribute): past the timeout, plus a grace. */
  readonly expiresAt: number;
}

/** One delivery's entry in the replay ledger, as a claim would write it. Times are epoch seconds. */
export interface DeliveryClaimRequest {
  /** The composite key (core/keys.ts): the registration's scope and the delivery's identity. */
  readonly key: string;
  /** Random per request: only the claim's owner may confirm or release it. */
  readonly owner: string;
  readonly now: number;
  /** Until then the claim blocks other copies while its owner starts the run; after it, a copy may take over. */
  readonly leaseUntil: number;
  /** The end of the replay window: an entry past it counts as absent. */
  readonly expiresAt: number;
}

/**
 * Deliveries already accepted (or being accepted): replay protection's ledger. An entry is first PENDING (its
 * owner is starting the run), then ACCEPTED. A pending entry is released when the start fails, and one whose
 * owner died is taken over once its lease runs out: a delivery is never burned by a start that did not happen.
 */
export interface DeliveryLedger {
  /** One conditional write: true when no live entry holds the key (absent, expired, or pending past its lease). */
  claim(request: DeliveryClaimRequest): Promise<boolean>;
  /** The owner's run started: the entry now blocks every copy until it expires. */
  confirm(key: string, owner: string): Promise<void>;
  /** The owner's start failed: removes the entry (if still the owner's and pending) so a retry gets through. */
  release(key: string, owner: string): Promise<void>;
  /** The entry as stored (expired or not), to tell a refused copy why: accepted, or still being started. */
  peek(key: string): Promise<LedgerEntry | undefined>;
}

/** A message for the fan-out queue. `id` is unique within one sendAll call. */
export interface QueueMessage {
  readonly id: string;
  readonly body: string;
}

/**
 * The longest a queued message can be delayed: SQS SendMessage's DelaySeconds takes "0 to 900" (15 minutes)
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
 */
export const QUEUE_MAX_DELAY_SECONDS = 900;

export interface WorkQueue {
  /**
   * Sends every message (SendMessageBatch: up to 10 and 1 MiB per call, calls in parallel, failed entries
   * retried). Returns the ids that could still not be sent; every other message is durably queued.
   */
  sendAll(messages: readonly QueueMessage[]): Promise<{ readonly failedIds: readonly string[] }>;
  /**
   * Sends one message that becomes visible after `delaySeconds` (0-900): the fan-out worker's way to try an
   * item again later as a new message, so a busy engine does not spend the item's receives. Throws if not sent.
   */
  sendDelayed(message: QueueMessage, delaySeconds: number): Promise<void>;
}

/** What a started run is known by; every link and id a caller gets back is derived from it. */
export interface RunHandle {
  readonly executionArn: string;
  readonly startDate: string;
}

export interface StartRequest {
  readonly stateMachineArn: string;
  readonly workflowType: WorkflowType;
  /** Execution name: derived from the dedupe key when there is one, so a retry cannot start a second run. */
  readonly name: string;
  readonly input: unknown;
}

export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** A run as far as it got: finished with output or error, or still RUNNING when the wait ran out. */
export interface RunOutcome {
  /** Unknown only for an Express run still going when a sync wait ran out (AWS assigns it at the end). */
  readonly executionArn?: string;
  readonly name: string;
  readonly status: RunStatus;
  readonly startDate?: string;
  readonly stopDate?: string;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

export interface WorkflowEngine {
  /** Starts an execution. Starting a Standard name that already exists returns that execution, not an error. */
  start(request: StartRequest): Promise<RunHandle>;
  /** Runs an Express workflow synchronously, giving up waiting (not the run) after `waitMs`. */
  startSync(request: StartRequest, waitMs: number): Promise<RunOutcome>;
  /** Describes a (Standard) execution. */
  describe(executionArn: string): Promise<RunOutcome>;
  /** A Standard execution if it exists (has started), else undefined. */
  findRun(executionArn: string): Promise<RunHandle | undefined>;
  /**
   * A Standard execution's history, oldest first, read up to `maxEvents`. Undefined when no such execution
   * exists (yet).
   */
  history(executionArn: string, maxEvents: number): Promise<RunHistory | undefined>;
  /** Resumes a task waiting on `taskToken`; throws TaskGoneError if the token is dead (timed out, ended). */
  resumeTask(taskToken: string, result: { output: unknown } | { error: string; cause: string }): Promise<void>;
}

/** A run's history as hookflow reads it: states entered and left, and how the run ended (`at`: ISO 8601). */
export type RunEvent =
  | { readonly kind: 'state-entered'; readonly at: string; readonly name: string }
  | { readonly kind: 'state-exited'; readonly at: string; readonly name: string; readonly output: unknown }
  | {
      readonly kind: 'ended';
      readonly at: string;
      readonly status: Exclude<RunStatus, 'RUNNING' | 'PENDING_REDRIVE'>;
      readonly error?: string;
      readonly cause?: string;
    };

export interface RunHistory {
  readonly events: readonly RunEvent[];
  /** More events exist than were read. */
  readonly truncated: boolean;
}

/**
 * The task behind a token no longer waits. `reason` is Step Functions' error name (SendTaskSuccess's errors:
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html): TaskTimedOut (the
 * token expired or its task was already closed), TaskDoesNotExist, InvalidToken.
 */
export class TaskGoneError extends Error {
  override readonly name = 'TaskGoneError';

  constructor(
    message: string,
    readonly reason: 'TaskTimedOut' | 'TaskDoesNotExist' | 'InvalidToken' = 'TaskTimedOut',
    /**
     * An earlier attempt of the same call went unanswered (the SDK retried it): that attempt may have closed the
     * task itself, so a TaskTimedOut may mean "delivered", not "nothing waits".
     */
    readonly afterUnansweredAttempt = false,
  ) {
    super(message);
  }
}

/**
 * A dedupe claim as stored. A claim for a Standard workflow names its run from the start (`executionArn`, written
 * by the claim's one PutItem): whether that run has started is Step Functions' to say. A claim for an Express
 * workflow cannot (AWS adds a random id to an Express execution's ARN), so its owner records `run` once started.
 */
export interface DedupeRecord {
  readonly key: string;
  readonly fingerprint: string;
  readonly owner: string;
  readonly createdAt: number;
  readonly leaseUntil: number;
  readonly expiresAt: number;
  /** Standard: the ARN the claim's run has, or will have once started (state machine ARN + execution name). */
  readonly executionArn?: string;
  /** Express: the run, recorded by the owner after it started. */
  readonly run?: RunHandle;
  /**
   * Express with the run guard: the state machine whose guard records the claim's run (`run#<this>#<name>`), so no
   * second write records it here; a duplicate reads the guard's item (DedupeStore.guardedRun).
   */
  readonly guardedBy?: string;
  /**
   * The delivery record the claim carries (docs/deliveries.md: the claim is the record, no extra write): the
   * first claimant's, kept through a take-over. Its runs name the claim's run once known.
   */
  readonly delivery?: DeliveryRecord;
}

export type ClaimResult =
  | { readonly outcome: 'claimed'; readonly record: DedupeRecord }
  | { readonly outcome: 'duplicate'; readonly record: DedupeRecord };

export interface ClaimRequest {
  readonly key: string;
  readonly fingerprint: string;
  readonly owner: string;
  /** Epoch milliseconds. */
  readonly now: number;
  readonly leaseMs: number;
  readonly ttlSeconds: number;
  /**
   * A Standard workflow's state machine (or version or alias) ARN: the claim then names its run's execution ARN
   * itself, and no second write records the run.
   */
  readonly standardStateMachineArn?: string;
  /**
   * A run-guarded Express workflow's (unqualified) state machine ARN: the claim says its run is found at the
   * guard's item (`guardedBy`), and no second write records the run.
   */
  readonly guardedStateMachineArn?: string;
  /** The delivery record the claim's one write carries (outcome `started`). */
  readonly delivery?: DeliveryRecord;
}

export interface DedupeStore {
  /**
   * Claims `key` with one conditional write. Succeeds when no live claim exists (absent, expired, or a
   * crashed owner's claim whose lease ran out with no run recorded, and for a claim naming its Standard run,
   * no such run in `runOf`); otherwise returns the live claim (with `run` set when `runOf` found it).
   */
  claim(request: ClaimRequest, runOf?: (record: DedupeRecord) => Promise<RunHandle | undefined>): Promise<ClaimResult>;
  /** Records the started run on the owner's claim (Express claims only: a Standard claim names its run). */
  complete(key: string, owner: string, run: RunHandle): Promise<void>;
  /** Gives the claim up (the run could not be started) so that a retry can claim it again. */
  release(key: string, owner: string): Promise<void>;
  get(key: string, now: number): Promise<DedupeRecord | undefined>;
  /**
   * The run the Express run guard of `stateMachineArn` admitted under `executionName`, if its first state has
   * run (the guard's item, read strongly consistent), else undefined.
   */
  guardedRun(stateMachineArn: string, executionName: string): Promise<RunHandle | undefined>;
}
