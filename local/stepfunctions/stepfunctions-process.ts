/**
 * The local Step Functions endpoint in its own process (fork-step-functions.ts starts it): asks the stack's
 * process for its configuration, serves the endpoint, reports its port as dynalite and fauxqs do
 * (local/child-service.ts), and exits with the stack's process. Its workflows' DynamoDB tasks go straight to the
 * stack's DynamoDB (or its throttle proxy); their Lambda tasks go back to the stack's process, where the handlers
 * run.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { dynamodbIntegrations } from './dynamodb-integrations';
import type { FromStepFunctions, StepFunctionsProcessConfig, ToStepFunctions } from './fork-step-functions';
import { thrownFromIpc } from './fork-step-functions';
import { startLocalStepFunctions } from './index';
import { type LocalLambdaHandler, lambdaIntegrations } from './lambda-integrations';

const send = (message: FromStepFunctions | { port: number }) => process.send?.(message);

/** Calls waiting for the stack's process to answer, by id. */
const waiting = new Map<number, (answer: ToStepFunctions) => void>();
let lastId = 0;
function ask(message: (id: number) => FromStepFunctions): Promise<ToStepFunctions> {
  const id = ++lastId;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    send(message(id));
  });
}

/** A handler of the stack's process, called over IPC: the Lambda integration calls it as it called the handler. */
const remoteHandler =
  (functionName: string): LocalLambdaHandler =>
  async (event, context) => {
    const answer = await ask((id) => ({ invoke: { id, functionName, event, awsRequestId: context.awsRequestId } }));
    if (!('invoked' in answer)) throw new Error('the stack answered an invoke with something else');
    if (answer.invoked.thrown !== undefined) throw thrownFromIpc(answer.invoked.thrown);
    return answer.invoked.returned;
  };

async function start(config: StepFunctionsProcessConfig): Promise<void> {
  const local = await startLocalStepFunctions({
    host: config.host,
    dataDir: config.dataDir,
    stateMachines: config.stateMachines,
    region: config.region,
    accountId: config.accountId,
    integrations: {
      ...dynamodbIntegrations(new DynamoDBClient({ endpoint: config.dynamodbEndpoint })),
      ...lambdaIntegrations({
        region: config.region,
        accountId: config.accountId,
        // The stack's process builds the handler's real context (local/gateway/api-gateway-event.ts) from these.
        context: (functionName, awsRequestId) => ({ functionName, awsRequestId }) as Context,
        ...(config.faults.lambdaServiceErrors === undefined
          ? {}
          : { serviceErrorsAfterRun: config.faults.lambdaServiceErrors }),
        resolve: async (functionName) => {
          const answer = await ask((id) => ({ resolve: { id, functionName } }));
          return 'resolved' in answer && answer.resolved.exists ? remoteHandler(functionName) : undefined;
        },
      }),
    },
    log: (line) => process.stdout.write(`[hookflow] ${line}\n`),
    ...(config.executionsMaxBytes === undefined ? {} : { executionsMaxBytes: config.executionsMaxBytes }),
    faults: config.faults,
  });
  send({ port: Number(new URL(local.endpoint).port) });
}

process.on('message', (message: ToStepFunctions) => {
  if ('config' in message) {
    start(message.config).catch((error: unknown) => {
      process.stderr.write(
        `[hookflow] the local Step Functions endpoint failed to start: ${(error as Error).message}\n`,
      );
      process.exit(1);
    });
    return;
  }
  const id = 'resolved' in message ? message.resolved.id : message.invoked.id;
  const answered = waiting.get(id);
  waiting.delete(id);
  answered?.(message);
});
// With the stack's process, at once, as when the engine ran inside it: a stack killed mid-run (the crash suite's
// SIGKILL, a laptop's Ctrl-C) leaves its executions RUNNING in the journal, and the next start runs them again.
// Nothing is torn: the journal is written with synchronous appends.
process.on('disconnect', () => process.exit(0));
send({ ready: true });
