import type { Context } from 'aws-lambda';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { forkService } from '../child-service';
import { LambdaTimedOutError, withinTimeout } from '../lambda-timeout';
import { LambdaThrottledError } from '../throttles';
import { stateMachineArn } from './arns';
import type { LocalStepFunctions } from './index';
import type { LocalLambdaHandler } from './lambda-integrations';
import type { LocalStateMachine } from './engine';
import type { LocalFaults } from './server';

/** What the Step Functions process needs to start: everything startLocalStepFunctions takes that is data. */
export interface StepFunctionsProcessConfig {
  readonly host: string;
  readonly dataDir: string;
  readonly region: string;
  readonly accountId: string;
  readonly stateMachines: readonly LocalStateMachine[];
  /** Where the workflows' DynamoDB tasks go (the throttle proxy when there is one, as for the handlers). */
  readonly dynamodbEndpoint: string;
  readonly executionsMaxBytes?: number;
  readonly faults: LocalFaults;
}

/** What a handler threw, as it crosses the process boundary: enough for the Lambda integration's error document. */
export type ThrownOverIpc =
  | { readonly error: { readonly name: string; readonly message: string; readonly stack?: string } }
  /** LambdaThrottledError, of this function. */
  | { readonly throttled: string }
  /** LambdaTimedOutError, after this many milliseconds. */
  | { readonly timedOut: number }
  | { readonly primitive: string | number | boolean | null }
  | { readonly text: string };

/** Messages from the Step Functions process to the stack's. */
export type FromStepFunctions =
  | { readonly ready: true }
  | { readonly resolve: { readonly id: number; readonly functionName: string } }
  | {
      readonly invoke: {
        readonly id: number;
        readonly functionName: string;
        readonly event: unknown;
        readonly awsRequestId: string;
      };
    };

/** Messages from the stack's process to the Step Functions process. */
export type ToStepFunctions =
  | { readonly config: StepFunctionsProcessConfig }
  | { readonly resolved: { readonly id: number; readonly exists: boolean } }
  | { readonly invoked: { readonly id: number; readonly returned?: unknown; readonly thrown?: ThrownOverIpc } };

/**
 * The local Step Functions endpoint in a process of its own, as dynalite and fauxqs run (local/child-service.ts):
 * the stack's process then runs the gateway and the handlers, and the workflows every start sets off run beside
 * it, on another core, as Step Functions runs them beside Lambda in AWS. It exits with the stack's process: a
 * stack killed mid-run leaves its executions RUNNING in the journal, to run again on the next start, as before.
 *
 * The handlers stay in the stack's process (the gateway, the SQS event source and the workflows' Lambda tasks
 * share one concurrency count, local/throttles.ts), so a workflow's `lambda:invoke` task is sent here over IPC:
 * `resolve` and `context` are those of lambdaIntegrations (lambda-integrations.ts), which the other process runs
 * as it ran here, with every handler behind a stand-in that asks this process to call it. `timeoutMsOf` is that
 * of lambdaIntegrations too: the timeout is kept here, where the handler runs, and a LambdaTimedOutError crosses
 * back for the integration to fail the task as Step Functions does.
 */
export async function forkLocalStepFunctions(
  options: StepFunctionsProcessConfig & {
    readonly resolve: (functionName: string) => Promise<LocalLambdaHandler | undefined>;
    readonly context: (functionName: string, awsRequestId: string, timeoutMs?: number) => Context;
    readonly timeoutMsOf?: (functionName: string) => number | undefined;
  },
): Promise<LocalStepFunctions & { readonly crashed: Promise<string> }> {
  const { resolve, context, timeoutMsOf, ...config } = options;
  mkdirSync(config.dataDir, { recursive: true });
  const onMessage = (message: unknown, send: (message: ToStepFunctions) => void) => {
    const m = message as FromStepFunctions;
    if ('ready' in m) send({ config });
    else if ('resolve' in m) {
      void resolve(m.resolve.functionName).then((handler) =>
        send({ resolved: { id: m.resolve.id, exists: handler !== undefined } }),
      );
    } else if ('invoke' in m) {
      const { id, functionName, event, awsRequestId } = m.invoke;
      const timeoutMs = timeoutMsOf?.(functionName);
      void invoke(resolve, functionName, event, context(functionName, awsRequestId, timeoutMs), timeoutMs).then(
        (outcome) => send({ invoked: { id, ...outcome } }),
      );
    }
  };
  // The process is TypeScript, run by the loader this one runs under (tsx: `npm start`, the tests, the bench).
  const execArgv = process.execArgv.some((arg) => /tsx/.test(arg))
    ? process.execArgv
    : [...process.execArgv, '--import', 'tsx'];
  // The data folder on its command line, as dynalite's and fauxqs's: the bench finds the stack's processes by it.
  const service = await forkService(
    'the local Step Functions endpoint',
    join(__dirname, 'stepfunctions-process.ts'),
    [config.host, config.dataDir],
    { execArgv, onMessage },
  );
  const partition = { region: config.region, accountId: config.accountId };
  return {
    endpoint: `http://${config.host}:${service.port}`,
    stateMachineArn: (name) => stateMachineArn(partition, name),
    close: service.close,
    crashed: service.crashed,
  };
}

async function invoke(
  resolve: (functionName: string) => Promise<LocalLambdaHandler | undefined>,
  functionName: string,
  event: unknown,
  context: Context,
  timeoutMs: number | undefined,
): Promise<{ returned?: unknown; thrown?: ThrownOverIpc }> {
  try {
    const handler = await resolve(functionName);
    if (handler === undefined) throw new Error(`no handler ${functionName} in the local stack`);
    return { returned: await withinTimeout((async () => handler(event, context))(), timeoutMs) };
  } catch (thrown) {
    return { thrown: thrownOverIpc(thrown, functionName) };
  }
}

export function thrownOverIpc(thrown: unknown, functionName: string): ThrownOverIpc {
  if (thrown instanceof LambdaThrottledError) return { throttled: functionName };
  if (thrown instanceof LambdaTimedOutError) return { timedOut: thrown.timeoutMs };
  if (thrown instanceof Error) {
    return {
      error: {
        name: thrown.name,
        message: thrown.message,
        ...(thrown.stack === undefined ? {} : { stack: thrown.stack }),
      },
    };
  }
  if (thrown === null || ['string', 'number', 'boolean'].includes(typeof thrown)) {
    return { primitive: thrown as string | number | boolean | null };
  }
  return { text: String(thrown) };
}

/** The value a handler threw, rebuilt on the other side: what errorDocument (lambda-integrations.ts) reads of it. */
export function thrownFromIpc(thrown: ThrownOverIpc): unknown {
  if ('throttled' in thrown) return new LambdaThrottledError(thrown.throttled);
  if ('timedOut' in thrown) return new LambdaTimedOutError(thrown.timedOut);
  if ('error' in thrown) {
    const error = new Error(thrown.error.message);
    error.name = thrown.error.name;
    error.stack = thrown.error.stack ?? '';
    return error;
  }
  if ('primitive' in thrown) return thrown.primitive;
  const text = thrown.text;
  return { toString: () => text };
}
