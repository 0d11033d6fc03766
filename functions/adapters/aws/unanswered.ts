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
  const { name, $fault, code } = error as { name?: unknown; $fault?: unknown; code?: unknown };
  return (
    $fault === 'server' ||
    (typeof name === 'string' && UNANSWERED.has(name)) ||
    (typeof code === 'string' && CUT_CONNECTION.has(code))
  );
}
