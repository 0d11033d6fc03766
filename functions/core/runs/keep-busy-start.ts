import type { Delivery } from '../deliveries/recorder';
import { crashPoint } from '../faults/crash-point';
import { EngineBusyError } from '../outcomes';
import type { WorkQueue } from '../ports';
import { firstQueuedDelaySeconds } from './queue-when-busy';
import type { RunNaming, RunTarget } from './start-run';
import { type FanoutMessage, encodeFanoutMessage } from './queued-start-message';

/** A start of a registration that queues, whose run's name was fixed before it was tried (the claim, or the naming). */
export interface BusyStart {
  readonly style: 'events' | 'client-webhook' | 'flow-trigger';
  readonly target: RunTarget;
  readonly input: unknown;
  /** Keyed: the claim the run starter kept (keepClaimWhenBusy), which the queued start takes over after its lease. */
  readonly dedupe?: { readonly key: string; readonly fingerprint: string };
  /** Unkeyed: the delivery's naming, which the queued start asks for again. */
  readonly naming?: RunNaming;
  readonly delivery: Delivery;
  /**
   * Keyed, but the claim does not carry the delivery's record (CloudEvents: one request, a claim per event and
   * subscriber, none carrying it): the message carries it, as an unkeyed one's.
   */
  readonly recordApart?: boolean;
}

/**
 * Queue when busy (docs/deliveries.md) for a style whose answer names its run: keeps `start` on the fan-out queue when
 * `error` is a busy engine's that names the run (`runName`), and returns that name; otherwise, or when SQS refuses the
 * message, throws `error` (the engine's 503 and its Retry-After). An unkeyed start's record is an item of its own:
 * the message carries it, for the worker to write if this handler dies before its answer; a keyed one's kept claim
 * carries it.
 */
export async function keepBusyStart(queue: WorkQueue, error: unknown, start: BusyStart): Promise<string> {
  if (!(error instanceof EngineBusyError) || error.runName === undefined) throw error;
  const { delivery, dedupe, naming } = start;
  const rebuilt = dedupe === undefined || start.recordApart === true ? delivery.rebuilt() : undefined;
  const message: FanoutMessage = {
    v: 1,
    style: start.style,
    ...(dedupe === undefined ? { naming: naming! } : { dedupeKey: dedupe.key, fingerprint: dedupe.fingerprint }),
    deliveryId: delivery.id,
    ...(rebuilt === undefined ? {} : { record: rebuilt }),
    target: { stateMachineArn: start.target.stateMachineArn, workflowType: start.target.workflowType },
    input: start.input,
  };
  if (!(await sendQueuedStart(queue, delivery.id, message, error))) throw error;
  delivery.queued();
  return error.runName;
}

/**
 * The one send of a queued start, whatever built its message: to the fan-out queue under `id`, delayed by the busy
 * answer's Retry-After (firstQueuedDelaySeconds). False when SQS refused it: nothing was kept, and the caller lets
 * the engine's 503 stand, as a registration that rejects would.
 */
export async function sendQueuedStart(
  queue: WorkQueue,
  id: string,
  message: FanoutMessage,
  busy: EngineBusyError,
): Promise<boolean> {
  try {
    await queue.sendDelayed({ id, body: encodeFanoutMessage(message) }, firstQueuedDelaySeconds(busy));
  } catch {
    return false;
  }
  crashPoint('busy-delivery-queued');
  return true;
}
