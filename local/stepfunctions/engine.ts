import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { SfnApiError, taskError } from './api-error';
import {
  type Partition,
  expressExecutionArn,
  isValidExecutionName,
  standardExecutionArn,
  stateMachineArn,
  stateMachineNameOf,
} from './arns';
import { type WorkflowType, definitionProblems, invalidDefinitionMessage } from '../../workflows/service-integrations';
import { integrationOf, taskStates, withAwsTaskTimeouts } from './definitions';
import { type ExecutionRecord, ExecutionStore } from './execution-store';
import { type HistoryEvent, toHistoryEvent } from './history';
import { TaskTokens } from './task-tokens';
import { VALIDATE, validatedDefinitions } from './validated-definitions';

export interface LocalStateMachine {
  readonly name: string;
  readonly type: WorkflowType;
  readonly definition: Record<string, unknown>;
}

/**
 * A service a Task state calls, keyed by its resource in the `aws` partition without a pattern suffix
 * (e.g. `arn:aws:states:::dynamodb:putItem`, `arn:aws:states:::aws-sdk:dynamodb:putItem`). Receives the
 * task's effective parameters; returns its result.
 */
export type TaskIntegration = (parameters: unknown) => Promise<unknown>;

/** Step Functions caps execution input at 256 KiB. */
export const MAX_INPUT_BYTES = 262_144;

interface LoadedStateMachine extends LocalStateMachine {
  readonly arn: string;
  readonly machine: StateMachine;
  readonly createdAt: number;
}

/**
 * The Step Functions API semantics hookflow depends on, over aws-local-stepfunctions: Standard name
 * idempotency, Express ARNs, sync starts, describe/list/stop, and task tokens. Executions are journaled to
 * the data folder; on start, asynchronous ones a restart interrupted run again from the top.
 */
export class LocalStepFunctionsEngine {
  private readonly machines = new Map<string, LoadedStateMachine>();
  private readonly store: ExecutionStore;
  private readonly running = new Map<string, { abort(): void; stopRequested?: { error?: string; cause?: string } }>();
  private readonly finished = new Map<string, Promise<ExecutionRecord>>();
  /** History of the executions running now; an ended execution's history is on its record. */
  private readonly histories = new Map<string, HistoryEvent[]>();
  private readonly tokens = new TaskTokens();
  private closing = false;

  constructor(
    private readonly options: {
      readonly partition: Partition;
      readonly dataDir: string;
      readonly stateMachines: readonly LocalStateMachine[];
      readonly integrations?: Readonly<Record<string, TaskIntegration>>;
      readonly log?: (line: string) => void;
      readonly executionsMaxBytes?: number;
    },
  ) {
    for (const sm of options.stateMachines) {
      try {
        this.load(sm);
      } catch (error) {
        // At start there is no caller to answer: say which state machine AWS would have refused.
        if (error instanceof SfnApiError)
          throw new SfnApiError(error.type, `state machine ${sm.name}: ${error.message}`);
        throw error;
      }
    }
    this.store = new ExecutionStore(
      options.dataDir,
      options.executionsMaxBytes === undefined ? {} : { maxEndedBytes: options.executionsMaxBytes },
    );
  }

  /** Runs again every asynchronous execution a previous process left RUNNING; returns how many. */
  resumeInterrupted(): number {
    let resumed = 0;
    for (const record of [...this.store.all()]) {
      if (record.status !== 'RUNNING') continue;
      if (record.sync || !this.machines.has(record.stateMachineName)) {
        this.finish(record, {
          status: 'FAILED',
          error: 'States.Runtime',
          cause: record.sync
            ? 'the local stack stopped during this synchronous execution; its caller has gone'
            : `state machine ${record.stateMachineName} is no longer defined`,
        });
        continue;
      }
      this.execute(record);
      resumed++;
    }
    return resumed;
  }

  startExecution(params: { stateMachineArn?: string; name?: string; input?: string }) {
    const record = this.newExecution(params, false);
    const existing = this.store.get(record.executionArn);
    if (existing !== undefined) {
      // Standard names are unique per state machine; the same name and input while running is the same start.
      if (existing.status === 'RUNNING' && existing.input === record.input) {
        return { executionArn: existing.executionArn, startDate: existing.startDate };
      }
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    // Forgotten to stay within the local retention, but its name is still taken (as in AWS for 90 days).
    if (this.store.isReserved(record.executionArn)) {
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${record.executionArn}'`);
    }
    this.store.put(record);
    this.execute(record);
    return { executionArn: record.executionArn, startDate: record.startDate };
  }

  async startSyncExecution(params: { stateMachineArn?: string; name?: string; input?: string }) {
    const record = this.newExecution(params, true);
    if (record.type !== 'EXPRESS') {
      throw new SfnApiError(
        'StateMachineTypeNotSupported',
        'This operation is not supported by this type of state machine',
      );
    }
    this.store.put(record);
    return this.execute(record);
  }

  describeExecution(executionArn: string): ExecutionRecord {
    const record = this.store.get(executionArn);
    if (record === undefined) {
      if (stateMachineNameOf(executionArn) === undefined)
        throw new SfnApiError('InvalidArn', `Invalid Arn: '${executionArn}'`);
      throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return record;
  }

  /** GetExecutionHistory: every event so far, oldest first (Express executions have none, as in AWS). */
  executionHistory(executionArn: string): readonly HistoryEvent[] {
    const record = this.describeExecution(executionArn);
    if (record.type === 'EXPRESS') {
      throw new SfnApiError('InvalidArn', `Invalid Arn: '${executionArn}': Express executions have no history`);
    }
    return this.histories.get(executionArn) ?? record.history ?? [];
  }

  /** How many Standard executions are RUNNING: what the open-executions quota counts (sfn:open). */
  openStandardExecutions(): number {
    let open = 0;
    for (const executionArn of this.running.keys()) {
      if (this.describeExecution(executionArn).type === 'STANDARD') open++;
    }
    return open;
  }

  listExecutions(params: { stateMachineArn?: string; statusFilter?: string }): ExecutionRecord[] {
    const machine = this.machineByArn(params.stateMachineArn);
    return [...this.store.all()]
      .filter((r) => r.stateMachineName === machine.name)
      .filter((r) => params.statusFilter === undefined || r.status === params.statusFilter)
      .sort((a, b) => b.startDate - a.startDate);
  }

  stopExecution(params: { executionArn?: string; error?: string; cause?: string }) {
    const record = this.describeExecution(params.executionArn ?? '');
    const run = this.running.get(record.executionArn);
    if (run !== undefined && record.status === 'RUNNING') {
      run.stopRequested = {
        ...(params.error === undefined ? {} : { error: params.error }),
        ...(params.cause === undefined ? {} : { cause: params.cause }),
      };
      run.abort();
    }
    return { stopDate: Date.now() };
  }

  machineByArn(arn: string | undefined): LoadedStateMachine {
    const machine = [...this.machines.values()].find((m) => m.arn === arn);
    if (machine === undefined) {
      if (!/^arn:aws:states:[^:]+:\d{12}:stateMachine:[^:]+$/.test(arn ?? '')) {
        throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn ?? ''}'`);
      }
      throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn ?? ''}'`);
    }
    return machine;
  }

  stateMachines(): LoadedStateMachine[] {
    return [...this.machines.values()];
  }

  sendTaskSuccess(token: string, output: string): void {
    this.tokens.succeed(token, parseJson(output, 'InvalidOutput', 'output'));
  }

  sendTaskFailure(token: string, error = '', cause = ''): void {
    this.tokens.fail(token, error, cause);
  }

  sendTaskHeartbeat(token: string): void {
    this.tokens.heartbeat(token);
  }

  /** Stops running executions without recording an outcome: they stay RUNNING and resume on next start. */
  async close(): Promise<void> {
    this.closing = true;
    for (const run of this.running.values()) run.abort();
    await Promise.allSettled(this.finished.values());
  }

  /**
   * CreateStateMachine: the same name with the same definition and type is the same machine (AWS answers
   * idempotently); a different one under a taken name is StateMachineAlreadyExists. Created machines live
   * until the endpoint stops (the journal keeps executions, not definitions).
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html
   */
  createStateMachine(params: { name?: string; definition?: string; type?: string }) {
    const name = params.name ?? '';
    if (!isValidExecutionName(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    const type = params.type ?? 'STANDARD';
    if (type !== 'STANDARD' && type !== 'EXPRESS') {
      throw new SfnApiError('ValidationException', `type must be STANDARD or EXPRESS, not '${type}'`);
    }
    const definition = parseJson(params.definition ?? '', 'InvalidDefinition', 'definition');
    if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
      throw new SfnApiError('InvalidDefinition', 'definition is not a JSON object');
    }
    const existing = this.machines.get(name);
    if (existing !== undefined) {
      if (existing.type === type && JSON.stringify(existing.definition) === JSON.stringify(definition)) {
        return { stateMachineArn: existing.arn, creationDate: existing.createdAt };
      }
      throw new SfnApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${existing.arn}'`);
    }
    const loaded = this.load({ name, type, definition: definition as Record<string, unknown> });
    return { stateMachineArn: loaded.arn, creationDate: loaded.createdAt };
  }

  /**
   * Refuses, as CreateStateMachine does, every Task resource AWS's table (workflows/service-integrations.ts)
   * refuses for this workflow type, nested Map and Parallel states included.
   */
  private load(sm: LocalStateMachine): LoadedStateMachine {
    const problems = definitionProblems(sm.definition, sm.type);
    if (problems.length > 0) throw new SfnApiError('InvalidDefinition', invalidDefinitionMessage(problems));
    const machine = compile(sm.definition);
    const loaded = { ...sm, arn: stateMachineArn(this.options.partition, sm.name), machine, createdAt: Date.now() };
    this.machines.set(sm.name, loaded);
    return loaded;
  }

  private newExecution(
    params: { stateMachineArn?: string; name?: string; input?: string },
    sync: boolean,
  ): ExecutionRecord {
    const machine = this.machineByArn(params.stateMachineArn);
    const name = params.name ?? randomUUID();
    if (!isValidExecutionName(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    const input = params.input ?? '{}';
    if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
      throw new SfnApiError('ValidationException', `input must be at most ${MAX_INPUT_BYTES} bytes`);
    }
    parseJson(input, 'InvalidExecutionInput', 'input');
    const p = this.options.partition;
    return {
      executionArn:
        machine.type === 'STANDARD'
          ? standardExecutionArn(p, machine.name, name)
          : expressExecutionArn(p, machine.name, name, randomUUID()),
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      type: machine.type,
      name,
      input,
      status: 'RUNNING',
      startDate: Date.now(),
      sync,
    };
  }

  private execute(record: ExecutionRecord): Promise<ExecutionRecord> {
    const machine = this.machines.get(record.stateMachineName)!;
    const arn = record.executionArn;
    const tokens = this.tokens;
    const context = {
      Execution: { Id: arn, Name: record.name, RoleArn: `arn:aws:iam::${this.options.partition.accountId}:role/local` },
      StateMachine: { Id: machine.arn, Name: machine.name },
      // aws-local-stepfunctions tracks no state context: read when a state's parameters are built, this is
      // the time the state was entered, to the millisecond.
      State: {
        get EnteredTime() {
          return new Date().toISOString();
        },
      },
      Task: {
        get Token() {
          return tokens.issue(arn);
        },
      },
    };
    const run = machine.machine.run(JSON.parse(record.input) as never, {
      context,
      overrides: { taskResourceLocalHandlers: this.taskHandlers(machine, arn) },
    });
    const handle: { abort(): void; stopRequested?: { error?: string; cause?: string } } = { abort: run.abort };
    this.running.set(arn, handle);
    const history: HistoryEvent[] = [];
    this.histories.set(arn, history);
    const historyDone = (async () => {
      for await (const event of run.eventLogs) {
        const entry = toHistoryEvent(event, history.length + 1);
        if (entry !== undefined) history.push(entry);
      }
    })();
    const outcome: Promise<Partial<ExecutionRecord> | undefined> = run.result.then(
      (output) => ({ status: 'SUCCEEDED', output: JSON.stringify(output) }),
      (error: unknown) => {
        if (error instanceof ExecutionAbortedError) {
          // Closing for a restart: no outcome, the execution stays RUNNING in the journal and runs again.
          if (this.closing && handle.stopRequested === undefined) return undefined;
          return { status: 'ABORTED', ...handle.stopRequested };
        }
        if (error instanceof ExecutionTimeoutError) {
          return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'the execution timed out' };
        }
        const failure = error instanceof ExecutionError ? (error.cause as Error | undefined) : (error as Error);
        return { status: 'FAILED', error: failure?.name ?? 'States.Runtime', cause: failure?.message ?? String(error) };
      },
    );
    const finished = outcome
      .then(async (ended) => {
        // The log closes with the execution's last event; never let a stuck log hold the outcome back.
        await Promise.race([historyDone, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
        return ended === undefined ? record : this.finish(record, { ...ended, history: [...history] });
      })
      .finally(() => {
        this.running.delete(arn);
        this.finished.delete(arn);
        this.histories.delete(arn);
        this.tokens.closeExecution(arn);
      });
    this.finished.set(arn, finished);
    return finished;
  }

  private finish(record: ExecutionRecord, outcome: Partial<ExecutionRecord>): ExecutionRecord {
    const done = { ...record, ...outcome, stopDate: Date.now() };
    this.store.put(done);
    if (done.status !== 'SUCCEEDED')
      this.options.log?.(`execution ${done.executionArn} ${done.status}: ${done.error ?? ''}`);
    return done;
  }

  /** One local handler per Task state: call the integration, then (for .waitForTaskToken) wait for the token. */
  private taskHandlers(machine: LoadedStateMachine, executionArn: string) {
    const handlers: NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']> = {};
    for (const task of taskStates(machine.definition)) {
      const served = integrationOf(task.resource);
      handlers[task.name] = async (parameters) => {
        const integration = served === undefined ? undefined : this.options.integrations?.[served.key];
        if (served === undefined || integration === undefined || served.pattern.startsWith('sync')) {
          throw taskError('States.Runtime', `the local stack does not implement the Task resource ${task.resource}`);
        }
        const waitForTaskToken = served.pattern === 'waitForTaskToken';
        if (!waitForTaskToken) return (await integration(parameters)) as never;
        const tokens = this.tokens.tokensIn(executionArn, parameters);
        const waiting = this.tokens.wait(executionArn, tokens, task.heartbeatSeconds);
        waiting.catch(() => undefined); // observed below, or abandoned when the integration fails
        try {
          await integration(parameters);
        } catch (error) {
          this.tokens.abandon(tokens, error as Error);
          throw error;
        }
        return (await waiting) as never;
      };
    }
    return handlers;
  }
}

/**
 * Validating a definition takes aws-local-stepfunctions ~90 ms; a definition loaded again in this process reuses
 * its machine, and one that passed in an earlier start is not validated a second time (./validated-definitions.ts).
 */
const compiled = new Map<string, StateMachine>();
const validated = validatedDefinitions();
function compile(definition: Record<string, unknown>): StateMachine {
  const text = JSON.stringify(definition);
  let machine = compiled.get(text);
  if (machine === undefined) {
    const run = withAwsTaskTimeouts(definition);
    const runText = JSON.stringify(run);
    const validationOptions = validated.optionsFor(runText);
    machine = new StateMachine(run as unknown as StateMachineDefinition, { validationOptions });
    if (validationOptions === VALIDATE) validated.passed(runText);
    compiled.set(text, machine);
  }
  return machine;
}

function parseJson(text: string, errorType: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SfnApiError(errorType, `${field} is not valid JSON`);
  }
}
