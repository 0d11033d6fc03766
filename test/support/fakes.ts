import { Logger } from '@aws-lambda-powertools/logger';
import type {
  ApiKeyRecord,
  ClaimRequest,
  ClaimResult,
  DedupeRecord,
  DedupeStore,
  FlowRecord,
  Registry,
  RunHandle,
  StartRequest,
  WorkflowEngine,
} from '../../functions/core/ports';
import { sha256Hex } from '../../functions/core/http/request';

/** In-memory ports with the same contracts as the DynamoDB / Step Functions adapters. */
export class FakeRegistry implements Registry {
  readonly flows = new Map<string, FlowRecord>();
  readonly apiKeys = new Map<string, ApiKeyRecord>();

  addFlow(flow: Partial<FlowRecord> & { flowId: string }): this {
    this.flows.set(flow.flowId, {
      stateMachineArn: `arn:aws:states:us-east-1:000000000000:stateMachine:${flow.flowId}`,
      workflowType: 'EXPRESS',
      published: true,
      ...flow,
    });
    return this;
  }

  addApiKey(key: string, record: Partial<ApiKeyRecord> & { keyId: string }): this {
    const keyHash = sha256Hex(key);
    this.apiKeys.set(keyHash, { keyHash, flows: ['*'], disabled: false, ...record });
    return this;
  }

  async getFlow(flowId: string) {
    return this.flows.get(flowId);
  }

  async getApiKeyByHash(keyHash: string) {
    return this.apiKeys.get(keyHash);
  }
}

export class FakeEngine implements WorkflowEngine {
  readonly started: StartRequest[] = [];
  failWith: Error | undefined;

  async start(request: StartRequest): Promise<RunHandle> {
    if (this.failWith !== undefined) throw this.failWith;
    this.started.push(request);
    return {
      executionArn: `${request.stateMachineArn.replace(':stateMachine:', ':execution:')}:${request.name}`,
      startDate: new Date(0).toISOString(),
    };
  }
}

export class InMemoryDedupeStore implements DedupeStore {
  readonly records = new Map<string, DedupeRecord>();
  failCompleteWith: Error | undefined;

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const existing = await this.get(request.key, request.now);
    if (existing === undefined) {
      const record: DedupeRecord = {
        key: request.key,
        fingerprint: request.fingerprint,
        owner: request.owner,
        createdAt: request.now,
        leaseUntil: request.now + request.leaseMs,
        expiresAt: Math.floor(request.now / 1000) + request.ttlSeconds,
      };
      this.records.set(request.key, record);
      return { outcome: 'claimed', record };
    }
    if (existing.run === undefined && existing.leaseUntil <= request.now) {
      const record = { ...existing, owner: request.owner, leaseUntil: request.now + request.leaseMs };
      this.records.set(request.key, record);
      return { outcome: 'claimed', record };
    }
    return { outcome: 'duplicate', record: existing };
  }

  async complete(key: string, owner: string, run: RunHandle): Promise<void> {
    if (this.failCompleteWith !== undefined) throw this.failCompleteWith;
    const record = this.records.get(key);
    if (record?.owner === owner) this.records.set(key, { ...record, run });
  }

  async release(key: string, owner: string): Promise<void> {
    const record = this.records.get(key);
    if (record?.owner === owner && record.run === undefined) this.records.delete(key);
  }

  async get(key: string, now: number): Promise<DedupeRecord | undefined> {
    const record = this.records.get(key);
    return record !== undefined && record.expiresAt * 1000 > now ? record : undefined;
  }
}

/** A logger that writes nowhere, for tests that don't assert on logs. */
export const silentLogger = new Logger({ serviceName: 'hookflow-test', logLevel: 'SILENT' });
