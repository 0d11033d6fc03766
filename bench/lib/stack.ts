import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDataDir, type RunningStack, startLocalStack } from '../../test/support/local-stack';

const counterPreload = join(__dirname, '..', 'support', 'aws-call-counter.cjs');
const localConfig = join(__dirname, '..', '..', 'local', 'hookflow.local.json');

/**
 * A flow the bench stack registers on top of local/hookflow.local.json: the same workflow as `hello`, with delivery
 * recording turned off (docs/deliveries.md, "Turning it off"), so the deliveries part can pair a recorded request
 * with an unrecorded one. Only the bench's copy of the config has it: the demo config keeps recording on.
 */
export const UNRECORDED_FLOW = 'hello-unrecorded';

/** The local config the bench stack starts with: the demo's, plus UNRECORDED_FLOW. */
export function benchConfig(config: { flows: Record<string, unknown>[] }): { flows: Record<string, unknown>[] } {
  const hello = config.flows.find((flow) => flow.flowId === 'hello');
  if (hello === undefined) throw new Error('local/hookflow.local.json has no flow "hello"');
  // The demo config has it too (local/hookflow.local.json); the bench's is hello's, whatever the demo's says.
  const others = config.flows.filter((flow) => flow.flowId !== UNRECORDED_FLOW);
  return { ...config, flows: [...others, { ...hello, flowId: UNRECORDED_FLOW, recordDeliveries: false }] };
}

/** Per AWS operation, as written by bench/support/aws-call-counter.cjs. */
export interface CallCount {
  readonly calls: number;
  readonly ok: number;
  readonly failed: number;
  readonly entries: number;
  readonly lastOkAt: number;
}
export type CallCounts = Record<string, CallCount>;
export interface CountSnapshot {
  readonly at: number;
  readonly counts: CallCounts;
}

export interface BenchStack extends RunningStack {
  readonly fanoutQueueUrl: string;
  /** The stack's processes, found by their data folder: the gateway + handlers, dynalite, fauxqs, Step Functions. */
  readonly pids: {
    readonly stack?: number;
    readonly dynalite?: number;
    readonly fauxqs?: number;
    readonly stepfunctions?: number;
  };
  /**
   * The AWS SDK calls the stack's process has made so far (its handlers, event source and seeding); not the
   * workflows' own (the run guard's PutItem), which the Step Functions process makes.
   */
  counts(options?: { newerThan?: number }): Promise<CountSnapshot>;
  /** CPU seconds (user + system) each stack process has used so far. */
  cpuSeconds(): Record<string, number>;
}

/**
 * The local stack as `npm start` runs it (test/support/local-stack.ts: tsx local/start.ts on a random port
 * and a fresh data folder), in a child process, with the AWS call counter preloaded into it.
 */
export async function startBenchStack(): Promise<BenchStack> {
  const countsFile = join(tmpdir(), `hookflow-bench-counts-${process.pid}.json`);
  const configFile = join(tmpdir(), `hookflow-bench-config-${process.pid}.json`);
  writeFileSync(
    configFile,
    JSON.stringify(benchConfig(JSON.parse(readFileSync(localConfig, 'utf8')) as { flows: Record<string, unknown>[] })),
  );
  const stack = await startLocalStack({
    env: {
      // local/start.ts's --config default (docs/configuration.md): the demo's registrations plus UNRECORDED_FLOW.
      HOOKFLOW_LOCAL_CONFIG: configFile,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${counterPreload}`.trim(),
      HOOKFLOW_BENCH_COUNTS_FILE: countsFile,
      // As deployed: the handlers' default registry cache (test stacks turn it off).
      REGISTRY_CACHE_SECONDS: '5',
      // As deployed: no AWS call recording (a test facility for the IAM check, one synchronous file append per
      // call, which test/support/local-stack.ts turns on for every test stack).
      HOOKFLOW_RECORD_AWS_CALLS: '',
    },
  });
  const queue = /SQS \(fauxqs\) at \S+: (\S+), dead letters in/.exec(stack.output())?.[1];
  if (queue === undefined) throw new Error(`no fan-out queue URL in:\n${stack.output()}`);
  const pids = findPids(stack.dataDir);
  const stop = stack.stop.bind(stack);

  return {
    ...stack,
    fanoutQueueUrl: queue,
    pids,
    async counts({ newerThan = 0 } = {}) {
      const deadline = Date.now() + 5_000;
      for (;;) {
        try {
          // The stack's process's calls, and the Step Functions process's (the workflows' own): one snapshot.
          const snapshots = [countsFile, `${countsFile}.stepfunctions`].map(
            (file) => JSON.parse(readFileSync(file, 'utf8')) as CountSnapshot,
          );
          if (snapshots.every((snapshot) => snapshot.at > newerThan)) return mergeSnapshots(snapshots);
        } catch {
          // not written yet, or being replaced
        }
        if (Date.now() > deadline) throw new Error(`no AWS call counts from the stack in ${countsFile}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    cpuSeconds() {
      return Object.fromEntries(
        Object.entries(pids).flatMap(([name, pid]) => (pid === undefined ? [] : [[name, processCpuSeconds(pid)]])),
      );
    },
    async stop() {
      await stop();
      rmSync(countsFile, { force: true });
      rmSync(`${countsFile}.stepfunctions`, { force: true });
      rmSync(configFile, { force: true });
      removeDataDir(stack.dataDir);
    },
  };
}

function findPids(dataDir: string): BenchStack['pids'] {
  const pids: { stack?: number; dynalite?: number; fauxqs?: number; stepfunctions?: number } = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string[];
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!cmdline.some((arg) => arg.startsWith(dataDir))) continue;
    const line = cmdline.join(' ');
    if (line.includes('dynalite-process')) pids.dynalite = Number(entry);
    else if (line.includes('fauxqs-process')) pids.fauxqs = Number(entry);
    else if (line.includes('stepfunctions-process')) pids.stepfunctions = Number(entry);
    // tsx's CLI and the node process it starts share the arguments; the latter carries tsx's loader (or `--import tsx`).
    else if (line.includes('local/start.ts') && /loader|preflight|--import tsx/.test(line)) pids.stack = Number(entry);
  }
  return pids;
}

/** The sum of snapshots of different processes' counts, as of the oldest of them. */
function mergeSnapshots(snapshots: readonly CountSnapshot[]): CountSnapshot {
  const counts: Record<string, CallCount> = {};
  for (const snapshot of snapshots) {
    for (const [key, value] of Object.entries(snapshot.counts)) {
      const sum = counts[key];
      counts[key] =
        sum === undefined
          ? value
          : {
              calls: sum.calls + value.calls,
              ok: sum.ok + value.ok,
              failed: sum.failed + value.failed,
              entries: sum.entries + value.entries,
              lastOkAt: Math.max(sum.lastOkAt, value.lastOkAt),
            };
    }
  }
  return { at: Math.min(...snapshots.map((snapshot) => snapshot.at)), counts };
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** The calls made between two snapshots, per operation (only operations that were called). */
export function diffCounts(before: CallCounts, after: CallCounts): Record<string, { calls: number; entries: number }> {
  const out: Record<string, { calls: number; entries: number }> = {};
  for (const [key, value] of Object.entries(after)) {
    const calls = value.calls - (before[key]?.calls ?? 0);
    const entries = value.entries - (before[key]?.entries ?? 0);
    if (calls > 0) out[key] = { calls, entries };
  }
  return out;
}

/** Own process's CPU, for the load generator. */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
