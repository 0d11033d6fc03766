/**
 * An error the local Step Functions endpoint answers with: HTTP 400 and `{"__type": type, "message": ...}`,
 * which the AWS SDK turns into the same exception class (ExecutionAlreadyExists, InvalidArn, ...) as AWS.
 */
export class SfnApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** An error a task ends with: `name` is what Retry/Catch `ErrorEquals` match, `message` is the cause. */
export function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}
