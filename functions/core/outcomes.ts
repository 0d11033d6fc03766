/**
 * The domain outcomes the core throws when a request cannot go on: what happened, never how to say it. The
 * core knows nothing of HTTP (as Powertools' idempotency errors carry no status code); the edges decide what
 * each outcome means for their caller: functions/http/outcome-to-http.ts turns it into a status code and an
 * `{ "error" }` body, the SQS fan-out worker into a retry or a failure. Check with `instanceof`, never by
 * matching on `error.name`. Messages are safe to show a caller: they never carry a secret or a stack.
 */
export type OutcomeKind =
  | 'invalid-input'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'duplicate'
  | 'in-progress'
  | 'gone'
  | 'too-large'
  | 'unsupported-content'
  | 'key-reused'
  | 'engine-busy'
  | 'partial-failure';

export abstract class DomainError extends Error {
  abstract readonly kind: OutcomeKind;
  /**
   * Each class's own name, as a string: deployed bundles are minified (lib/handler-bundling.ts), which renames
   * classes, so `new.target.name` would be a letter there, in every log line and wherever an error's name leaves
   * the process (a Lambda task's error name in Step Functions). test/unit/error-names.test.ts checks each class
   * in a minified bundle.
   */
  abstract override readonly name: string;
  /** When the same request may succeed if sent again: how long to wait first. */
  readonly retryAfterSeconds: number | undefined = undefined;
}

/** The request is malformed or breaks a rule of its style (a field missing, of the wrong type, too long). */
export class InvalidInputError extends DomainError {
  override readonly name: string = 'InvalidInputError';
  readonly kind = 'invalid-input' as const;
}

/** No credential, or one that does not verify. */
export class UnauthorizedError extends DomainError {
  override readonly name: string = 'UnauthorizedError';
  readonly kind = 'unauthorized' as const;
}

/** A valid credential that may not do this. */
export class ForbiddenError extends DomainError {
  override readonly name: string = 'ForbiddenError';
  readonly kind = 'forbidden' as const;
}

export class NotFoundError extends DomainError {
  override readonly name: string = 'NotFoundError';
  readonly kind = 'not-found' as const;
}

/** The state of the thing forbids the request (already resumed, rotated meanwhile, still bound). */
export class ConflictError extends DomainError {
  override readonly name: string = 'ConflictError';
  readonly kind: OutcomeKind = 'conflict';
}

/** This very delivery was already accepted: nothing is done again (a replayed signed request). */
export class DuplicateError extends ConflictError {
  override readonly name: string = 'DuplicateError';
  override readonly kind = 'duplicate' as const;
}

/** A request with the same key is still being processed: the same request sent again shortly may succeed. */
export class InProgressError extends ConflictError {
  override readonly name: string = 'InProgressError';
  override readonly kind = 'in-progress' as const;
  override readonly retryAfterSeconds: number | undefined;

  constructor(message: string, retryAfterSeconds?: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The thing asked for existed but is gone for good (e.g. a waiting task whose token expired). */
export class GoneError extends DomainError {
  override readonly name: string = 'GoneError';
  readonly kind = 'gone' as const;
}

/** The request is larger than a named limit allows. */
export class TooLargeError extends DomainError {
  override readonly name: string = 'TooLargeError';
  readonly kind = 'too-large' as const;
}

/** The request's content cannot be read at all (a body that is not text where text is required). */
export class UnsupportedContentError extends DomainError {
  override readonly name: string = 'UnsupportedContentError';
  readonly kind = 'unsupported-content' as const;
}

/** The idempotency key was already used with a different request (Powertools: IdempotencyValidationError). */
export class KeyReusedError extends DomainError {
  override readonly name: string = 'KeyReusedError';
  readonly kind = 'key-reused' as const;
}

/**
 * The workflow engine (or another dependency) is throttling or briefly down. Either it refused and nothing was
 * started (`mayHaveStarted` false: whatever claimed the request may let it go), or it did not answer and the
 * run may have started (`mayHaveStarted` true: the claim must stay, so that the retry takes it over under the
 * same execution name and finds that run rather than starting a second one).
 */
export class EngineBusyError extends DomainError {
  override readonly name: string = 'EngineBusyError';
  readonly kind = 'engine-busy' as const;
  override readonly retryAfterSeconds: number;
  readonly mayHaveStarted: boolean;
  /**
   * The dependency refused the call outright, every attempt of it (a throttle or a limit, never a timeout or a 5xx):
   * it certainly did nothing, so whoever made the call left nothing behind by it. False when unknown.
   */
  readonly refused: boolean;
  /**
   * The execution name every later start of this request will ask for, when it is fixed already (the claim stays,
   * or the start is named by its delivery): a start queued while the engine is busy can name its run at once.
   */
  readonly runName: string | undefined;

  constructor(
    message: string,
    options: {
      readonly retryAfterSeconds?: number;
      readonly mayHaveStarted?: boolean;
      readonly refused?: boolean;
      readonly runName?: string;
    } = {},
  ) {
    super(message);
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
    this.mayHaveStarted = options.mayHaveStarted ?? false;
    this.refused = options.refused ?? false;
    this.runName = options.runName;
  }

  /** This outcome, naming the run its later starts will be (see `runName`). */
  naming(runName: string): EngineBusyError {
    const named = new EngineBusyError(this.message, {
      retryAfterSeconds: this.retryAfterSeconds,
      mayHaveStarted: this.mayHaveStarted,
      refused: this.refused,
      runName,
    });
    named.stack = this.stack;
    return named;
  }
}

/** Whether a failed start left nothing behind, so that a claim taken for it may be released. */
export function nothingStarted(error: unknown): boolean {
  return !(error instanceof EngineBusyError && error.mayHaveStarted);
}

/**
 * Part of a request was accepted and part was refused by a busy dependency: `accepted` says which parts are
 * which (the caller resends the refused ones). The one way every style reports a partial failure.
 */
export class PartialFailureError extends DomainError {
  override readonly name: string = 'PartialFailureError';
  readonly kind = 'partial-failure' as const;
  override readonly retryAfterSeconds = 1;

  constructor(
    message: string,
    /** Fields the answer carries beside the message (e.g. `{ batch }`, `{ processes }`). */
    readonly accepted: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}
