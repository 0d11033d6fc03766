import type { Registry, WorkQueue } from '../../core/ports';
import { assertKeyMayTrigger, authenticateApiKey } from '../../core/auth/api-keys';
import { NotFoundError } from '../../core/outcomes';
import { sha256Hex } from '../../core/auth/secrets';
import type { StartRun } from '../../core/runs/start-run';
import { type ClaimCheck, withoutBodyStore } from '../../core/runs/claim-check';
import { compositeKey } from '../../core/keys';
import { type RegistrationVerifyDeps, startVerified, verifyRegistration } from '../../core/verify/verify-registration';
import type { FlowTriggerRequest } from './request';
import { FLOW_WHEN_BUSY_DEFAULT, type FlowRecord, readFlow } from './registration';
import { deliveryNaming, keepsWhenBusy } from '../../core/runs/queue-when-busy';
import { keepBusyStart } from '../../core/runs/keep-busy-start';
import { standardExecutionArn } from '../../core/runs/execution-name';
import { dateOf } from '../../core/clock';
import type { Delivery, DeliveryRef } from '../../core/deliveries/recorder';

export interface FlowTriggerDeps extends RegistrationVerifyDeps {
  readonly registry: Registry;
  readonly startRun: StartRun;
  readonly executionLink: (executionArn: string) => string;
  /** Large bodies: the run gets a reference to the stored body (functions/core/runs/claim-check.ts). */
  readonly claimCheck?: ClaimCheck;
  /** The fan-out queue: a start the engine was too busy to make is kept there (whenBusy: queue). Absent: 503. */
  readonly queue?: WorkQueue;
}

export interface FlowTriggered {
  readonly executionLink: string;
  readonly executionArn: string;
  readonly replayed: boolean;
}

/**
 * The engine was busy and the flow queues: the trigger was kept and its run starts from the fan-out queue under
 * `executionName`, fixed already (and `executionArn`, for a Standard workflow: it follows from the name).
 */
export interface FlowQueued {
  readonly queued: true;
  readonly deliveryId: string;
  readonly executionName: string;
  readonly executionArn?: string;
}

/**
 * The flow-trigger rules (seed 1): authenticate the key (401), check it may use the flow (403), find the
 * published flow (404), then start it with the payload, deduped on the Idempotency-Key when one is sent.
 */
export async function triggerFlow(
  deps: FlowTriggerDeps,
  request: FlowTriggerRequest,
  delivery?: Delivery,
): Promise<FlowTriggered | FlowQueued> {
  const apiKey = await authenticateApiKey(deps.registry, request.apiKey)
    .then((key) => {
      assertKeyMayTrigger(key, request.flowId);
      return key;
    })
    .catch(async (error: unknown) => {
      // A refused key still named a flow: its delivery is recorded as refused when that flow exists. The answer is
      // the same either way (the flow is looked up only after the refusal is decided), so a key learns nothing.
      if (delivery?.recording === true) await resolveForRecord(deps, request.flowId, delivery);
      throw error;
    });

  const flow = await readFlow(deps.registry, request.flowId);
  if (flow === undefined) throw new NotFoundError(`flow "${request.flowId}" does not exist`);
  if (!flow.published) throw new NotFoundError(`flow "${request.flowId}" is not published`);
  resolvedFlow(flow, delivery, apiKey.keyId);
  const verified = await verifyRegistration(deps, `flow#${flow.flowId}`, flow.verifier, request.signed);

  // Queue when busy (opt-in): the run's name is fixed before the start, so a queued answer can name it. Keyed, the
  // claim stays when the engine refuses (the queued start takes it over after its lease, under the same name);
  // unkeyed, the delivery names the run (both starts ask for the same name).
  const queues =
    (flow.whenBusy ?? FLOW_WHEN_BUSY_DEFAULT) === 'queue' && deps.queue !== undefined && delivery !== undefined;
  const dedupe =
    request.idempotencyKey === undefined
      ? undefined
      : flowTriggerDedupe(flow.flowId, apiKey.keyId, request.idempotencyKey, request.body);
  const naming =
    dedupe === undefined && queues ? deliveryNaming(delivery!.id, delivery!.receipt.receivedAtMs) : undefined;

  // A verified delivery is settled with its start: a 503 releases it for the sender's retry.
  const claimCheck = deps.claimCheck ?? withoutBodyStore;
  return startVerified(deps, verified, async (): Promise<FlowTriggered | FlowQueued> => {
    const input = await claimCheck({
      payload: request.payload,
      raw: request.body,
      ...(request.contentType === undefined ? {} : { contentType: request.contentType }),
      build: (payload) => flowRunInput(flow.flowId, payload, dateOf(deps.now).toISOString(), delivery?.ref()),
    });
    let started;
    try {
      started = await deps.startRun({
        target: flow,
        input,
        ...(naming === undefined ? {} : { naming }),
        ...(dedupe === undefined
          ? {}
          : {
              // The claim is the delivery's record (docs/deliveries.md): its one write carries it.
              dedupe: { ...dedupe, delivery: await delivery?.forClaim(202), keepClaimWhenBusy: queues },
            }),
      });
    } catch (error) {
      if (!queues || !keepsWhenBusy(error, 'queue', delivery?.id)) throw error;
      const executionName = await keepBusyStart(deps.queue!, error, {
        style: 'flow-trigger',
        target: flow,
        input,
        ...(dedupe === undefined ? { naming: naming! } : { dedupe }),
        delivery: delivery!,
      });
      return {
        queued: true,
        deliveryId: delivery!.id,
        executionName,
        ...(flow.workflowType === 'STANDARD'
          ? { executionArn: standardExecutionArn(flow.stateMachineArn, executionName) }
          : {}),
      };
    }
    const { run, replayed } = started;
    delivery?.ran({ executionArn: run.executionArn });
    if (replayed) delivery?.deduplicated();
    return { executionLink: deps.executionLink(run.executionArn), executionArn: run.executionArn, replayed };
  });
}

/** What a flow's run gets: the payload and where it came from (a replay builds it the same way: ./replay.ts). */
export function flowRunInput(flowId: string, payload: unknown, receivedAt: string, ref?: DeliveryRef) {
  return { payload, trigger: { style: 'flow-trigger', flowId, receivedAt, ...ref } };
}

/**
 * The claim of a call with an Idempotency-Key, scoped to the flow and the key's owner (two callers can't collide on
 * each other's keys); an if-no-run replay takes the same claim from the record's `apiKeyId` (./replay.ts).
 */
export function flowTriggerDedupe(flowId: string, apiKeyId: string, idempotencyKey: string, body: Buffer) {
  return { key: compositeKey('flow-trigger', flowId, apiKeyId, idempotencyKey), fingerprint: sha256Hex(body) };
}

function resolvedFlow(flow: FlowRecord, delivery: Delivery | undefined, apiKeyId?: string): void {
  delivery?.resolved({
    style: 'flow-trigger',
    registration: flow.flowId,
    ...(apiKeyId === undefined ? {} : { apiKeyId }),
    record: flow.recordDeliveries !== false,
  });
}

/** For the record only: the flow a refused request named, if it exists and is published. */
async function resolveForRecord(deps: FlowTriggerDeps, flowId: string, delivery: Delivery): Promise<void> {
  const flow = await readFlow(deps.registry, flowId).catch(() => undefined);
  if (flow?.published === true) resolvedFlow(flow, delivery);
}
