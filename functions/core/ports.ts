/**
 * The small interfaces the core talks to. The core never imports @aws-sdk: one adapter per AWS client
 * implements each port (functions/adapters/aws/), and tests or the local stack wire real or local ones.
 */

export type WorkflowType = 'EXPRESS' | 'STANDARD';

/** A flow: a named, publishable binding of a webhook to a state machine. */
export interface FlowRecord {
  readonly flowId: string;
  readonly stateMachineArn: string;
  readonly workflowType: WorkflowType;
  readonly published: boolean;
}

/** An API key as stored: only the SHA-256 of the key, never the key itself. */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly keyHash: string;
  /** Flow ids this key may trigger; `*` allows every flow. */
  readonly flows: readonly string[];
  readonly disabled: boolean;
}

export interface Registry {
  getFlow(flowId: string): Promise<FlowRecord | undefined>;
  getApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
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

export interface WorkflowEngine {
  /** Starts an execution. Starting a Standard name that already exists returns that execution, not an error. */
  start(request: StartRequest): Promise<RunHandle>;
}

/** A dedupe claim as stored. `executionArn` is set once the first request's run has started. */
export interface DedupeRecord {
  readonly key: string;
  readonly fingerprint: string;
  readonly owner: string;
  readonly createdAt: number;
  readonly leaseUntil: number;
  readonly expiresAt: number;
  readonly run?: RunHandle;
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
}

export interface DedupeStore {
  /**
   * Claims `key` with one conditional write. Succeeds when no live claim exists (absent, expired, or a
   * crashed owner's claim whose lease ran out with no run recorded); otherwise returns the live claim.
   */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Records the started run on the owner's claim. */
  complete(key: string, owner: string, run: RunHandle): Promise<void>;
  /** Gives the claim up (the run could not be started) so that a retry can claim it again. */
  release(key: string, owner: string): Promise<void>;
  get(key: string, now: number): Promise<DedupeRecord | undefined>;
}
