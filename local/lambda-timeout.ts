/**
 * Lambda's timeout, for every way the local stack invokes a handler: behind the gateway (local/gateway/server.ts),
 * from the SQS event source (local/sqs/event-source.ts) and from a workflow's Lambda task
 * (local/stepfunctions/lambda-integrations.ts). Lambda stops a function at its timeout, "the maximum amount of
 * time in seconds that a Lambda function can run" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html);
 * each invoker then answers as its AWS service does.
 */

/** What Lambda logs for an invocation stopped at its timeout: `Task timed out after 10.00 seconds`. */
export class LambdaTimedOutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    this.name = 'LambdaTimedOutError';
  }
}

/**
 * `invocation`'s outcome, or a LambdaTimedOutError once `timeoutMs` has passed. Lambda would then stop the
 * function and reset its execution environment; here every handler shares one process, so the invocation's work
 * goes on unseen, which docs/local-stack.md says.
 */
export function withinTimeout<T>(invocation: Promise<T>, timeoutMs: number | undefined): Promise<T> {
  if (timeoutMs === undefined) return invocation;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaTimedOutError(timeoutMs)), timeoutMs);
  });
  // The race holds on to `invocation`: an outcome that comes after the timeout is dropped, not left unhandled.
  return Promise.race([invocation, timedOut]).finally(() => clearTimeout(timer));
}

/** Where a local Lambda context keeps the moment its invocation ends: only a context that has a timeout has one. */
const ENDS_AT = Symbol('hookflow.local.invocationEndsAt');

/** `context`, marked with the moment (epoch ms) Lambda would end its invocation. */
export function endingAt<C extends object>(context: C, endsAtMs: number): C {
  return Object.assign(context, { [ENDS_AT]: endsAtMs });
}

/** When Lambda ends the invocation of this context (epoch ms), or undefined: no timeout. */
export function invocationEndsAt(context: unknown): number | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  const endsAt = (context as { [ENDS_AT]?: unknown })[ENDS_AT];
  return typeof endsAt === 'number' ? endsAt : undefined;
}
