import { randomUUID } from 'node:crypto';
import type { WhenBusy } from '../registration';
import { EngineBusyError } from '../outcomes';
import { QUEUE_MAX_DELAY_SECONDS } from '../ports';

/**
 * Queue when busy (docs/deliveries.md): the rules a style applies when its start fails, written once. The style
 * keeps the HTTP and the message (it knows its target and input); the core decides and names the run.
 */

/**
 * Whether a failed start is kept for later: only a busy engine (throttled, briefly down, or no answer: whether
 * nothing started or it may have), only for a registration that queues, and only when the request has a delivery
 * id to give back. Anything else stays the answer it was (a 503 the sender retries, a 4xx).
 */
export function keepsWhenBusy(error: unknown, whenBusy: WhenBusy, deliveryId: string | undefined): boolean {
  return whenBusy === 'queue' && deliveryId !== undefined && error instanceof EngineBusyError;
}

/**
 * What names an unkeyed start of a registration that queues: its delivery, and a random nonce. The request's own start
 * and the queued one (the message carries this naming) then ask Step Functions for the same execution name
 * (start-run.ts `naming`), so they can only ever be one run. The nonce keeps the name unguessable, as a random name
 * is: an execution name is a run's ref, which a callback names to resume its waiting task (docs/security.md), and a
 * delivery id alone could be guessed from another one of the same millisecond (ULIDs are monotonic).
 */
export function deliveryNaming(
  deliveryId: string,
  receivedAtMs: number,
  nonce: string = randomUUID(),
): { key: string; createdAt: number } {
  return { key: `dlv#${deliveryId}#${nonce}`, createdAt: receivedAtMs };
}

/**
 * When the queued start is first tried (seconds, for SQS's DelaySeconds, 0-900): the busy outcome's Retry-After.
 * A start that may have happened holds its claim that long; before, the worker would only find it still held.
 */
export function firstQueuedDelaySeconds(error: EngineBusyError): number {
  return Math.min(QUEUE_MAX_DELAY_SECONDS, Math.max(0, error.retryAfterSeconds));
}
