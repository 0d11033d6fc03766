import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { taskError } from './api-error';
import type { TaskIntegration } from './engine';
import { LambdaTimedOutError, withinTimeout } from '../lambda-timeout';
import { LambdaThrottledError } from '../throttles';

/** A handler the local stack loaded from its esbuild bundle, called as Lambda calls it. */
export type LocalLambdaHandler = (event: unknown, context: Context) => unknown;

export interface LocalLambdaOptions {
  readonly region: string;
  readonly accountId: string;
  /** The loaded handler of a function name (`hookflow-<handler>`), or undefined: no such function. */
  readonly resolve: (functionName: string) => Promise<LocalLambdaHandler | undefined>;
  readonly context: (functionName: string, awsRequestId: string, timeoutMs?: number) => Context;
  /** A function's timeout in milliseconds (undefined: none), kept by the invocation. */
  readonly timeoutMsOf?: (functionName: string) => number | undefined;
  /**
   * Fail this many Lambda tasks with `Lambda.ServiceException` after their function ran and returned, as Lambda's
   * own service error can arrive after the function did its work (HOOKFLOW_LOCAL_LAMBDA_SERVICE_ERRORS).
   */
  readonly serviceErrorsAfterRun?: number;
}

/** Lambda function names: 1-64 letters, digits, hyphens and underscores. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Step Functions' optimized Lambda integration (`arn:aws:states:::lambda:invoke`, also with
 * `.waitForTaskToken`), over the handlers the local stack runs in-process, as AWS behaves
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html):
 * - parameters are Lambda Invoke's (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html):
 *   FunctionName (a name, a full ARN or a partial `ACCOUNT:function:NAME`), Payload (the event);
 * - the result is `{ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode}` with the
 *   function's returned JSON as Payload; with `.waitForTaskToken` the engine ignores it and the task's result is
 *   what SendTaskSuccess sent;
 * - an error the function throws fails the task under the error's name (the Node.js runtime reports `name` as
 *   `errorType`: https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html) with the error document
 *   `{errorType, errorMessage, trace}` as its cause, so Retry/Catch match on the function's own error name
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-handling-error-conditions.html);
 * - a function that does not exist fails it with `Lambda.ResourceNotFoundException` (Lambda's errors reach the
 *   task as `Lambda.<exception>`: https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html);
 * - a function that runs past its timeout fails it with `Lambda.Unknown`: "Unhandled errors in Lambda are reported
 *   as Lambda.Unknown in the error output. These include out-of-memory errors and function timeouts" (the same
 *   page). Its cause is the error Lambda reports for a timeout, `Sandbox.Timedout`
 *   (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html), with Lambda's message.
 * Only synchronous invocations of `$LATEST` are emulated: anything else is refused here rather than faked.
 */
export function lambdaIntegrations(options: LocalLambdaOptions): Record<string, TaskIntegration> {
  let serviceErrors = options.serviceErrorsAfterRun ?? 0;
  const invoke: TaskIntegration = async (parameters) => {
    const { FunctionName, Payload, InvocationType, Qualifier, ...rest } = (parameters ?? {}) as Record<string, unknown>;
    const unsupported = Object.keys(rest).filter((key) => key !== 'ClientContext');
    if (unsupported.length > 0) {
      throw taskError('States.Runtime', `the local stack does not emulate lambda:invoke's ${unsupported.join(', ')}`);
    }
    if (InvocationType !== undefined && InvocationType !== 'RequestResponse') {
      throw taskError(
        'States.Runtime',
        `the local stack only emulates InvocationType RequestResponse, not ${String(InvocationType)}`,
      );
    }
    const { name, qualifier } = parseFunctionName(FunctionName, options);
    const version = qualifier ?? (typeof Qualifier === 'string' ? Qualifier : '$LATEST');
    const handler = name === undefined ? undefined : await options.resolve(name);
    if (handler === undefined || version !== '$LATEST') {
      throw taskError(
        'Lambda.ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${options.region}:${options.accountId}:function:${String(name ?? FunctionName)}${version === '$LATEST' ? '' : `:${version}`}`,
      );
    }
    const requestId = randomUUID();
    // The event arrives as JSON, as over the wire: no shared objects between the state and the function.
    const event = JSON.parse(JSON.stringify(Payload ?? {})) as unknown;
    let returned: unknown;
    try {
      const timeoutMs = options.timeoutMsOf?.(name!);
      const context = options.context(name!, requestId, timeoutMs);
      returned = await withinTimeout((async () => handler(event, context))(), timeoutMs);
    } catch (thrown) {
      if (thrown instanceof LambdaTimedOutError) {
        const cause = {
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${requestId} Error: ${thrown.message}`,
        };
        throw taskError('Lambda.Unknown', JSON.stringify(cause));
      }
      // Lambda refused the invoke (no concurrency): the task fails with the service's error, prefixed as Step
      // Functions names Lambda's own errors (Lambda.TooManyRequestsException), which a Retry may match:
      // https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
      if (thrown instanceof LambdaThrottledError) throw taskError('Lambda.TooManyRequestsException', thrown.message);
      const document = errorDocument(thrown);
      throw taskError(document.errorType, JSON.stringify(document));
    }
    if (serviceErrors > 0) {
      // Lambda's own service error, which Step Functions reports as Lambda.ServiceException and AWS advises every
      // Lambda task to retry (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html):
      // the function's work is done all the same, and a retry runs it again.
      serviceErrors--;
      throw taskError(
        'Lambda.ServiceException',
        `Lambda met a service error after ${name!} ran (injected: HOOKFLOW_LOCAL_LAMBDA_SERVICE_ERRORS)`,
      );
    }
    return {
      ExecutedVersion: '$LATEST',
      Payload: returned === undefined ? null : (JSON.parse(JSON.stringify(returned)) as unknown),
      SdkHttpMetadata: { HttpHeaders: { 'X-Amz-Executed-Version': '$LATEST' }, HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: requestId },
      StatusCode: 200,
    };
  };
  return { 'arn:aws:states:::lambda:invoke': invoke };
}

/** `name`, `ACCOUNT:function:name[:qualifier]` or `arn:aws:lambda:REGION:ACCOUNT:function:name[:qualifier]`. */
function parseFunctionName(
  value: unknown,
  where: Pick<LocalLambdaOptions, 'region' | 'accountId'>,
): { name?: string; qualifier?: string } {
  if (typeof value !== 'string') return {};
  const full = /^arn:aws:lambda:([^:]+):(\d{12}):function:([^:]+)(?::([^:]+))?$/.exec(value);
  if (full !== null) {
    // Another region or account holds no function of this local stack.
    if (full[1] !== where.region || full[2] !== where.accountId) return {};
    return { name: full[3]!, ...(full[4] === undefined ? {} : { qualifier: full[4] }) };
  }
  const partial = /^(\d{12}):function:([^:]+)(?::([^:]+))?$/.exec(value);
  if (partial !== null) {
    if (partial[1] !== where.accountId) return {};
    return { name: partial[2]!, ...(partial[3] === undefined ? {} : { qualifier: partial[3] }) };
  }
  return FUNCTION_NAME.test(value) ? { name: value } : {};
}

/** What the Node.js runtime reports for an error a handler throws. */
function errorDocument(thrown: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (thrown instanceof Error) {
    return { errorType: thrown.name, errorMessage: thrown.message, trace: (thrown.stack ?? '').split('\n') };
  }
  return { errorType: typeof thrown, errorMessage: String(thrown), trace: [] };
}
