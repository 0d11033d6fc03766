import { AsyncLocalStorage } from 'node:async_hooks';
import type { Deadline } from '../../http/http-handler';
import { adjustEachAttempt, withAbortSignal } from './attempt-options';

/**
 * An invocation's deadline, as every AWS call of it sees it (docs/scale.md, gap 9). A handler that would run past
 * its Lambda timeout answers 503 with Retry-After ANSWER_RESERVE_MS before it instead of being stopped (API
 * Gateway's bare 500). For that, the calls the request left behind must not go on: Lambda freezes the environment
 * once the handler answers and thaws it for the next request, where a call still in flight, or one an SDK retry
 * sends after its backoff, would land on behalf of a request already answered. So at the deadline every call of
 * the invocation is cut short: the request in flight is aborted, and any later attempt, or new call, of that
 * invocation is refused before it is sent (an AbortError, which the SDK does not retry: @smithy/core's retry
 * module, `isTransientError`, excludes it by name).
 *
 * Each call finds its invocation through AsyncLocalStorage, which follows the request's own async chain, so
 * invocations that share a process (the local stack runs every handler in one) never cut each other's calls.
 * Its CPU: ×1.09 per SDK call with Node 22's default implementation, ×1.00 with
 * `--experimental-async-context-frame` (the default from Node 24), which the construct sets in NODE_OPTIONS
 * (lib/handler-bundling.ts; measured by bench/support/async-context-cost.ts).
 *
 * The S3 body store and the SQS fan-out queue, second files beside a handler's bundle (lib/handler-bundling.ts),
 * are handed `cutShortAtDeadline` from it (./clients.ts, ./body-store.ts): one storage, the handler's.
 */
const storage = new AsyncLocalStorage<AbortSignal>();

/** What `within` resolves to when the deadline came first. */
const PASSED = { done: false } as const;

/**
 * Runs `work` with every AWS call it makes cut short at `atMs` (epoch ms): its result, or `{ done: false }` once
 * the deadline has come first (its outcome is then dropped).
 */
export const invocationDeadline: Pick<Deadline, 'within'> = {
  within<T>(atMs: number, work: () => Promise<T>): Promise<{ done: true; value: T } | { done: false }> {
    const controller = new AbortController();
    // One promise and one timer per request, settled by whichever comes first (an outcome after the deadline is
    // dropped, not left unhandled): it runs on every request, where Promise.race and finally cost more.
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          controller.abort(deadlinePassed());
          resolve(PASSED);
        },
        Math.max(0, atMs - Date.now()),
      );
      storage.run(controller.signal, work).then(
        (value) => {
          clearTimeout(timer);
          resolve({ done: true, value });
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error as Error);
        },
      );
    });
  },
};

/**
 * Runs `work` outside any invocation's deadline: for a read that concurrent requests share (the registry cache,
 * functions/core/registry-cache.ts `detach`), which one request's deadline must not cut short for the others.
 */
export function outsideDeadline<T>(work: () => Promise<T>): Promise<T> {
  return storage.exit(work);
}

/** What a client looks like here: its HTTP handler is where each attempt is sent (./attempt-options.ts). */
interface WatchedClient {
  readonly config: { readonly requestHandler: unknown };
}

/**
 * Cuts `client`'s calls short at their invocation's deadline (above); calls made outside one go as they came. In
 * the client's HTTP handler, where each attempt of a call is sent (below the SDK's retries, so every attempt passes
 * it) and where the SDK applies `abortSignal` (./attempt-options.ts): there, still in the call's own async context,
 * an attempt after the deadline is refused unsent and an attempt in flight is aborted at it, whatever signal it
 * already carries (a sync start's own, ./sfn-sync-attempts.ts).
 */
export function cutShortAtDeadline<Client extends WatchedClient>(client: Client): Client {
  adjustEachAttempt(client, 'invocation deadline', (_request, options) => {
    const deadline = storage.getStore();
    if (deadline === undefined) return options;
    if (deadline.aborted) throw deadlinePassed();
    return withAbortSignal(options, deadline);
  });
  return client;
}

/** The AbortError a call cut short at its invocation's deadline fails with (the SDK retries no AbortError). */
function deadlinePassed(): Error {
  return Object.assign(new Error("the invocation's deadline has passed; call not sent"), { name: 'AbortError' });
}
