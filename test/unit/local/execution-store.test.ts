import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExecutionRecord, ExecutionStore, NAME_RESERVED_MS } from '../../../local/stepfunctions/execution-store';

const T0 = Date.now();
const arn = (i: number) => `arn:aws:states:us-east-1:000000000000:execution:hookflow-echo-standard:run-${i}`;
const record = (i: number, status: ExecutionRecord['status'], inputBytes = 1000): ExecutionRecord => ({
  executionArn: arn(i),
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:hookflow-echo-standard',
  stateMachineName: 'hookflow-echo-standard',
  type: 'STANDARD',
  name: `run-${i}`,
  input: JSON.stringify({ pad: 'x'.repeat(inputBytes) }),
  status,
  startDate: T0 + i,
  ...(status === 'RUNNING' ? {} : { stopDate: T0 + 1_000 + i, output: '{}' }),
  sync: false,
});

/** The local execution journal: bounded in memory and on disk, and loadable at any size (issue 15, defect 13). */
describe('ExecutionStore', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'hookflow-store-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps at most maxEndedBytes of ended executions, forgetting the oldest-ended first', () => {
    // Arrange
    const store = new ExecutionStore(dataDir, { maxEndedBytes: 20_000 });

    // Act: 100 ended executions of ~1.3 KB each, ~130 KB in all
    for (let i = 0; i < 100; i++) {
      store.put(record(i, 'RUNNING'));
      store.put(record(i, 'SUCCEEDED'));
    }

    // Assert
    expect(store.size().endedBytes).toBeLessThanOrEqual(20_000);
    expect(store.size().executions).toBeGreaterThan(5);
    expect(store.get(arn(99))?.status).toBe('SUCCEEDED');
    expect(store.get(arn(0))).toBeUndefined();
    expect(store.isReserved(arn(0))).toBe(true);
    expect(store.isReserved(arn(99))).toBe(false); // kept, not forgotten
  });

  it('never forgets a running execution, whatever the budget', () => {
    // Arrange
    const store = new ExecutionStore(dataDir, { maxEndedBytes: 1 });

    // Act
    for (let i = 0; i < 20; i++) store.put(record(i, 'RUNNING'));
    store.put(record(0, 'FAILED'));

    // Assert
    expect([...store.all()].map((r) => r.name).sort()).toEqual(
      Array.from({ length: 19 }, (_, i) => `run-${i + 1}`).sort(),
    );
    expect(store.isReserved(arn(0))).toBe(true);
  });

  it('after a restart holds exactly what it kept, forgotten names still taken, and a compacted journal', () => {
    // Arrange
    const first = new ExecutionStore(dataDir, { maxEndedBytes: 20_000 });
    for (let i = 0; i < 100; i++) {
      first.put(record(i, 'RUNNING'));
      first.put(record(i, 'SUCCEEDED'));
    }
    first.put(record(500, 'RUNNING'));
    const kept = [...first.all()].map((r) => r.executionArn).sort();
    const journal = join(dataDir, 'executions.jsonl');
    const before = statSync(journal).size;

    // Act
    const second = new ExecutionStore(dataDir, { maxEndedBytes: 20_000 });

    // Assert
    expect([...second.all()].map((r) => r.executionArn).sort()).toEqual(kept);
    expect(second.get(arn(500))?.status).toBe('RUNNING');
    expect(second.isReserved(arn(0))).toBe(true);
    expect(statSync(journal).size).toBeLessThan(before / 4);
    expect(readFileSync(journal, 'utf8').trimEnd().split('\n')).toHaveLength(
      second.size().executions + second.size().reserved,
    );
  });

  it('a shrunken budget applies at the next start', () => {
    // Arrange
    const first = new ExecutionStore(dataDir);
    for (let i = 0; i < 50; i++) first.put(record(i, 'SUCCEEDED'));

    // Act
    const second = new ExecutionStore(dataDir, { maxEndedBytes: 5_000 });

    // Assert
    expect(second.size().endedBytes).toBeLessThanOrEqual(5_000);
    expect(second.get(arn(49))).toBeDefined();
    expect(second.isReserved(arn(0))).toBe(true);
  });

  it('frees a forgotten name 90 days after its execution ended, as AWS does', () => {
    // Arrange
    let now = T0 + 10_000;
    const first = new ExecutionStore(dataDir, { maxEndedBytes: 1, now: () => now });
    first.put(record(1, 'SUCCEEDED'));
    expect(first.isReserved(arn(1))).toBe(true);

    // Act
    now = T0 + 1_001 + NAME_RESERVED_MS;
    const second = new ExecutionStore(dataDir, { maxEndedBytes: 1, now: () => now });

    // Assert
    expect(second.isReserved(arn(1))).toBe(false);
    expect(second.size().reserved).toBe(0);
  });

  it('ignores a line torn by a crash mid-write', () => {
    // Arrange
    const first = new ExecutionStore(dataDir);
    first.put(record(1, 'SUCCEEDED'));
    appendFileSync(join(dataDir, 'executions.jsonl'), '{"executionArn":"arn:aws:states:us-east-1:0000');

    // Act
    const second = new ExecutionStore(dataDir);

    // Assert
    expect([...second.all()].map((r) => r.name)).toEqual(['run-1']);
  });

  it('loads a journal larger than the longest string V8 can make (512 MiB), line by line', () => {
    // Arrange: 520 records of 1 MiB input each, all of one execution (each line a later state of it)
    const journal = join(dataDir, 'executions.jsonl');
    const fd = openSync(journal, 'w');
    const line = Buffer.from(`${JSON.stringify(record(7, 'SUCCEEDED', 1024 * 1024))}\n`);
    for (let i = 0; i < 520; i++) writeSync(fd, line);
    closeSync(fd);
    expect(statSync(journal).size).toBeGreaterThan(512 * 1024 * 1024);

    // Act
    const store = new ExecutionStore(dataDir);

    // Assert
    expect(store.get(arn(7))?.status).toBe('SUCCEEDED');
    expect(statSync(journal).size).toBe(line.length);
  }, 120_000);

  it('reserves no Express ARN it forgets (each start has its own), and drops those an older journal reserved', () => {
    // Arrange: Express runs, whose ARNs end in the start's own id, over a small budget; and a journal line
    // from before, reserving a forgotten Express ARN.
    const expressArn = (i: number) =>
      `arn:aws:states:us-east-1:000000000000:express:hookflow-echo:run-${i}:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const express = (i: number, status: ExecutionRecord['status']): ExecutionRecord => ({
      ...record(i, status),
      executionArn: expressArn(i),
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:hookflow-echo',
      stateMachineName: 'hookflow-echo',
      type: 'EXPRESS',
    });
    appendFileSync(
      join(dataDir, 'executions.jsonl'),
      `${JSON.stringify({ forgotten: expressArn(999), stopDate: T0 })}\n`,
    );
    const store = new ExecutionStore(dataDir, { maxEndedBytes: 20_000 });

    // Act
    for (let i = 0; i < 100; i++) {
      store.put(express(i, 'RUNNING'));
      store.put(express(i, 'SUCCEEDED'));
    }
    store.put(record(0, 'RUNNING'));
    for (let i = 100; i < 200; i++) store.put(express(i, 'SUCCEEDED'));
    store.put(record(0, 'SUCCEEDED'));
    for (let i = 200; i < 300; i++) store.put(express(i, 'SUCCEEDED'));
    const reloaded = new ExecutionStore(dataDir, { maxEndedBytes: 20_000 });

    // Assert: the forgotten Express runs reserve nothing, the forgotten Standard one still does, after a reload too.
    expect(store.get(expressArn(0))).toBeUndefined();
    expect(store.isReserved(expressArn(0))).toBe(false);
    expect(store.isReserved(expressArn(999))).toBe(false);
    expect(store.isReserved(arn(0))).toBe(true);
    expect(store.size().reserved).toBe(1);
    expect(reloaded.size().reserved).toBe(1);
    expect(reloaded.isReserved(arn(0))).toBe(true);
    expect(reloaded.get(expressArn(299))?.status).toBe('SUCCEEDED');
  });
});
