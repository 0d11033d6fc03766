import type { InboundWorkflowRecord, Registry, WorkQueue } from '../../core/ports';
import { assertSharedSecret } from '../../core/auth/shared-secret';
import { NotFoundError, TooLargeError } from '../../core/outcomes';
import type { StartRun } from '../../core/runs/start-run';
import { type FanoutMessage, UID_FINGERPRINT, encodeFanoutMessage } from './fanout-message';
import type { InboundItem, InboundRequest } from './request';
import { type RunRef, runRefFor } from './run-refs';
import {
  type RegistrationVerifyDeps,
  type VerifiedRegistration,
  startVerified,
  verifyRegistration,
} from '../../core/verify/verify-registration';
import { dateOf } from '../../core/clock';

export interface InboundDeps extends RegistrationVerifyDeps {
  readonly registry: Registry;
  readonly startRun: StartRun;
  readonly queue: WorkQueue;
  readonly executionLink: (executionArn: string) => string;
  /** Largest workflow input one item may make (Step Functions takes 256 KiB). */
  readonly maxInputBytes: number;
}

export type InboundAccepted =
  | {
      readonly kind: 'started';
      readonly uid: string | null;
      readonly runRef: string | null;
      readonly executionArn: string;
      readonly executionLink: string;
      readonly replayed: boolean;
    }
  | {
      readonly kind: 'queued';
      /** `queued: false` only when SQS kept refusing the item after retries: it was not accepted. */
      readonly entries: readonly { index: number; uid: string | null; runRef: string; queued: boolean }[];
    };

/**
 * The inbound rules (seed 4): check the shared secret (401), resolve every named workflow (404, naming the
 * batch item), then either start the single request's run (deduped on its uid) or queue every batch item
 * for the fan-out worker. Nothing is queued unless every item is valid.
 */
export async function acceptInbound(deps: InboundDeps, request: InboundRequest): Promise<InboundAccepted> {
  const [secretHashes, verifier] = await Promise.all([
    deps.registry.getInboundSecretHashes(),
    deps.registry.getInboundVerifier(),
  ]);
  assertSharedSecret(request.secret, secretHashes, 'Inbound-Webhook-Secret');
  const verified = await verifyRegistration(deps, 'inbound', verifier, request.signed);
  // A verified delivery is settled with its start (or its queueing): a 503 releases it for the sender's retry.
  return startVerified(deps, verified, async () => {
    const accepted = await accept(deps, request);
    if (accepted.kind === 'queued' && accepted.entries.some((entry) => !entry.queued)) {
      await releaseForRetry(verified);
    }
    return accepted;
  });
}

/** Part of a batch was refused (503): the sender may resend the whole batch, which must not be a replay. */
async function releaseForRetry(verified: VerifiedRegistration | undefined): Promise<void> {
  await verified?.claim?.release();
}

async function accept(deps: InboundDeps, request: InboundRequest): Promise<InboundAccepted> {
  const workflows = await resolveWorkflows(deps.registry, [request.workflow, ...request.items.map((i) => i.workflow)]);
  if (workflows.get(request.workflow) === undefined) {
    throw new NotFoundError(`workflow "${request.workflow}" does not exist`);
  }
  const receivedAt = dateOf(deps.now).toISOString();
  const prepared = request.items.map((item) => {
    const workflow = workflows.get(item.workflow);
    if (workflow === undefined) {
      throw new NotFoundError(`${where(item)}workflow "${item.workflow}" does not exist`);
    }
    const ref = item.uid !== undefined || request.batch ? runRefFor(item.uid) : undefined;
    const input = workflowInput(item, workflow, ref, receivedAt);
    const bytes = Buffer.byteLength(JSON.stringify(input));
    if (bytes > deps.maxInputBytes) {
      throw new TooLargeError(
        `${where(item)}the workflow input would be ${bytes} bytes; the limit is ${deps.maxInputBytes} bytes`,
      );
    }
    return { item, workflow, ref, input };
  });

  if (!request.batch) {
    const { item, workflow, ref, input } = prepared[0]!;
    const { run, replayed } = await deps.startRun({
      target: workflow,
      input,
      ...(ref === undefined ? {} : { dedupe: { key: ref.dedupeKey, fingerprint: UID_FINGERPRINT } }),
    });
    return {
      kind: 'started',
      uid: item.uid ?? null,
      runRef: ref?.runRef ?? null,
      executionArn: run.executionArn,
      executionLink: deps.executionLink(run.executionArn),
      replayed,
    };
  }

  const messages = prepared.map(({ item, workflow, ref, input }) => {
    const message: FanoutMessage = {
      v: 1,
      runRef: ref!.runRef,
      dedupeKey: ref!.dedupeKey,
      target: { stateMachineArn: workflow.stateMachineArn, workflowType: workflow.workflowType },
      input,
    };
    return { id: String(item.index), body: encodeFanoutMessage(message) };
  });
  const { failedIds } = await deps.queue.sendAll(messages);
  const failed = new Set(failedIds);
  return {
    kind: 'queued',
    entries: prepared.map(({ item, ref }) => ({
      index: item.index!,
      uid: item.uid ?? null,
      runRef: ref!.runRef,
      queued: !failed.has(String(item.index)),
    })),
  };
}

/** What the workflow sees: `$.stateValues.<state>` and `$.runtime.<field>` mirror seed 4's handlebars. */
function workflowInput(
  item: InboundItem,
  workflow: InboundWorkflowRecord,
  ref: RunRef | undefined,
  receivedAt: string,
) {
  return {
    stateValues: item.stateValues,
    runtime: item.runtime,
    trigger: {
      style: 'inbound',
      workflow: workflow.name,
      workflowId: workflow.workflowId,
      uid: item.uid ?? null,
      runRef: ref?.runRef ?? null,
      ...(item.index === undefined ? {} : { batchIndex: item.index }),
      receivedAt,
    },
  };
}

async function resolveWorkflows(registry: Registry, refs: readonly string[]) {
  const unique = [...new Set(refs)];
  const found = await Promise.all(unique.map(async (ref) => [ref, await registry.getInboundWorkflow(ref)] as const));
  return new Map(found.filter((entry): entry is readonly [string, InboundWorkflowRecord] => entry[1] !== undefined));
}

const where = (item: InboundItem) => (item.index === undefined ? '' : `batch[${item.index}]: `);
