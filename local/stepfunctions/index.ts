import { mkdirSync } from 'node:fs';
import { stateMachineArn } from './arns';
import { type LocalStateMachine, LocalStepFunctionsEngine, type TaskIntegration } from './engine';
import { type LocalFaults, serverUrl, startSfnServer } from './server';

export type { LocalStateMachine, TaskIntegration } from './engine';

export interface LocalStepFunctions {
  /** Base URL for AWS_ENDPOINT_URL_SFN. */
  readonly endpoint: string;
  stateMachineArn(name: string): string;
  /** Stops serving; running asynchronous executions stay RUNNING in the journal and resume on next start. */
  close(): Promise<void>;
}

/**
 * A local Step Functions endpoint: aws-local-stepfunctions runs the ASL, this wraps it in the AWS API (the
 * operations hookflow and its operators use) and persists executions under `dataDir`.
 */
export async function startLocalStepFunctions(options: {
  host: string;
  port?: number;
  dataDir: string;
  stateMachines: readonly LocalStateMachine[];
  integrations?: Readonly<Record<string, TaskIntegration>>;
  region?: string;
  accountId?: string;
  log?: (line: string) => void;
  faults?: LocalFaults;
  /** Bytes of ended executions kept (execution-store.ts); default 256 MiB. */
  executionsMaxBytes?: number;
}): Promise<LocalStepFunctions> {
  mkdirSync(options.dataDir, { recursive: true });
  const partition = { region: options.region ?? 'us-east-1', accountId: options.accountId ?? '000000000000' };
  const engine = new LocalStepFunctionsEngine({
    partition,
    dataDir: options.dataDir,
    stateMachines: options.stateMachines,
    ...(options.integrations === undefined ? {} : { integrations: options.integrations }),
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.executionsMaxBytes === undefined ? {} : { executionsMaxBytes: options.executionsMaxBytes }),
  });
  const server = await startSfnServer(engine, options.host, options.port ?? 0, options.faults);
  const resumed = engine.resumeInterrupted();
  if (resumed > 0) options.log?.(`resumed ${resumed} executions a restart had interrupted`);
  return {
    endpoint: serverUrl(server),
    stateMachineArn: (name) => stateMachineArn(partition, name),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await engine.close();
      await closed;
    },
  };
}
