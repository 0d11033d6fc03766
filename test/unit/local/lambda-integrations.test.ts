import {
  DescribeExecutionCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lambdaContext } from '../../../local/gateway/api-gateway-event';
import { type LocalStateMachine, type LocalStepFunctions, startLocalStepFunctions } from '../../../local/stepfunctions';
import type { LocalFaults } from '../../../local/stepfunctions/server';
import { forkLocalStepFunctions } from '../../../local/stepfunctions/fork-step-functions';
import { LambdaThrottledError } from '../../../local/throttles';
import { type LocalLambdaHandler, lambdaIntegrations } from '../../../local/stepfunctions/lambda-integrations';
import { localClientConfig } from '../../support/local-stack';
import { waitForEventStates } from '../../../workflows/wait-for-event-states';
import { WaitBusyError, makeWaitForEventHandler } from '../../../functions/styles/events/wait-for-event';
import { SfnWorkflowEngine } from '../../../functions/adapters/aws/sfn-engine';
import { markUnansweredAttempts } from '../../../functions/adapters/aws/unanswered';
import { invocationDeadline } from '../../../functions/adapters/aws/invocation-deadline';
import { InMemoryWaitStore, silentLogger } from '../../support/fakes';
import { deliverCallback } from '../../../functions/styles/events/resume-task';

/**
 * The local stand-in for Step Functions' optimized Lambda integration (local/stepfunctions/lambda-integrations.ts),
 * pinned to what AWS does: https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html.
 */
const task = (resource: string, functionName: string, extra: Record<string, unknown> = {}) => ({
  StartAt: 'Call',
  States: {
    Call: {
      Type: 'Task',
      Resource: `arn:aws:states:::lambda:${resource}`,
      Parameters: { FunctionName: functionName, Payload: { 'input.$': '$', 'token.$': '$$.Task.Token' } },
      TimeoutSeconds: 30,
      End: true,
      ...extra,
    },
  },
});
const requestResponse = {
  StartAt: 'Call',
  States: {
    Call: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'hookflow-echo', Payload: { 'x.$': '$.x' } },
      End: true,
    },
  },
};

/** Catches the function's own error name, as the AWS tutorial on handling error conditions does. */
const catches = {
  StartAt: 'Call',
  States: {
    Call: {
      ...task('invoke.waitForTaskToken', 'hookflow-thrower').States.Call,
      End: undefined,
      Catch: [{ ErrorEquals: ['CustomError'], ResultPath: '$.failure', Next: 'Caught' }],
      Next: 'Caught',
    },
    Caught: { Type: 'Pass', End: true },
  },
};

class CustomError extends Error {
  override readonly name = 'CustomError';
}

/** Each function's Lambda timeout: short for the one that outlives it, long for the rest. */
const SLOW_TIMEOUT_MS = 200;
const timeoutMsOf = (functionName: string) => (functionName === 'hookflow-slow' ? SLOW_TIMEOUT_MS : 30_000);

/**
 * The same behaviour whether the endpoint runs in the caller's process (unit tests) or in a process of its own
 * (the local stack: fork-step-functions.ts), where every Lambda task crosses back over IPC to the handlers.
 */
const endpoints = {
  'in process': (options: EndpointOptions) =>
    startLocalStepFunctions({
      host: '127.0.0.1',
      dataDir: options.dataDir,
      stateMachines: options.stateMachines,
      ...(options.faults === undefined ? {} : { faults: options.faults }),
      integrations: lambdaIntegrations({
        region: 'us-east-1',
        accountId: '000000000000',
        context: lambdaContext,
        timeoutMsOf,
        resolve: options.resolve,
        ...(options.faults?.lambdaServiceErrors === undefined
          ? {}
          : { serviceErrorsAfterRun: options.faults.lambdaServiceErrors }),
      }),
    }),
  'in a process of its own': (options: EndpointOptions) =>
    forkLocalStepFunctions({
      host: '127.0.0.1',
      dataDir: options.dataDir,
      stateMachines: options.stateMachines,
      region: 'us-east-1',
      accountId: '000000000000',
      // No DynamoDB task here; nothing listens there.
      dynamodbEndpoint: 'http://127.0.0.1:9',
      faults: options.faults ?? {},
      context: lambdaContext,
      timeoutMsOf,
      resolve: options.resolve,
    }),
};
/** The same wait states in front of the real wait-for-event function (below: its SDK calls lose an answer). */
const waitForEventReal = {
  StartAt: 'Wait',
  States: waitForEventStates({
    name: 'Wait',
    topic: 'approval',
    timeoutSeconds: 60,
    functionName: 'hookflow-wait-real',
    partition: 'aws',
  }),
};

interface EndpointOptions {
  readonly dataDir: string;
  readonly stateMachines: readonly LocalStateMachine[];
  readonly resolve: (functionName: string) => Promise<LocalLambdaHandler | undefined>;
  readonly faults?: LocalFaults;
}

/** The wait states as hookflow deploys them, Retry and all (workflows/wait-for-event-states.ts). */
const waitForEvent = {
  StartAt: 'Wait',
  States: waitForEventStates({
    name: 'Wait',
    topic: 'approval',
    timeoutSeconds: 60,
    functionName: 'hookflow-wait-flaky',
    partition: 'aws',
  }),
};

describe.each(Object.entries(endpoints))(
  'local lambda:invoke (as Step Functions invokes Lambda), %s',
  (_, startEndpoint) => {
    let dataDir: string;
    let local: LocalStepFunctions;
    let sfn: SFNClient;
    const tokens: string[] = [];
    const invocations: unknown[] = [];
    const remainingAtStart: number[] = [];
    const waitTokens: string[] = [];
    let waitCalls = 0;
    const functions: Record<string, LocalLambdaHandler> = {
      // The wait-for-event function meeting a throttle it left nothing behind for, then Lambda's own refusal, then
      // storing its token: what the wait state's Retry is for.
      'hookflow-wait-flaky': (event) => {
        waitCalls += 1;
        if (waitCalls === 1) throw new WaitBusyError('the registry or dedupe store is busy');
        if (waitCalls === 2) throw new LambdaThrottledError('hookflow-wait-flaky');
        waitTokens.push((event as { taskToken: string }).taskToken);
        return { outcome: 'waiting' };
      },
      'hookflow-echo': (event) => ({ got: event }),
      'hookflow-store': (event) => {
        invocations.push(event);
        tokens.push((event as { token: string }).token);
        return { stored: true };
      },
      // Completes its own token before it returns, as the wait-for-event function does with an early callback.
      'hookflow-self': async (event) => {
        await sfn.send(
          new SendTaskSuccessCommand({ taskToken: (event as { token: string }).token, output: '{"self":1}' }),
        );
        return { ignored: true };
      },
      'hookflow-thrower': () => {
        throw new CustomError('This is a custom error!');
      },
      'hookflow-throws-string': () => {
        throw 'not an Error';
      },
      // Runs past its timeout; says what its context had left when it began.
      'hookflow-slow': async (_, context) => {
        remainingAtStart.push(context.getRemainingTimeInMillis());
        await new Promise((r) => setTimeout(r, SLOW_TIMEOUT_MS * 10));
        return { late: true };
      },
      // No concurrency left (HOOKFLOW_LOCAL_THROTTLE's lambda): the invoke is refused before the handler runs.
      'hookflow-throttled': () => {
        throw new LambdaThrottledError('hookflow-throttled');
      },
    };

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'hookflow-sfn-lambda-'));
      local = await startEndpoint({
        dataDir,
        stateMachines: [
          { name: 'rr', type: 'EXPRESS', definition: requestResponse },
          { name: 'store', type: 'STANDARD', definition: task('invoke.waitForTaskToken', 'hookflow-store') },
          {
            name: 'store-by-arn',
            type: 'STANDARD',
            definition: task(
              'invoke.waitForTaskToken',
              'arn:aws:lambda:us-east-1:000000000000:function:hookflow-store',
            ),
          },
          { name: 'self', type: 'STANDARD', definition: task('invoke.waitForTaskToken', 'hookflow-self') },
          { name: 'throws', type: 'STANDARD', definition: task('invoke.waitForTaskToken', 'hookflow-thrower') },
          {
            name: 'throws-string',
            type: 'STANDARD',
            definition: task('invoke.waitForTaskToken', 'hookflow-throws-string'),
          },
          { name: 'throttled', type: 'STANDARD', definition: task('invoke.waitForTaskToken', 'hookflow-throttled') },
          { name: 'slow', type: 'STANDARD', definition: task('invoke', 'hookflow-slow') },
          { name: 'wait-for-event', type: 'STANDARD', definition: waitForEvent },
          { name: 'catches', type: 'STANDARD', definition: catches },
          { name: 'missing', type: 'STANDARD', definition: task('invoke.waitForTaskToken', 'hookflow-nope') },
          {
            name: 'other-account',
            type: 'STANDARD',
            definition: task(
              'invoke.waitForTaskToken',
              'arn:aws:lambda:us-east-1:111111111111:function:hookflow-store',
            ),
          },
        ],
        resolve: async (name) => functions[name],
      });
      sfn = new SFNClient({ ...localClientConfig(local.endpoint), disableHostPrefix: true });
    });
    afterAll(async () => {
      sfn?.destroy();
      await local?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const start = async (name: string, input = '{"x":1}') =>
      (await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn(name), input })))
        .executionArn!;
    async function settled(executionArn: string, client = sfn) {
      for (let i = 0; i < 500; i++) {
        const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
        if (execution.status !== 'RUNNING') return execution;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`${executionArn} still RUNNING`);
    }
    /**
     * The real wait function (as handlers/wait-for-event.ts wires it: the invocation's deadline bound) behind the real
     * wait states, on an endpoint of its own with `faults`; its Step Functions client is watched as clients.ts
     * watches it, and `results` is what each of its invocations returned. `close` stops and removes all of it.
     */
    async function realWait(waits: InMemoryWaitStore, faults: LocalFaults) {
      const dataDir = mkdtempSync(join(tmpdir(), 'hookflow-sfn-real-wait-'));
      const results: unknown[] = [];
      const endpoint = await startEndpoint({
        dataDir,
        stateMachines: [{ name: 'wait-for-event-real', type: 'STANDARD', definition: waitForEventReal }],
        // Resolved by the endpoint when the run reaches its wait state, once `handler` is built below.
        resolve: async (functionName) =>
          functionName === 'hookflow-wait-real'
            ? async (event, context) => {
                const begun = await handler(event, context);
                results.push(begun);
                return begun;
              }
            : undefined,
        faults,
      });
      const config = { ...localClientConfig(endpoint.endpoint), disableHostPrefix: true };
      const client = markUnansweredAttempts(new SFNClient({ ...config, maxAttempts: 3 }));
      const engine = new SfnWorkflowEngine(client);
      const handler = makeWaitForEventHandler({
        waits,
        engine,
        logger: silentLogger,
        graceSeconds: 60,
        deadline: { reserveMs: 1_000, within: invocationDeadline.within },
      });
      const operator = new SFNClient(config);
      return {
        client,
        engine,
        operator,
        results,
        start: async (name: string) =>
          (
            await operator.send(
              new StartExecutionCommand({
                stateMachineArn: endpoint.stateMachineArn('wait-for-event-real'),
                name,
                input: '{"x":1}',
              }),
            )
          ).executionArn!,
        close: async () => {
          client.destroy();
          operator.destroy();
          await endpoint.close();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    }
    async function nextToken(count: number) {
      for (let i = 0; i < 500 && tokens.length < count; i++) await new Promise((r) => setTimeout(r, 10));
      return tokens[count - 1]!;
    }

    it('request-response: the function gets Payload as its event; the result is Invoke output with Payload as JSON', async () => {
      const { output } = await sfn.send(
        new StartSyncExecutionCommand({
          stateMachineArn: local.stateMachineArn('rr'),
          input: '{"x":1}',
        }),
      );

      expect(JSON.parse(output!)).toEqual({
        ExecutedVersion: '$LATEST',
        Payload: { got: { x: 1 } },
        SdkHttpMetadata: { HttpHeaders: { 'X-Amz-Executed-Version': '$LATEST' }, HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: expect.any(String) },
        StatusCode: 200,
      });
    });

    it('.waitForTaskToken: the task result is what SendTaskSuccess sent, not what the function returned', async () => {
      for (const [name, n] of [
        ['store', 1],
        ['store-by-arn', 2],
      ] as const) {
        const executionArn = await start(name);
        const token = await nextToken(n);
        expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');

        await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));

        expect(await settled(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":true}' });
      }
      expect(invocations[0]).toEqual({ input: { x: 1 }, token: tokens[0] });
    });

    it('.waitForTaskToken: a function may complete its own token while it runs', async () => {
      expect(await settled(await start('self'))).toMatchObject({ status: 'SUCCEEDED', output: '{"self":1}' });
    });

    it("fails the task under the function's own error name, with Lambda's error document as its cause", async () => {
      const failed = await settled(await start('throws'));
      const caught = await settled(await start('catches'));

      expect(failed).toMatchObject({ status: 'FAILED', error: 'CustomError' });
      expect(JSON.parse(failed.cause!)).toEqual({
        errorType: 'CustomError',
        errorMessage: 'This is a custom error!',
        trace: expect.arrayContaining([expect.stringContaining('This is a custom error!')]),
      });
      expect(caught.status).toBe('SUCCEEDED');
      expect(JSON.parse(caught.output!).failure).toMatchObject({ Error: 'CustomError' });
    });

    it("fails the task with the thrown value's type when the function throws something that is not an Error", async () => {
      const failed = await settled(await start('throws-string'));

      expect(failed).toMatchObject({ status: 'FAILED', error: 'string' });
      expect(JSON.parse(failed.cause!)).toEqual({ errorType: 'string', errorMessage: 'not an Error', trace: [] });
    });

    it("retries the wait's WaitForEvent.Busy and Lambda.TooManyRequestsException with a new token; the third attempt waits", async () => {
      // Arrange
      waitCalls = 0;
      const executionArn = await start('wait-for-event');

      // Act: the state's Retry waits 2 s, then 4 s, before the attempt that stores its token.
      for (let i = 0; i < 1_000 && waitTokens.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      await sfn.send(new SendTaskSuccessCommand({ taskToken: waitTokens.shift()!, output: '{"approved":true}' }));

      // Assert
      expect(await settled(executionArn)).toMatchObject({
        status: 'SUCCEEDED',
        output: JSON.stringify({ x: 1, approval: { approved: true } }),
      });
      expect(waitCalls).toBe(3);
    }, 20_000);

    it("the real wait function delivers an early callback once when its resume's answer is lost: never given back", async () => {
      // Arrange: a callback kept early for the run; the wait function's Step Functions client (as clients.ts
      // builds it: every attempt watched) loses the answer to its first SendTaskSuccess, which was carried out.
      const name = `lost-answer-${Date.now()}`;
      const waits = new InMemoryWaitStore();
      await waits.keepEarly(
        name,
        'approval',
        {
          callbackStatus: 'succeeded',
          output: { approved: true },
          eventId: 'cb-1',
          expiresAt: new Date(Date.now() + 60_000),
        },
        Date.now(),
      );
      // An endpoint of its own, which carries out the first task send but answers it 500 (the local stack's
      // HOOKFLOW_LOCAL_SFN_LOSE_TASK_ANSWERS); the wait function's client is watched as clients.ts watches it.
      const real = await realWait(waits, { loseTaskAnswers: 1 });
      let attempts = 0;
      real.client.middlewareStack.add((next) => (args) => ((attempts += 1), next(args)), {
        step: 'deserialize',
        name: 'countAttempts',
      });

      try {
        // Act
        const execution = await settled(await real.start(name), real.operator);

        // Assert: the SDK sent it twice (the retry heard TaskTimedOut); the run got the callback once, and the
        // callback stays taken, where a later wait on the same ref and topic would otherwise take it again.
        expect(execution).toMatchObject({
          status: 'SUCCEEDED',
          output: JSON.stringify({ x: 1, approval: { approved: true } }),
        });
        expect(attempts).toBe(2);
        expect(real.results).toEqual([{ outcome: 'took-early', callbackStatus: 'succeeded' }]);
        expect(waits.tasks.get(`${name}/approval`)?.status).not.toBe('EARLY');
      } finally {
        await real.close();
      }
    });

    it('the real wait function: a callback between its attempt that failed after the put (Lambda.ServiceException) and the retry is kept, and the retry resumes with it', async () => {
      // Arrange: the real wait function behind the real wait states, on an endpoint of its own whose first Lambda task
      // fails with Lambda.ServiceException after the function ran (HOOKFLOW_LOCAL_LAMBDA_SERVICE_ERRORS): the attempt
      // stored its token, and the state retries 2 s later with a new one. A callback arrives between the two.
      const name = `gap-${Date.now()}`;
      const waits = new InMemoryWaitStore();
      const real = await realWait(waits, { lambdaServiceErrors: 1 });
      const closed = (taskToken: string) =>
        real.operator.send(new SendTaskHeartbeatCommand({ taskToken })).then(
          () => false,
          (error: { name?: string }) => error.name === 'TaskTimedOut',
        );

      try {
        const executionArn = await real.start(name);
        // Until the first attempt stored its token and Step Functions closed its task (a heartbeat hears so).
        let token: string | undefined;
        for (let i = 0; i < 500 && (token === undefined || !(await closed(token))); i++) {
          await new Promise((r) => setTimeout(r, 10));
          token = waits.tasks.get(`${name}/approval`)?.taskToken;
        }

        // Act
        const delivered = await deliverCallback(
          { waits, engine: real.engine, earlyCallbackTtlSeconds: 600, claimLeaseSeconds: 30 },
          name,
          'approval',
          { output: { approved: true } },
          'cb-1',
        );
        const execution = await settled(executionArn, real.operator);

        // Assert: kept (it was refused 410 while the run went on waiting); the retry took it, the run got it once.
        expect(delivered).toMatchObject({ outcome: 'kept', replayed: false });
        expect(real.results).toEqual([
          { outcome: 'waiting', expiresAt: expect.any(Number) },
          { outcome: 'took-early', callbackStatus: 'succeeded' },
        ]);
        expect(execution).toMatchObject({
          status: 'SUCCEEDED',
          output: JSON.stringify({ x: 1, approval: { approved: true } }),
        });
      } finally {
        await real.close();
      }
    }, 20_000);

    it('fails with Lambda.TooManyRequestsException when the function has no concurrency left', async () => {
      const failed = await settled(await start('throttled'));

      expect(failed).toMatchObject({ status: 'FAILED', error: 'Lambda.TooManyRequestsException' });
      expect(failed.cause).toContain('hookflow-throttled: no concurrency left');
    });

    it("fails with Lambda.Unknown when the function runs past its timeout, Lambda's Sandbox.Timedout as its cause", async () => {
      const startedAt = Date.now();
      const failed = await settled(await start('slow'));
      const tookMs = Date.now() - startedAt;

      expect(failed).toMatchObject({ status: 'FAILED', error: 'Lambda.Unknown' });
      expect(JSON.parse(failed.cause!)).toEqual({
        errorType: 'Sandbox.Timedout',
        errorMessage: expect.stringMatching(/^RequestId: [0-9a-f-]{36} Error: Task timed out after 0\.20 seconds$/),
      });
      // Ended at the timeout, not when the function would have returned; its context counted down from it.
      expect(tookMs).toBeLessThan(SLOW_TIMEOUT_MS * 10);
      expect(remainingAtStart.at(-1)).toBeGreaterThan(0);
      expect(remainingAtStart.at(-1)).toBeLessThanOrEqual(SLOW_TIMEOUT_MS);
    });

    it('fails with Lambda.ResourceNotFoundException for a function it does not have (or in another account)', async () => {
      for (const name of ['missing', 'other-account']) {
        expect(await settled(await start(name))).toMatchObject({
          status: 'FAILED',
          error: 'Lambda.ResourceNotFoundException',
        });
      }
    });
  },
);
