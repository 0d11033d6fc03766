import { createHash } from 'node:crypto';
import type { HookflowBodyReference } from './body-reference';
import { runInputJson } from './run-input-json';

export { type HookflowBodyReference, isHookflowBodyReference } from './body-reference';
import type { BodyStore } from '../deliveries/log';
import { newDeliveryId } from '../deliveries/ids';
import { DomainError, EngineBusyError, TooLargeError } from '../outcomes';
import type { Clock } from '../clock';
import { crashPoint } from '../faults/crash-point';
import type { Logger } from '@aws-lambda-powertools/logger';

/**
 * The claim-check (issue 19 item 2): a run whose input would pass Step Functions' execution input limit gets a
 * reference to the stored body where its payload would be, instead of the payload. docs/request-bodies.md, "Large
 * bodies", is the user's account of the same; `readHookflowBody` (lib/read-hookflow-body.ts) reads it back.
 */

/**
 * Step Functions' execution input limit: StartExecution's and StartSyncExecution's `input` is at most 262,144, and
 * "Length constraints apply to the payload size, and are expressed as bytes in UTF-8 encoding"
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html; the quota, 256 KiB:
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */
export const STEP_FUNCTIONS_MAX_INPUT_BYTES = 262_144;

/**
 * The size rule, pure: the input as the engine adapters send it (`JSON.stringify`, functions/adapters/aws/sfn-engine.ts)
 * measured in UTF-8 bytes, as Step Functions measures it. A character outside ASCII counts 2 to 4 bytes.
 */
export function runInputBytes(input: unknown): number {
  return Buffer.byteLength(runInputJson(input), 'utf8');
}

export function fitsRunInput(input: unknown, limit: number = STEP_FUNCTIONS_MAX_INPUT_BYTES): boolean {
  return runInputBytes(input) <= limit;
}

export interface ClaimCheckRequest<Input> {
  /** The payload as the run would carry it (the parsed body, as each style passes it on). */
  readonly payload: unknown;
  /** The style's run input around a payload: called with the payload, then (when too large) with the reference. */
  readonly build: (payload: unknown) => Input;
  /**
   * The raw request bytes, exactly as received: what is stored, and what the reference's sha256 is of. Or a function
   * that gives them, called only when the input is too large, once: for bytes that must be written first (an event's
   * data as JSON), which an input within the limit, nearly every one, never needs.
   */
  readonly raw: Buffer | (() => Buffer);
  readonly contentType?: string;
  /**
   * The object's id; a new delivery-style id when absent, as every style leaves it. Not the delivery's own id: the
   * delivery record stores the request's raw bytes under that id, and what a run gets may differ from them (a
   * client webhook's body without its key, a Graph notification without its clientState), so the two never share
   * an object (docs/deliveries.md, "Where bodies live").
   */
  readonly deliveryId?: string;
}

/**
 * Builds a run's input: as before when it fits Step Functions' limit (no store call at all), else with the body
 * stored (one PutObject) and a reference in the payload's place. Called before the dedupe claim, so that a store
 * that is down leaves nothing claimed and nothing started: the sender gets 503 with Retry-After and resends.
 */
export type ClaimCheck = <Input>(request: ClaimCheckRequest<Input>) => Promise<Input>;

export interface ClaimCheckDeps {
  /** Absent when no bucket is configured (BODIES_BUCKET unset): an input over the limit is then refused with 413. */
  readonly bodies?: BodyStore;
  readonly now?: Clock;
  /** Where a store failure is logged (the sender is only told to retry). */
  readonly logger?: Pick<Logger, 'warn'>;
}

export function makeClaimCheck(deps: ClaimCheckDeps, limit: number = STEP_FUNCTIONS_MAX_INPUT_BYTES): ClaimCheck {
  const now = deps.now ?? Date.now;
  return async ({ payload, build, raw: rawOrThunk, contentType, deliveryId }) => {
    const input = build(payload);
    const bytes = runInputBytes(input);
    if (bytes <= limit) return input;
    const raw = typeof rawOrThunk === 'function' ? rawOrThunk() : rawOrThunk;
    if (deps.bodies === undefined) {
      throw new TooLargeError(
        `the workflow input would be ${bytes} bytes; Step Functions accepts at most ${limit}, and no body store is configured for larger bodies`,
      );
    }
    let stored;
    try {
      stored = await deps.bodies.put(deliveryId ?? newDeliveryId(now()), raw);
    } catch (error) {
      deps.logger?.warn('request body not stored; answered 503', { error: error as Error });
      if (error instanceof DomainError) throw error;
      // Nothing is claimed or started yet: the sender's retry finds everything as it was.
      throw new EngineBusyError('the body store did not keep the request body; nothing was started, retry shortly');
    }
    crashPoint('body-stored');
    const reference: HookflowBodyReference = {
      hookflowBody: {
        bucket: stored.bucket,
        key: stored.key,
        bytes: raw.length,
        sha256: createHash('sha256').update(raw).digest('hex'),
        ...(contentType === undefined ? {} : { contentType }),
      },
    };
    const checked = build(reference);
    const checkedBytes = runInputBytes(checked);
    if (checkedBytes > limit) {
      // What is left besides the payload (headers, query) is itself too large: no reference can help.
      throw new TooLargeError(
        `the workflow input would be ${checkedBytes} bytes even with the body stored apart; Step Functions accepts at most ${limit}`,
      );
    }
    return checked;
  };
}

/** The claim-check of a handler wired without a body store: an input over the limit is refused with 413. */
export const withoutBodyStore: ClaimCheck = makeClaimCheck({});
