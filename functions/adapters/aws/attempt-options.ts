/**
 * What a client's HTTP handler applies to each attempt of a call, adjusted per attempt: the one place the SDK
 * hands a call's options (`abortSignal`, `requestTimeout`) to, as `requestHandler.handle(request, options)`, below
 * its retries, so every attempt passes it, and still in the call's own async context. Two adjustments use it: the
 * invocation's deadline (./invocation-deadline.ts) and a sync start's attempt watch (./sfn-sync-attempts.ts).
 * Nothing goes on the middleware stack, which stays the same for every request, as clients.ts requires of cached
 * middleware.
 *
 * One wrapper per client, whatever adjusts it; adjustments run in the order they were added, and each merges an
 * abort signal with the one it was handed (`withAbortSignal`) rather than replacing it, so the order does not
 * decide which signal holds: an attempt is aborted by any of them.
 */

/** What the SDK hands a client's HTTP handler with each attempt's request. */
export interface AttemptOptions {
  readonly abortSignal?: AbortSignal;
  readonly requestTimeout?: number;
  readonly [option: string]: unknown;
}

/**
 * One adjustment: the options to send `request` with, from those it came with. Throwing refuses the attempt
 * unsent: the call fails with what was thrown.
 */
export type AdjustAttempt = (request: object, options: AttemptOptions | undefined) => AttemptOptions | undefined;

interface AdjustableClient {
  readonly config: { readonly requestHandler: unknown };
}

/** Each adjusted client's adjustments, by name, in the order added (an array: it is walked on every attempt). */
const adjustmentsOf = new WeakMap<object, { names: Set<string>; all: AdjustAttempt[] }>();

/** Adds `adjust`, under `name`, to what `client`'s HTTP handler applies to every attempt; once per name. */
export function adjustEachAttempt(client: AdjustableClient, name: string, adjust: AdjustAttempt): void {
  let adjustments = adjustmentsOf.get(client);
  if (adjustments === undefined) {
    adjustments = { names: new Set(), all: [] };
    adjustmentsOf.set(client, adjustments);
    const { all } = adjustments;
    const handler = client.config.requestHandler as {
      handle(request: object, options?: AttemptOptions): Promise<unknown>;
    };
    const handle = handler.handle.bind(handler);
    handler.handle = (request, options) => {
      let adjusted = options;
      try {
        for (const each of all) adjusted = each(request, adjusted);
      } catch (refused) {
        return Promise.reject(refused as Error);
      }
      return handle(request, adjusted);
    };
  }
  if (adjustments.names.has(name)) return;
  adjustments.names.add(name);
  adjustments.all.push(adjust);
}

/** `options` with `signal` added to its abort signal: aborted when either is. */
export function withAbortSignal(options: AttemptOptions | undefined, signal: AbortSignal): AttemptOptions {
  const own = options?.abortSignal;
  return { ...options, abortSignal: own === undefined || own === signal ? signal : AbortSignal.any([own, signal]) };
}
