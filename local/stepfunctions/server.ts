import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SfnApiError } from './api-error';
import type { LocalStepFunctionsEngine } from './engine';
import type { ExecutionRecord } from './execution-store';
import { THROTTLE_ENV, type RateLimit, buckets } from '../throttles';

type Params = Record<string, unknown>;
type Operation = (engine: LocalStepFunctionsEngine, params: Params) => unknown;

/** AWS JSON protocol dates are epoch seconds. */
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
const str = (params: Params, field: string) => (typeof params[field] === 'string' ? params[field] : undefined);

function execution(record: ExecutionRecord) {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: seconds(record.startDate),
    stopDate: seconds(record.stopDate),
    input: record.input,
    inputDetails: { included: true },
    output: record.output,
    outputDetails: record.output === undefined ? undefined : { included: true },
    error: record.error,
    cause: record.cause,
  };
}

/** A page of a list: nextToken is the offset of the next item, as an opaque string. */
function page<T>(items: readonly T[], params: Params): { items: T[]; nextToken?: string } {
  const max = typeof params.maxResults === 'number' && params.maxResults > 0 ? Math.min(params.maxResults, 1000) : 100;
  const offset =
    str(params, 'nextToken') === undefined ? 0 : Number(Buffer.from(str(params, 'nextToken')!, 'base64url'));
  if (!Number.isInteger(offset) || offset < 0) throw new SfnApiError('InvalidToken', 'Invalid nextToken');
  const slice = items.slice(offset, offset + max);
  return offset + max < items.length
    ? { items: slice, nextToken: Buffer.from(String(offset + max)).toString('base64url') }
    : { items: slice };
}

/** The Step Functions API operations the local endpoint serves, by X-Amz-Target suffix. */
const operations: Record<string, Operation> = {
  StartExecution: (engine, p) => {
    const started = engine.startExecution({
      stateMachineArn: str(p, 'stateMachineArn'),
      name: str(p, 'name'),
      input: str(p, 'input'),
    } as never);
    return { executionArn: started.executionArn, startDate: seconds(started.startDate) };
  },
  StartSyncExecution: async (engine, p) => {
    const record = await engine.startSyncExecution({
      stateMachineArn: str(p, 'stateMachineArn'),
      name: str(p, 'name'),
      input: str(p, 'input'),
    } as never);
    return execution(record);
  },
  DescribeExecution: (engine, p) => execution(engine.describeExecution(str(p, 'executionArn') ?? '')),
  GetExecutionHistory: (engine, p) => {
    const events = [...engine.executionHistory(str(p, 'executionArn') ?? '')];
    if (p.reverseOrder === true) events.reverse();
    const { items, nextToken } = page(events, p);
    return { events: items.map((event) => ({ ...event, timestamp: seconds(event.timestamp) })), nextToken };
  },
  ListExecutions: (engine, p) => {
    const { items, nextToken } = page(
      engine.listExecutions({
        stateMachineArn: str(p, 'stateMachineArn'),
        statusFilter: str(p, 'statusFilter'),
      } as never),
      p,
    );
    return {
      executions: items.map((r) => ({
        executionArn: r.executionArn,
        stateMachineArn: r.stateMachineArn,
        name: r.name,
        status: r.status,
        startDate: seconds(r.startDate),
        stopDate: seconds(r.stopDate),
      })),
      nextToken,
    };
  },
  StopExecution: (engine, p) => ({
    stopDate: seconds(
      engine.stopExecution({
        executionArn: str(p, 'executionArn'),
        error: str(p, 'error'),
        cause: str(p, 'cause'),
      } as never).stopDate,
    ),
  }),
  // Refuses with InvalidDefinition every definition AWS would refuse (workflows/service-integrations.ts).
  CreateStateMachine: (engine, p) => {
    const created = engine.createStateMachine({
      name: str(p, 'name'),
      definition: str(p, 'definition'),
      type: str(p, 'type'),
    } as never);
    return { stateMachineArn: created.stateMachineArn, creationDate: seconds(created.creationDate) };
  },
  DescribeStateMachine: (engine, p) => {
    const machine = engine.machineByArn(str(p, 'stateMachineArn'));
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      type: machine.type,
      definition: JSON.stringify(machine.definition),
      roleArn: `arn:aws:iam::000000000000:role/local`,
      creationDate: seconds(machine.createdAt),
    };
  },
  ListStateMachines: (engine, p) => {
    const { items, nextToken } = page(engine.stateMachines(), p);
    return {
      stateMachines: items.map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: m.type,
        creationDate: seconds(m.createdAt),
      })),
      nextToken,
    };
  },
  SendTaskSuccess: (engine, p) => (engine.sendTaskSuccess(required(p, 'taskToken'), required(p, 'output')), {}),
  SendTaskFailure: (engine, p) => (
    engine.sendTaskFailure(required(p, 'taskToken'), str(p, 'error'), str(p, 'cause')),
    {}
  ),
  SendTaskHeartbeat: (engine, p) => (engine.sendTaskHeartbeat(required(p, 'taskToken')), {}),
};

function required(params: Params, field: string): string {
  const value = str(params, field);
  if (value === undefined) throw new SfnApiError('ValidationException', `${field} is required`);
  return value;
}

/**
 * Serves the AWS JSON 1.0 protocol (POST /, X-Amz-Target: AWSStepFunctions.<Operation>) so the real
 * @aws-sdk/client-sfn, pointed here by AWS_ENDPOINT_URL_SFN, talks to the local engine.
 */
export function startSfnServer(
  engine: LocalStepFunctionsEngine,
  host: string,
  port: number,
  faults: LocalFaults = {},
): Promise<Server> {
  let throttleStarts = faults.throttleStarts ?? 0;
  let loseTaskAnswers = faults.loseTaskAnswers ?? 0;
  const bucket = buckets(faults.rates ?? {});
  // The call was carried out; its answer is lost. Step Functions answers its own failures with a 5xx
  // (InternalFailure, https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html), which
  // says nothing of whether the work was done: the SDK retries it, and a retry of a task's send then hears
  // TaskTimedOut, the token already used.
  const loseAnswer = (operation: string): boolean => {
    if (loseTaskAnswers === 0 || (operation !== 'SendTaskSuccess' && operation !== 'SendTaskFailure')) return false;
    loseTaskAnswers--;
    return true;
  };
  const injectFault = (operation: string, params: Params) => {
    if (throttleStarts > 0 && operation.startsWith('Start')) {
      throttleStarts--;
      throw new SfnApiError('ThrottlingException', 'Rate exceeded (injected: HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS)');
    }
    // Step Functions refuses a call over its API bucket with ThrottlingException (HTTP 400; "Rate exceeded"):
    // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html (Errors) and
    // https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (API action throttling).
    if (!bucket(operation)) throw new SfnApiError('ThrottlingException', `Rate exceeded (injected: ${THROTTLE_ENV})`);
    // "The maximum number of running executions has been reached. Running executions must end or be stopped
    // before a new execution can be started." Standard only (Express executions are not counted):
    // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html (Errors).
    if (
      operation === 'StartExecution' &&
      faults.openExecutions !== undefined &&
      isStandard(engine, str(params, 'stateMachineArn')) &&
      engine.openStandardExecutions() >= faults.openExecutions
    ) {
      throw new SfnApiError(
        'ExecutionLimitExceeded',
        `The maximum number of running executions has been reached (injected: ${THROTTLE_ENV} sfn:open=${faults.openExecutions}).`,
      );
    }
  };
  const server = createServer((req, res) => void handle(engine, req, res, injectFault, loseAnswer));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function isStandard(engine: LocalStepFunctionsEngine, stateMachineArn: string | undefined): boolean {
  try {
    return engine.machineByArn(stateMachineArn).type === 'STANDARD';
  } catch {
    return false; // the operation itself answers StateMachineDoesNotExist
  }
}

/** Faults the local endpoint can inject, so tests can show what a throttled Step Functions does to hookflow. */
export interface LocalFaults {
  /** Answer this many StartExecution / StartSyncExecution calls with ThrottlingException first. */
  readonly throttleStarts?: number;
  /** Token buckets by operation (HOOKFLOW_LOCAL_THROTTLE's `sfn:<Operation>`): ThrottlingException when empty. */
  readonly rates?: Readonly<Record<string, RateLimit>>;
  /** `sfn:open`: StartExecution answers ExecutionLimitExceeded while this many Standard executions run. */
  readonly openExecutions?: number;
  /**
   * Carry out this many SendTaskSuccess / SendTaskFailure calls first, but answer each 500 InternalFailure, as a
   * call whose answer was lost (HOOKFLOW_LOCAL_SFN_LOSE_TASK_ANSWERS).
   */
  readonly loseTaskAnswers?: number;
  /**
   * Fail this many Lambda tasks with Lambda.ServiceException after their function ran (HOOKFLOW_LOCAL_LAMBDA_SERVICE_ERRORS):
   * carried out by the Lambda integration (./lambda-integrations.ts, `serviceErrorsAfterRun`), which the process that
   * runs the endpoint builds with it.
   */
  readonly lambdaServiceErrors?: number;
}

async function handle(
  engine: LocalStepFunctionsEngine,
  req: IncomingMessage,
  res: ServerResponse,
  injectFault: (operation: string, params: Params) => void,
  loseAnswer: (operation: string) => boolean,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const target = String(req.headers['x-amz-target'] ?? '');
  const name = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
  try {
    const operation = operations[name];
    if (req.method !== 'POST' || operation === undefined) {
      throw new SfnApiError('UnknownOperationException', `the local endpoint does not implement '${target}'`);
    }
    let params: Params;
    try {
      params = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Params;
    } catch {
      throw new SfnApiError('SerializationException', 'the request body is not JSON');
    }
    injectFault(name, params);
    const answer = await operation(engine, params);
    if (loseAnswer(name)) return send(res, 500, { __type: 'InternalFailure', message: 'answer lost (injected)' });
    send(res, 200, answer);
  } catch (error) {
    if (error instanceof SfnApiError) return send(res, 400, { __type: error.type, message: error.message });
    send(res, 500, { __type: 'InternalServerError', message: (error as Error).message });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export const serverUrl = (server: Server) => {
  const address = server.address() as AddressInfo;
  return `http://${address.address}:${address.port}`;
};
