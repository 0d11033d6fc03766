import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isExpressExecutionArn } from './arns';
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

export interface ExecutionStoreOptions {
  /**
   * How many bytes (as JSON) of ended executions are kept, input, output and history included; past it the
   * oldest-ended ones are forgotten (DescribeExecution then says ExecutionDoesNotExist, as AWS does once its
   * retention has passed). Running executions are always kept. Default: {@link DEFAULT_MAX_ENDED_BYTES}.
   */
  readonly maxEndedBytes?: number;
  readonly now?: () => number;
}

/** `HOOKFLOW_LOCAL_EXECUTIONS_MAX_MB`'s default: 256 MiB of ended executions. */
export const DEFAULT_MAX_ENDED_BYTES = 256 * 1024 * 1024;

/**
 * AWS keeps a closed execution's history for 90 days, and a Standard execution's name stays taken for as long
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Execution history retention
 * time"; StartExecution: "ExecutionAlreadyExists"). A forgotten Standard execution keeps its name reserved here
 * for those 90 days, so a retry can never start a second run with the same name, whatever was forgotten.
 * An Express execution reserves nothing: for Express, "Idempotency is not automatically managed. Starting
 * multiple workflows with the same name results in concurrent executions"
 * (https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html), and each start gets
 * an ARN of its own (arns.ts, expressExecutionArn), which no later start can ask for. Reserving those ARNs only
 * grew this store and every compaction of its journal, by one line per forgotten Express run for 90 days.
 */
export const NAME_RESERVED_MS = 90 * 24 * 60 * 60 * 1000;

/** Appends before a compaction: the journal may grow to twice what is kept, plus this much. */
const COMPACT_SLACK_BYTES = 64 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;

type JournalLine = ExecutionRecord | { forgotten: string; stopDate: number };

/**
 * Every execution the local endpoint has started, in memory and in an append-only JSON Lines journal under
 * the data folder, so links handed out before a restart still resolve after it. Bounded: ended executions
 * beyond `maxEndedBytes` are forgotten oldest first (their names stay reserved, see NAME_RESERVED_MS); the
 * journal is read line by line (a journal of any size loads) and compacted to what is kept, on load and
 * whenever it grows to twice that.
 */
export class ExecutionStore {
  private readonly executions = new Map<string, ExecutionRecord>();
  /** Ended executions, oldest-ended first (Map keeps insertion order), with their size as JSON. */
  private readonly ended = new Map<string, number>();
  private endedBytes = 0;
  /** Forgotten executions' ARNs and when they ended: their names stay taken. */
  private readonly reserved = new Map<string, number>();
  private readonly journal: string;
  private journalBytes = 0;
  private readonly maxEndedBytes: number;
  private readonly now: () => number;

  constructor(dataDir: string, options: ExecutionStoreOptions = {}) {
    mkdirSync(dataDir, { recursive: true });
    this.journal = join(dataDir, 'executions.jsonl');
    this.maxEndedBytes = options.maxEndedBytes ?? DEFAULT_MAX_ENDED_BYTES;
    this.now = options.now ?? Date.now;
    this.load();
  }

  get(executionArn: string): ExecutionRecord | undefined {
    return this.executions.get(executionArn);
  }

  /** Whether an execution of this ARN ran and was forgotten within the last 90 days: its name is taken. */
  isReserved(executionArn: string): boolean {
    const stopDate = this.reserved.get(executionArn);
    return stopDate !== undefined && stopDate + NAME_RESERVED_MS > this.now();
  }

  all(): IterableIterator<ExecutionRecord> {
    return this.executions.values();
  }

  /** How much is held: executions kept, bytes of ended ones, names reserved, journal bytes. */
  size(): { executions: number; endedBytes: number; reserved: number; journalBytes: number } {
    return {
      executions: this.executions.size,
      endedBytes: this.endedBytes,
      reserved: this.reserved.size,
      journalBytes: this.journalBytes,
    };
  }

  /** Records a new execution, or a new state of a known one. */
  put(record: ExecutionRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    this.apply(record, Buffer.byteLength(line));
    const forgotten = this.forgetOverBudget();
    this.append(line + forgotten.map((arn) => this.forgottenLine(arn)).join(''));
    if (this.journalBytes > 2 * this.endedBytes + COMPACT_SLACK_BYTES) this.compact();
  }

  private apply(record: ExecutionRecord, bytes: number): void {
    this.untrackEnded(record.executionArn);
    this.executions.set(record.executionArn, record);
    if (record.status !== 'RUNNING') {
      this.ended.set(record.executionArn, bytes);
      this.endedBytes += bytes;
    }
  }

  private untrackEnded(executionArn: string): void {
    const bytes = this.ended.get(executionArn);
    if (bytes === undefined) return;
    this.ended.delete(executionArn);
    this.endedBytes -= bytes;
  }

  /** Forgets the oldest-ended executions until what is kept fits the budget; returns their ARNs. */
  private forgetOverBudget(): string[] {
    const forgotten: string[] = [];
    for (const [executionArn] of this.ended) {
      if (this.endedBytes <= this.maxEndedBytes) break;
      this.forget(executionArn, this.executions.get(executionArn)?.stopDate ?? this.now());
      forgotten.push(executionArn);
    }
    return forgotten;
  }

  private forget(executionArn: string, stopDate: number): void {
    this.untrackEnded(executionArn);
    this.executions.delete(executionArn);
    // A journal written before Express runs stopped reserving their ARNs drops them here, at its next load.
    if (!isExpressExecutionArn(executionArn)) this.reserved.set(executionArn, stopDate);
  }

  private forgottenLine(executionArn: string): string {
    // An Express run's has no stopDate (nothing reserved): replayed, it is forgotten all the same.
    return `${JSON.stringify({ forgotten: executionArn, stopDate: this.reserved.get(executionArn) ?? this.now() })}\n`;
  }

  private append(text: string): void {
    const fd = openSync(this.journal, 'a');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    this.journalBytes += Buffer.byteLength(text);
  }

  private load(): void {
    if (!existsSync(this.journal)) return;
    readLines(this.journal, (line, bytes) => {
      let entry: JournalLine;
      try {
        entry = JSON.parse(line) as JournalLine;
      } catch {
        return; // A line torn by a crash mid-write: every earlier line is intact, and this one never finished.
      }
      if ('forgotten' in entry) this.forget(entry.forgotten, entry.stopDate);
      else {
        this.reserved.delete(entry.executionArn);
        this.apply(entry, bytes);
        this.forgetOverBudget();
      }
    });
    this.compact();
  }

  /** Rewrites the journal as what is kept (one line per execution, reserved names after), atomically. */
  private compact(): void {
    const now = this.now();
    for (const [executionArn, stopDate] of this.reserved) {
      if (stopDate + NAME_RESERVED_MS <= now) this.reserved.delete(executionArn);
    }
    const compacted = `${this.journal}.tmp`;
    const fd = openSync(compacted, 'w');
    let bytes = 0;
    try {
      // Line by line: the whole journal as one string could pass V8's maximum string length.
      for (const record of this.executions.values()) bytes += writeSync(fd, `${JSON.stringify(record)}\n`);
      for (const executionArn of this.reserved.keys()) bytes += writeSync(fd, this.forgottenLine(executionArn));
    } finally {
      closeSync(fd);
    }
    renameSync(compacted, this.journal);
    this.journalBytes = bytes;
  }
}

/** Calls `onLine` for each line of a file, reading it in chunks (never the whole file into one string). */
function readLines(path: string, onLine: (line: string, bytes: number) => void): void {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.alloc(READ_CHUNK_BYTES);
    let pending: Buffer[] = [];
    let position = 0;
    while (position < size) {
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read === 0) break;
      position += read;
      let start = 0;
      for (
        let newline = chunk.indexOf(10, start);
        newline !== -1 && newline < read;
        newline = chunk.indexOf(10, start)
      ) {
        const line = Buffer.concat([...pending, chunk.subarray(start, newline)]);
        pending = [];
        if (line.length > 0) onLine(line.toString('utf8'), line.length + 1);
        start = newline + 1;
      }
      if (start < read) pending.push(Buffer.from(chunk.subarray(start, read)));
    }
    const last = Buffer.concat(pending);
    if (last.length > 0) onLine(last.toString('utf8'), last.length);
  } finally {
    closeSync(fd);
  }
}
