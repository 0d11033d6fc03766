/**
 * The error taxonomy. Anything thrown as an HttpError reaches the caller as `{ "error": message }` with its
 * status code; anything else becomes a generic 500 whose body says nothing about internals.
 * Check with `instanceof`, never by matching on `error.name`.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super(401, message);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, message);
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, message);
  }
}

/** A request with the same dedupe key is still starting its run; the caller should retry shortly. */
export class ConflictError extends HttpError {
  constructor(message: string, retryAfterSeconds?: number) {
    super(409, message, retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) });
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(message: string) {
    super(413, message);
  }
}

/** The dedupe key was already used with a different request body. */
export class UnprocessableContentError extends HttpError {
  constructor(message: string) {
    super(422, message);
  }
}

/** A dependency (the workflow engine, the queue) is throttling or briefly down: nothing was accepted. */
export class ServiceUnavailableError extends HttpError {
  constructor(message: string, retryAfterSeconds = 1) {
    super(503, message, { 'retry-after': String(retryAfterSeconds) });
  }
}

/** The thing asked for existed but is gone for good (e.g. a waiting task whose token expired). */
export class GoneError extends HttpError {
  constructor(message: string) {
    super(410, message);
  }
}
