import type { DeliveryRecord } from '../../functions/core/deliveries/record';
import { Logger } from '@aws-lambda-powertools/logger';
import { EngineBusyError } from '../../functions/core/outcomes';
import * as ledgerRules from '../../functions/core/verify/delivery-ledger';
import * as waitRules from '../../functions/styles/events/wait-rules';
import * as processRules from '../../functions/styles/registered-webhooks/process-rules';
import {
  type DedupeRecord,
  type BeginningWait,
  type DeliveryClaimRequest,
  type DeliveryLedger,
  type EarlyCallback,
  type ProcessRecord,
  type ProcessStore,
  type QueueMessage,
  type RegisteredWebhook,
  type Registry,
  type RegistryKey,
  type RunHandle,
  type RunHistory,
  type RunOutcome,
  type StartRequest,
  type StoredItem,
  type TaskClaim,
  TaskGoneError,
  type WaitStore,
  type WaitingTask,
  type WebhookBinding,
  type WebhookSettingsChange,
  type WebhookStore,
  type WorkflowEngine,
} from '../../functions/core/ports';
import { sha256Hex } from '../../functions/core/auth/secrets';
import { type ApiKeyRecord, apiKeyItem } from '../../functions/core/auth/api-keys';
import type { RegistryItem } from '../../functions/core/registration';
import { type ClientWebhookRecord, clientWebhookItem } from '../../functions/styles/client-webhook/registration';
import { eventWorkflowItems } from '../../functions/styles/events/registration';
import { type FlowRecord, flowItem } from '../../functions/styles/flow-trigger/registration';
import { inboundSecretItem, inboundSecretKey, inboundWorkflowItems } from '../../functions/styles/inbound/registration';
import { webhookTemplateItem } from '../../functions/styles/registered-webhooks/registration';
import {
  BaseDedupeStore,
  type FirstWrite,
  isExpired,
  completed,
  mayComplete,
  mayRelease,
} from '../../functions/core/runs/dedupe-claim';
import type { StoredVerifier } from '../../functions/core/verify/verifier-config';
import { executionLinker } from '../../functions/core/runs/execution-link';
import { runGuardAdmits, runGuardKey } from '../../functions/core/runs/run-guard';
import { DEDUPED_NAME_PREFIX } from '../../functions/core/runs/execution-name';

/** In-memory ports with the same contracts as the DynamoDB / Step Functions adapters. */

/**
 * The registry table in memory: items by `pk` and `sk`, read as DynamoDbRegistry reads them (a copy per read, a
 * partition in sort-key byte order). It knows no style: the handlers' reads are the styles' own registry slices,
 * run against these items, and the builders below write items with the styles' own codecs.
 */
export class InMemoryRegistry implements Registry {
  protected readonly partitions = new Map<string, Map<string, StoredItem>>();

  /** Stores items as they are, replacing any with the same key (PutItem). */
  put(...items: readonly RegistryItem[]): this {
    for (const item of items) {
      const partition = this.partitions.get(item.pk) ?? new Map<string, StoredItem>();
      partition.set(item.sk, structuredClone(item));
      this.partitions.set(item.pk, partition);
    }
    return this;
  }

  async getItem(key: RegistryKey): Promise<StoredItem | undefined> {
    const item = this.partitions.get(key.pk)?.get(key.sk);
    return item === undefined ? undefined : structuredClone(item);
  }

  async queryPartition(pk: string): Promise<readonly StoredItem[]> {
    // DynamoDB returns a partition's items ordered by sort key, strings by their UTF-8 bytes.
    return [...(this.partitions.get(pk)?.entries() ?? [])]
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map(([, item]) => structuredClone(item));
  }
}

const fakeArn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;

/** The in-memory registry with builders for the registrations tests arrange, written by each style's codec. */
export class FakeRegistry extends InMemoryRegistry {
  addFlow(flow: Partial<FlowRecord> & { flowId: string }): this {
    return this.put(
      flowItem({ stateMachineArn: fakeArn(flow.flowId), workflowType: 'EXPRESS', published: true, ...flow }),
    );
  }

  addApiKey(key: string, record: Partial<ApiKeyRecord> & { keyId: string }): this {
    const keyHash = sha256Hex(key);
    return this.put(apiKeyItem({ keyHash, flows: ['*'], orgs: [], disabled: false, ...record }));
  }

  addClientWebhook(webhook: Partial<ClientWebhookRecord> & { client: string; name: string; key?: string }): this {
    const { key, ...rest } = webhook;
    return this.put(
      clientWebhookItem({
        productive: { stateMachineArn: fakeArn(webhook.name), workflowType: 'EXPRESS' },
        mode: 'productive',
        runAs: 'kevin',
        ...(key === undefined ? {} : { keyHash: sha256Hex(key) }),
        ...rest,
      }),
    );
  }

  addInboundWorkflow(name: string, workflowId: string, workflowType: 'EXPRESS' | 'STANDARD' = 'EXPRESS'): this {
    return this.put(...inboundWorkflowItems({ name, workflowId, stateMachineArn: fakeArn(name), workflowType }));
  }

  /** Adds an accepted Inbound-Webhook-Secret to those already stored (as a rotation does). */
  addInboundSecret(secret: string): this {
    const key = inboundSecretKey();
    const stored = this.partitions.get(key.pk)?.get(key.sk)?.secretHashes;
    return this.put(inboundSecretItem([...(Array.isArray(stored) ? stored.map(String) : []), sha256Hex(secret)]));
  }

  addEventWorkflow(
    ref: string,
    eventTypes: string[] = [],
    workflowType: 'EXPRESS' | 'STANDARD' = 'STANDARD',
    verifier?: StoredVerifier,
  ): this {
    return this.put(
      ...eventWorkflowItems({
        ref,
        eventTypes,
        stateMachineArn: fakeArn(ref),
        workflowType,
        ...(verifier === undefined ? {} : { verifier }),
      }),
    );
  }

  addWebhookTemplate(orgId: string, id: string, name = id): this {
    return this.put(webhookTemplateItem({ id, orgId, name, stateMachineArn: fakeArn(name) }));
  }
}

/** Registered webhooks in memory, with the DynamoDB store's contract (org-checked delete, idempotent bind). */
export class InMemoryWebhookStore implements WebhookStore {
  readonly webhooks = new Map<string, RegisteredWebhook>();
  readonly bindings = new Map<string, WebhookBinding>();

  async create(webhook: RegisteredWebhook) {
    if (this.webhooks.has(webhook.id)) throw new Error(`webhook ${webhook.id} exists`);
    this.webhooks.set(webhook.id, webhook);
  }

  async updateSecrets(
    id: string,
    orgId: string,
    secrets: RegisteredWebhook['secrets'],
    updated: { updatedOn: string; updatedById: string },
    replacing: string,
  ) {
    const webhook = this.webhooks.get(id);
    if (webhook?.orgId !== orgId) return 'missing' as const;
    // the DynamoDB store's compare-and-set on the secret being replaced
    if (webhook.secrets.current !== replacing) return 'conflict' as const;
    this.webhooks.set(id, { ...webhook, ...updated, secrets });
    return 'updated' as const;
  }

  async updateSettings(
    id: string,
    orgId: string,
    change: WebhookSettingsChange,
    updated: { updatedOn: string; updatedById: string },
  ) {
    const webhook = this.webhooks.get(id);
    if (webhook?.orgId !== orgId) return undefined;
    // the change as given (the rule that made it is the style's): set these, remove those, keep the rest
    const next: { -readonly [K in keyof RegisteredWebhook]: RegisteredWebhook[K] } = {
      ...webhook,
      ...updated,
      ...change.set,
    };
    for (const name of change.remove) delete next[name];
    this.webhooks.set(id, next);
    return next;
  }

  async get(id: string) {
    const webhook = this.webhooks.get(id);
    if (webhook === undefined) return undefined;
    return { webhook, bindings: [...this.bindings.values()].filter((b) => b.webhookId === id) };
  }

  async listByOrg(orgId: string) {
    return [...this.webhooks.values()].filter((w) => w.orgId === orgId);
  }

  async delete(id: string, orgId: string) {
    if (this.webhooks.get(id)?.orgId !== orgId) return false;
    this.webhooks.delete(id);
    for (const [key, binding] of this.bindings) if (binding.webhookId === id) this.bindings.delete(key);
    return true;
  }

  async bind(binding: WebhookBinding) {
    this.bindings.set(`${binding.webhookId}/${binding.eventWorkflowTemplateId}`, binding);
  }

  async unbind(webhookId: string, templateId: string) {
    return this.bindings.delete(`${webhookId}/${templateId}`);
  }
}

/** A delivery ledger in memory, with the DynamoDB one's contract (an expired entry counts as absent). */
export class InMemoryDeliveryLedger implements DeliveryLedger {
  readonly entries = new Map<string, ledgerRules.LedgerEntry>();

  async claim(request: DeliveryClaimRequest) {
    assertPartitionKeySize(`delivery#${request.key}`); // as DynamoDbDeliveryLedger writes it
    if (!ledgerRules.isClaimable(this.entries.get(request.key), request.now)) return false;
    const { key, owner, leaseUntil, expiresAt } = request;
    this.entries.set(key, { owner, leaseUntil, expiresAt, accepted: false });
    return true;
  }

  async confirm(key: string, owner: string) {
    const entry = this.entries.get(key);
    if (entry !== undefined && ledgerRules.mayConfirm(entry, owner))
      this.entries.set(key, { ...entry, accepted: true });
  }

  async release(key: string, owner: string) {
    if (ledgerRules.mayRelease(this.entries.get(key), owner)) this.entries.delete(key);
  }

  async peek(key: string) {
    return this.entries.get(key);
  }
}

/** Process records in memory, kept and expired by the rules of styles/registered-webhooks/process-rules.ts. */
export class InMemoryProcessStore implements ProcessStore {
  readonly records = new Map<string, ProcessRecord>();

  /** `now`: the clock of the handlers that use it (epoch ms), as DynamoDB's is the real one. */
  constructor(private readonly now: () => number = Date.now) {}

  private live(id: string) {
    const record = this.records.get(id);
    if (record === undefined) return undefined;
    const expiresAt = processRules.processExpiresAt(record, processRules.PROCESS_RETENTION_SECONDS);
    return processRules.isLive(expiresAt, this.now()) ? record : undefined;
  }

  async create(record: ProcessRecord) {
    const existing = this.live(record.id);
    if (existing !== undefined) return { created: false, record: existing };
    this.records.set(record.id, record);
    return { created: true, record };
  }

  async get(id: string) {
    return this.live(id);
  }

  async markQueued(id: string, queuedOn: string) {
    const existing = this.live(id);
    if (existing === undefined) return false;
    this.records.set(id, { ...existing, queuedOn });
    return true;
  }
}

/** A queue that keeps what it was sent; `failIds` makes those messages fail to send. */
export class FakeWorkQueue {
  readonly sent: QueueMessage[] = [];
  failIds = new Set<string>();

  async sendAll(messages: readonly QueueMessage[]) {
    const failedIds = messages.filter((m) => this.failIds.has(m.id)).map((m) => m.id);
    this.sent.push(...messages.filter((m) => !this.failIds.has(m.id)));
    return { failedIds };
  }

  readonly delayed: { message: QueueMessage; delaySeconds: number }[] = [];
  /** Set to make sendDelayed fail (SQS refusing the send). */
  failDelayed: Error | undefined;

  async sendDelayed(message: QueueMessage, delaySeconds: number) {
    if (this.failDelayed !== undefined) throw this.failDelayed;
    this.delayed.push({ message, delaySeconds });
  }
}

/**
 * How a task send's answer can be lost, as the engine adapter reports it (functions/adapters/aws/sfn-engine.ts):
 * carried out, and the SDK's retry hears TaskTimedOut after the unanswered attempt (`TaskGoneError`
 * `afterUnansweredAttempt`); carried out, or not, with every attempt unanswered (`EngineBusyError`, not refused).
 */
export type AnswerLoss =
  'none' | 'done, retry hears TaskTimedOut' | 'done, every attempt unanswered' | 'not done, every attempt unanswered';

export class FakeEngine implements WorkflowEngine {
  readonly started: StartRequest[] = [];
  failWith: Error | undefined;
  /** What runs end as: a function of the request, SUCCEEDED echoing the input by default. */
  outcome: (request: StartRequest) => Omit<RunOutcome, 'name' | 'executionArn'> = (request) => ({
    status: 'SUCCEEDED',
    output: request.input,
  });
  /** How many describe() calls a Standard run stays RUNNING for. */
  runningFor = 0;
  readonly described: string[] = [];
  readonly syncStarted: { request: StartRequest; waitMs: number }[] = [];

  async startSync(request: StartRequest, waitMs: number): Promise<RunOutcome> {
    if (this.failWith !== undefined) throw this.failWith;
    this.syncStarted.push({ request, waitMs });
    const outcome = this.outcome(request);
    if (outcome.status === 'RUNNING') return { name: request.name, status: 'RUNNING' };
    return {
      executionArn: this.arnOf(request).replace(':execution:', ':express:') + ':uuid',
      name: request.name,
      ...outcome,
    };
  }

  async describe(executionArn: string): Promise<RunOutcome> {
    this.described.push(executionArn);
    const request = this.started.find((r) => this.arnOf(r) === executionArn);
    if (request === undefined) throw new Error(`no such execution ${executionArn}`);
    const polls = this.described.filter((arn) => arn === executionArn).length;
    if (polls <= this.runningFor) return { executionArn, name: request.name, status: 'RUNNING' };
    return { executionArn, name: request.name, ...this.outcome(request) };
  }

  /** The ARNs findRun was asked for (a duplicate learning whether a Standard run started). */
  readonly looked: string[] = [];

  async findRun(executionArn: string): Promise<RunHandle | undefined> {
    this.looked.push(executionArn);
    const started = this.started.some((r) => this.arnOf(r) === executionArn);
    return started ? { executionArn, startDate: new Date(0).toISOString() } : undefined;
  }

  readonly resumed: { taskToken: string; result: { output: unknown } | { error: string; cause: string } }[] = [];
  /** Tokens whose task is over: resuming them throws TaskGoneError. */
  readonly goneTokens = new Set<string>();
  /** Step Functions' error for a gone token (SendTaskSuccess's errors). */
  goneReason: TaskGoneError['reason'] = 'TaskTimedOut';

  /** How the next task send's answer is lost (AnswerLoss); none again after it. */
  loseNextAnswer: AnswerLoss = 'none';

  async resumeTask(taskToken: string, result: { output: unknown } | { error: string; cause: string }) {
    const loss = this.loseNextAnswer;
    this.loseNextAnswer = 'none';
    if (loss === 'none') return this.send(taskToken, result);
    if (loss !== 'not done, every attempt unanswered') await this.send(taskToken, result);
    if (loss === 'done, retry hears TaskTimedOut') throw new TaskGoneError('Task Timed Out', 'TaskTimedOut', true);
    throw new EngineBusyError('no answer');
  }

  /** SendTaskSuccess / SendTaskFailure as Step Functions carries it out. */
  private async send(taskToken: string, result: { output: unknown } | { error: string; cause: string }) {
    if (this.goneTokens.has(taskToken)) throw new TaskGoneError(this.goneReason, this.goneReason);
    this.resumed.push({ taskToken, result });
    // A token is used once: its task is closed, and a second send answers TaskTimedOut, as Step Functions does
    // (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html, "Errors").
    this.goneTokens.add(taskToken);
  }

  /** What history() reports per execution ARN; a started run without an entry has an empty history. */
  readonly histories = new Map<string, RunHistory>();

  async history(executionArn: string): Promise<RunHistory | undefined> {
    const entry = this.histories.get(executionArn);
    if (entry !== undefined) return entry;
    return this.started.some((r) => this.arnOf(r) === executionArn) ? { events: [], truncated: false } : undefined;
  }

  private arnOf(request: StartRequest): string {
    return `${request.stateMachineArn.replace(':stateMachine:', ':execution:')}:${request.name}`;
  }

  /**
   * The Express run guard of these state machines, played into `store` as their first state would write it
   * (functions/core/runs/run-guard.ts' rules): each start of a deduped name (`hf-…`) records its run unless the
   * name already ran. `begins: false` leaves the guard unrun, as for a start whose execution has not reached it.
   */
  runGuard: { store: InMemoryDedupeStore; stateMachines: ReadonlySet<string>; begins?: boolean } | undefined;

  async start(request: StartRequest): Promise<RunHandle> {
    if (this.failWith !== undefined) throw this.failWith;
    this.started.push(request);
    const run = {
      // An Express execution's ARN ends in an id AWS picks: a second start of a name gets another ARN.
      executionArn: `${request.stateMachineArn.replace(':stateMachine:', ':express:')}:${request.name}:${this.started.length}`,
      startDate: new Date(0).toISOString(),
    };
    const guard = this.runGuard;
    if (
      guard !== undefined &&
      guard.begins !== false &&
      guard.stateMachines.has(request.stateMachineArn) &&
      request.name.startsWith(DEDUPED_NAME_PREFIX)
    ) {
      const key = runGuardKey(request.stateMachineArn, request.name);
      if (runGuardAdmits(guard.store.guardRuns.get(key), run.executionArn)) guard.store.guardRuns.set(key, run);
    }
    return request.workflowType === 'EXPRESS' && guard?.stateMachines.has(request.stateMachineArn) === true
      ? run
      : { ...run, executionArn: this.arnOf(request) };
  }
}

/**
 * DynamoDB refuses a partition key over 2,048 bytes (a ValidationException, which a handler turns into 500):
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-partition-sort-keys
 * The fakes refuse it too, so a test with a long id fails here as it would in AWS.
 */
export function assertPartitionKeySize(pk: string): void {
  const bytes = Buffer.byteLength(pk, 'utf8');
  if (bytes > 2048) {
    throw new Error(
      `ValidationException: One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes (${bytes})`,
    );
  }
}

/**
 * Dedupe claims in memory. The rules are BaseDedupeStore's, the same the DynamoDB adapter writes as
 * condition expressions: this class only stores, evaluating each rule where DynamoDB would evaluate its
 * condition, so the startRun tests exercise the rule itself, not a copy of it.
 */
export class InMemoryDedupeStore extends BaseDedupeStore {
  readonly records = new Map<string, DedupeRecord>();
  /** Delivery records moved off a replaced claim (DynamoDbDedupeStore: `dlv#` items), by id. */
  readonly archived = new Map<string, DeliveryRecord>();
  failCompleteWith: Error | undefined;
  /** The Express run guard's items (`run#…`, in DynamoDB the dedupe table's): written by FakeEngine.runGuard. */
  readonly guardRuns = new Map<string, RunHandle>();

  async guardedRun(stateMachineArn: string, executionName: string): Promise<RunHandle | undefined> {
    return this.guardRuns.get(runGuardKey(stateMachineArn, executionName));
  }

  protected async putIfFree(record: DedupeRecord, nowMs: number): Promise<FirstWrite> {
    assertPartitionKeySize(record.key); // DynamoDbDedupeStore uses the key as the pk as it is
    const existing = this.records.get(record.key);
    if (existing !== undefined && !isExpired(existing, nowMs)) return { stored: false, existing };
    this.records.set(record.key, record);
    return existing === undefined ? { stored: true } : { stored: true, replaced: existing };
  }

  protected async archive(delivery: DeliveryRecord): Promise<void> {
    this.archived.set(delivery.id, delivery);
  }

  protected async replaceOwner(record: DedupeRecord, previousOwner: string): Promise<boolean> {
    const current = this.records.get(record.key);
    if (current?.owner !== previousOwner || current.run !== undefined) return false;
    this.records.set(record.key, record);
    return true;
  }

  protected async read(key: string): Promise<DedupeRecord | undefined> {
    return this.records.get(key);
  }

  async complete(key: string, owner: string, run: RunHandle): Promise<void> {
    if (this.failCompleteWith !== undefined) throw this.failCompleteWith;
    const record = this.records.get(key);
    if (record !== undefined && mayComplete(record, owner)) this.records.set(key, completed(record, run));
  }

  async release(key: string, owner: string): Promise<void> {
    const record = this.records.get(key);
    if (record !== undefined && mayRelease(record, owner)) this.records.delete(key);
  }
}

/** A logger that writes nowhere, for tests that don't assert on logs. */
export const silentLogger = new Logger({ serviceName: 'hookflow-test', logLevel: 'SILENT' });

/** Waiting tasks in memory, with the same claim-once contract as DynamoDbWaitStore. */
/** The wait store in memory: every decision is a rule of functions/styles/events/wait-rules.ts, as in DynamoDB. */
export class InMemoryWaitStore implements WaitStore {
  readonly tasks = new Map<string, WaitingTask>();
  /** The items' TTL attribute (epoch seconds), by `ref/topic`, as DynamoDbWaitStore writes it. */
  readonly expiresAt = new Map<string, number>();
  /** Early callbacks as kept, by `ref/topic`. */
  readonly early = new Map<string, EarlyCallback>();

  add(task: Partial<WaitingTask> & { ref: string; topic: string; taskToken: string }): this {
    this.tasks.set(`${task.ref}/${task.topic}`, {
      enteredTime: new Date().toISOString(),
      timeoutSeconds: 3600,
      status: 'WAITING',
      ...task,
    });
    return this;
  }

  /** The item as the rules see it. */
  private item(key: string): waitRules.WaitItem | undefined {
    const task = this.tasks.get(key);
    if (task === undefined) return undefined;
    const expiresAt = this.expiresAt.get(key);
    return expiresAt === undefined ? task : { ...task, expiresAt };
  }

  async get(ref: string, topic: string) {
    return this.tasks.get(`${ref}/${topic}`);
  }

  async claim(ref: string, topic: string, claim: TaskClaim) {
    const key = `${ref}/${topic}`;
    if (!waitRules.mayClaim(this.item(key), claim.taskToken, claim.now)) return false;
    const { resumedBy: _previous, ...rest } = this.tasks.get(key)!;
    this.tasks.set(key, {
      ...rest,
      status: 'CLAIMED',
      claimOwner: claim.owner,
      leaseUntil: claim.leaseUntil,
      ...(claim.eventId === undefined ? {} : { resumedBy: claim.eventId }),
    });
    return true;
  }

  async confirm(ref: string, topic: string, owner: string, eventId?: string) {
    const key = `${ref}/${topic}`;
    if (!waitRules.holdsClaim(this.item(key), owner)) return false;
    const { resumedBy: _previous, ...rest } = this.tasks.get(key)!;
    this.tasks.set(key, { ...rest, status: 'RESUMED', ...(eventId === undefined ? {} : { resumedBy: eventId }) });
    this.expiresAt.set(key, keptADay());
    return true;
  }

  async keepEarly(ref: string, topic: string, callback: EarlyCallback, now: number) {
    const key = `${ref}/${topic}`;
    if (!waitRules.mayKeepEarly(this.item(key), now)) return false;
    this.keep(ref, topic, callback);
    return true;
  }

  /** The EARLY item, as DynamoDbWaitStore writes it: nothing of what was there before is left. */
  private keep(ref: string, topic: string, callback: EarlyCallback) {
    const key = `${ref}/${topic}`;
    this.early.set(key, callback);
    this.expiresAt.set(key, Math.floor(callback.expiresAt.getTime() / 1000));
    this.tasks.set(key, {
      ref,
      topic,
      status: 'EARLY',
      expiresAtIso: callback.expiresAt.toISOString(),
      ...(callback.eventId === undefined ? {} : { resumedBy: callback.eventId }),
    });
  }

  async beginWait(wait: BeginningWait, now: number) {
    const key = `${wait.ref}/${wait.topic}`;
    if (!waitRules.mayBeginWait(this.item(key), wait, now)) return false;
    const { expiresAt, ...task } = wait;
    this.tasks.set(key, { ...task, status: 'WAITING' });
    this.expiresAt.set(key, expiresAt);
    this.early.delete(key);
    return true;
  }

  async takeEarly(ref: string, topic: string, taker: { executionArn: string; now: number; retainUntil: number }) {
    const key = `${ref}/${topic}`;
    if (!waitRules.isLiveEarly(this.item(key), taker.now)) return undefined;
    this.tasks.set(key, { ...this.tasks.get(key)!, status: 'RESUMED', executionArn: taker.executionArn });
    this.expiresAt.set(key, taker.retainUntil);
    return this.early.get(key);
  }

  async returnEarly(ref: string, topic: string, callback: EarlyCallback) {
    const key = `${ref}/${topic}`;
    if (!waitRules.mayReturnEarly(this.item(key))) return;
    const { executionArn: _taker, ...early } = this.tasks.get(key)!;
    this.tasks.set(key, { ...early, status: 'EARLY' });
    this.expiresAt.set(key, Math.floor(callback.expiresAt.getTime() / 1000));
  }

  async keepEarlyInstead(ref: string, topic: string, owner: string, callback: EarlyCallback) {
    const key = `${ref}/${topic}`;
    if (!waitRules.holdsClaim(this.item(key), owner)) return false;
    this.keep(ref, topic, callback);
    return true;
  }

  async release(ref: string, topic: string, owner: string) {
    const key = `${ref}/${topic}`;
    if (!waitRules.holdsClaim(this.item(key), owner)) return;
    const { claimOwner: _o, leaseUntil: _l, resumedBy: _r, ...rest } = this.tasks.get(key)!;
    this.tasks.set(key, { ...rest, status: 'WAITING' });
  }

  async markExpired(ref: string, topic: string, taskToken: string) {
    const key = `${ref}/${topic}`;
    if (!waitRules.mayMarkExpired(this.item(key), taskToken)) return false;
    this.tasks.set(key, { ...this.tasks.get(key)!, status: 'EXPIRED' });
    this.expiresAt.set(key, keptADay());
    return true;
  }
}

/** As DynamoDbWaitStore keeps a finished wait item: a day, for late duplicates to get 409 rather than 404. */
const keptADay = () => Math.floor(Date.now() / 1000) + 24 * 60 * 60;

/**
 * The settings every events-style handler test shares (maxBodyBytes 10,000, early callbacks kept an hour, a 30 s claim
 * lease, console links), around the ports it passes.
 */
export function eventsTestDeps<Ports extends { readonly now: () => number }>(ports: Ports) {
  return {
    deliveries: new InMemoryDeliveryLedger(),
    logger: silentLogger,
    maxBodyBytes: 10_000,
    earlyCallbackTtlSeconds: 3600,
    claimLeaseSeconds: 30,
    executionLink: executionLinker('https://console.example/{executionArn}'),
    ...ports,
  };
}
