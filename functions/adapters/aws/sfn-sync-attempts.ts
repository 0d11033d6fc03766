import type { SFNClient } from '@aws-sdk/client-sfn';
import { adjustEachAttempt, withAbortSignal } from './attempt-options';

/**
 * What a sync start's attempts (the SDK's retries included) came to, seen per attempt below the SDK's retry
 * middleware: an attempt refused with a 4xx (ThrottlingException, or the start's other refusals: StartSyncExecution's
 * "Errors", all HTTP 400, https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html)
 * started nothing; anything else (an answer, a 5xx, a cut connection) may have started the run.
 */
export interface SyncAttempts {
  /** An attempt is out with Step Functions now. */
  inFlight: boolean;
  /** An attempt was out when the wait ran out (the run may be going on). */
  inFlightAtAbort: boolean;
  /** An attempt got something other than a throttling refusal. */
  mayHaveStarted: boolean;
}

/**
 * One middleware per client, the same for every request: each start's state is found by its command's input
 * object (the very object every middleware step is handed, `args.input`), never held in a closure built per
 * request. So it stays right in a client whose middleware stack the SDK resolves once and reuses for every
 * command of a class (`cacheMiddleware`, functions/adapters/aws/clients.ts), and for concurrent starts: each one
 * reads and writes only its own entry. The entry goes with its input (a WeakMap), so nothing is left behind.
 */
const attemptsOf = new WeakMap<object, { attempts: SyncAttempts; signal: AbortSignal; requestTimeout: number }>();
const watched = new WeakSet<object>();

/** What the HTTP handler is to apply to one attempt's request: the start's abort signal and its own timeout. */
interface SyncAttemptOptions {
  readonly abortSignal: AbortSignal;
  readonly requestTimeout: number;
}
/** Each watched attempt's HTTP request, as the middleware below hands it on, to what its handler applies. */
const optionsOf = new WeakMap<object, SyncAttemptOptions>();

/**
 * The client's HTTP handler, made to apply a watched attempt's abort signal and timeout (optionsOf) to that attempt's
 * request (./attempt-options.ts). A sync start used to pass them as `send`'s per-call options; a call with options
 * is resolved on its own (its whole middleware stack built again, as without `cacheMiddleware`) and drops the
 * client's cached stacks (@smithy/core's `Client.send`): about 0.06 ms of the SDK's CPU per sync start
 * (docs/performance.md, "CPU per request"). The SDK hands a call's options to nothing but this handler and to its
 * retry middleware (to cut a backoff short when aborted: `startSync` races the abort itself). The start's signal
 * joins any the attempt already carries (the invocation's deadline, ./invocation-deadline.ts); any other request
 * goes through with the options it came with.
 */
function applyAttemptOptions(client: SFNClient): void {
  adjustEachAttempt(client, 'sync start attempt', (request, options) => {
    const attempt = optionsOf.get(request);
    return attempt === undefined
      ? options
      : { ...withAbortSignal(options, attempt.abortSignal), requestTimeout: attempt.requestTimeout };
  });
}

/** Adds the attempt watch to `client`'s stack, once however many engines share the client. */
export function addSyncAttemptWatch(client: SFNClient): void {
  if (watched.has(client)) return;
  watched.add(client);
  applyAttemptOptions(client);
  client.middlewareStack.add(
    (next) => async (args) => {
      const entry = attemptsOf.get(args.input as object);
      // Not a watched sync start (every other command): as it came.
      if (entry === undefined) return next(args);
      // The request this attempt sends (the deserialize step is the last before the HTTP handler): the handler
      // applies the start's abort signal and timeout to it. An attempt the SDK makes after our deadline is refused
      // by the aborted signal before it is sent.
      optionsOf.set(args.request as object, { abortSignal: entry.signal, requestTimeout: entry.requestTimeout });
      if (entry.signal.aborted) return next(args);
      const { attempts } = entry;
      attempts.inFlight = true;
      try {
        return await next(args);
      } catch (error) {
        const refused = (error as { $fault?: unknown } | null)?.$fault === 'client';
        if (!refused && !entry.signal.aborted) attempts.mayHaveStarted = true;
        throw error;
      } finally {
        attempts.inFlight = false;
      }
    },
    // Below the retry middleware (finalizeRequest), so each attempt is seen on its own; at high priority, outside
    // the SDK's deserializer (normal priority in the same step), so an attempt's answer is seen parsed: a 4xx or a
    // 5xx is an error with its `$fault`, as ./unanswered.ts's watch sees it. Inside it, both were raw answers.
    { step: 'deserialize', priority: 'high', name: 'hookflowSyncAttemptOutcome' },
  );
}

/**
 * Starts watching the attempts of the sync start whose command input is `input`, until `signal` aborts; each attempt
 * is sent with `signal` and `requestTimeout` (ms) applied by the client's HTTP handler.
 */
export function watchAttempts(input: object, signal: AbortSignal, requestTimeout: number): SyncAttempts {
  const attempts: SyncAttempts = { inFlight: false, inFlightAtAbort: false, mayHaveStarted: false };
  signal.addEventListener('abort', () => (attempts.inFlightAtAbort = attempts.inFlight), { once: true });
  attemptsOf.set(input, { attempts, signal, requestTimeout });
  return attempts;
}

/**
 * `sent`, or, once `signal` aborts, an AbortError at once: what the SDK's retry middleware did with a call's abort
 * signal (it races its backoff waits against it), now that the signal no longer travels as a per-call option. The
 * call itself ends soon after (its next attempt, if any, is refused by the aborted signal); its outcome is ignored.
 */
export function untilAborted<T>(sent: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    sent.catch(() => undefined);
    return Promise.reject(abortError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      sent.catch(() => undefined);
      reject(abortError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    sent.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

const abortError = () => Object.assign(new Error('Request aborted'), { name: 'AbortError' });
