/**
 * Failures that say nothing about whether an AWS call took effect: a 5xx (`$fault: 'server'`; Step Functions'
 * InternalFailure 500 and ServiceUnavailable 503,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html; DynamoDB's InternalServerError
 * and ServiceUnavailable, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html),
 * the SDK's own timeout (TimeoutError), or a connection cut after the request went out (the socket's error code).
 * The SDK has already retried them (they are transient to it); what is left reaches the caller.
 */
const UNANSWERED = new Set(['ServiceUnavailable', 'InternalServerError', 'InternalFailure', 'TimeoutError']);
const CUT_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

export function mayHaveTakenEffect(error: unknown): boolean {
  // By shape, not `instanceof Error`: a socket's error is made by Node itself, in another realm than a test's.
  if (typeof error !== 'object' || error === null) return false;
  return unanswered(error);
}

/** This very error is one that got no answer (above). */
function unanswered(error: object): boolean {
  const { name, $fault, code } = error as { name?: unknown; $fault?: unknown; code?: unknown };
  return (
    $fault === 'server' ||
    (typeof name === 'string' && UNANSWERED.has(name)) ||
    (typeof code === 'string' && CUT_CONNECTION.has(code))
  );
}

/**
 * The mark `markUnansweredAttempts` leaves on a call's final error when an earlier attempt of the same call got no
 * answer: the SDK retries a timeout or a 5xx, and when the last attempt is then refused (a throttle, HTTP 400), the
 * error the caller sees says "refused" although the earlier attempt may have been carried out.
 */
const EARLIER_ATTEMPT_UNANSWERED = Symbol('hookflow.earlierAttemptUnanswered');

/**
 * Whether a failed call was refused outright, every attempt of it: the final error is a refusal (not one that
 * `mayHaveTakenEffect`) and no earlier attempt went unanswered (on a client with `markUnansweredAttempts`; on any
 * other client only the final error is known). Only then did the call certainly do nothing.
 */
export function refusedEveryAttempt(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  return (
    !unanswered(error) && (error as { [EARLIER_ATTEMPT_UNANSWERED]?: unknown })[EARLIER_ATTEMPT_UNANSWERED] !== true
  );
}

/** The calls (by their command input, the object every middleware step is handed) that had an unanswered attempt. */
const hadUnansweredAttempt = new WeakSet<object>();
const markedClients = new WeakSet<object>();

interface AttemptMiddlewareStack {
  add(
    middleware: (next: (args: { input: object }) => Promise<unknown>) => (args: { input: object }) => Promise<unknown>,
    options: { step: 'deserialize'; priority: 'high'; name: string },
  ): void;
}

/**
 * Watches every attempt of every call `client` sends, below the SDK's retry middleware (finalizeRequest: the
 * deserialize step runs once per attempt, as ./sfn-sync-attempts.ts's watch does), and marks the call's later
 * errors once one attempt went unanswered. One middleware, the same for every request: its state is kept by the
 * call's input object (a WeakSet, gone with the input), never per request in a closure, as a client whose stack
 * the SDK caches requires (./clients.ts, CACHE_MIDDLEWARE). Added once per client.
 */
export function markUnansweredAttempts<Client extends { middlewareStack: unknown }>(client: Client): Client {
  if (markedClients.has(client)) return client;
  markedClients.add(client);
  (client.middlewareStack as AttemptMiddlewareStack).add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (typeof error === 'object' && error !== null) {
          if (unanswered(error)) hadUnansweredAttempt.add(args.input);
          else if (hadUnansweredAttempt.has(args.input) && Object.isExtensible(error)) {
            Object.defineProperty(error, EARLIER_ATTEMPT_UNANSWERED, { value: true });
          }
        }
        throw error;
      }
    },
    // High priority: outside the SDK's deserializer (normal priority in the same step), so each attempt's error is
    // seen parsed, its name and $fault read; a middleware added at normal priority would sit inside it and see only
    // the raw HTTP answer, a 400 or a 500 alike not thrown.
    { step: 'deserialize', priority: 'high', name: 'hookflowUnansweredAttempts' },
  );
  return client;
}
