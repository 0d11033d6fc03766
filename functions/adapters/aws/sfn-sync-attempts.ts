import type { SFNClient } from '@aws-sdk/client-sfn';

/**
 * What a sync start's attempts (the SDK's retries included) came to, seen per attempt below the SDK's retry
 * middleware: an attempt refused with ThrottlingException started nothing (HTTP 400, StartSyncExecution's
 * "Errors": https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html), anything
 * else (an answer, a 5xx, a cut connection) may have started the run.
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
const attemptsOf = new WeakMap<object, { attempts: SyncAttempts; signal: AbortSignal }>();
const watched = new WeakSet<object>();

/** Adds the attempt watch to `client`'s stack, once however many engines share the client. */
export function addSyncAttemptWatch(client: SFNClient): void {
  if (watched.has(client)) return;
  watched.add(client);
  client.middlewareStack.add(
    (next) => async (args) => {
      const entry = attemptsOf.get(args.input as object);
      // Not a watched sync start (every other command), or an attempt the SDK makes after our deadline: the
      // aborted signal refuses it before it is sent.
      if (entry === undefined || entry.signal.aborted) return next(args);
      const { attempts } = entry;
      attempts.inFlight = true;
      try {
        return await next(args);
      } catch (error) {
        const refused = error instanceof Error && error.name === 'ThrottlingException';
        if (!refused && !entry.signal.aborted) attempts.mayHaveStarted = true;
        throw error;
      } finally {
        attempts.inFlight = false;
      }
    },
    // Below the retry middleware (finalizeRequest), so each attempt is seen on its own.
    { step: 'deserialize', name: 'hookflowSyncAttemptOutcome' },
  );
}

/** Starts watching the attempts of the sync start whose command input is `input`, until `signal` aborts. */
export function watchAttempts(input: object, signal: AbortSignal): SyncAttempts {
  const attempts: SyncAttempts = { inFlight: false, inFlightAtAbort: false, mayHaveStarted: false };
  signal.addEventListener('abort', () => (attempts.inFlightAtAbort = attempts.inFlight), { once: true });
  attemptsOf.set(input, { attempts, signal });
  return attempts;
}
