import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from './history';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution as DescribeExecution reports it (dates as epoch milliseconds). */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  type: 'EXPRESS' | 'STANDARD';
  name: string;
  /** The input exactly as the caller sent it (a JSON text). */
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** Started by StartSyncExecution: its caller is gone after a restart, so it is not resumed. */
  sync: boolean;
  /** GetExecutionHistory's events, recorded when the execution ends (live ones are held by the engine). */
  history?: HistoryEvent[];
}

/**
 * Every execution the local endpoint has started, in memory and in an append-only JSON Lines journal under
 * the data folder, so links handed out before a restart still resolve after it. On load the journal is
 * compacted to one line per execution.
 */
export class ExecutionStore {
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly journal: string;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.journal = join(dataDir, 'executions.jsonl');
    this.load();
  }

  get(executionArn: string): ExecutionRecord | undefined {
    return this.executions.get(executionArn);
  }

  all(): IterableIterator<ExecutionRecord> {
    return this.executions.values();
  }

  /** Records a new execution, or a new state of a known one. */
  put(record: ExecutionRecord): void {
    this.executions.set(record.executionArn, record);
    appendFileSync(this.journal, `${JSON.stringify(record)}\n`);
  }

  private load(): void {
    if (!existsSync(this.journal)) return;
    for (const line of readFileSync(this.journal, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const record = JSON.parse(line) as ExecutionRecord;
        this.executions.set(record.executionArn, record);
      } catch {
        // A line torn by a crash mid-write: every earlier line is intact, and this one never finished.
      }
    }
    const compacted = join(this.journal + '.tmp');
    writeFileSync(compacted, [...this.executions.values()].map((r) => `${JSON.stringify(r)}\n`).join(''));
    renameSync(compacted, this.journal);
  }
}
