import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DUPLICATE_RUN_ERROR } from '../../workflows/express-run-guard';
import { type HttpResult, type RunningStack, removeDataDir, request, startLocalStack } from '../support/local-stack';

/**
 * The crash suite's tools: a stack that is killed (SIGKILL, by a crash point or from outside) and restarted
 * on the same data folder, senders that retry as real ones do, and counts of what really ran.
 */

/** Short leases and redelivery so that recovery after a crash takes seconds, not the production defaults. */
export const FAST_RECOVERY = {
  DEDUPE_LEASE_SECONDS: '2',
  DEDUPE_WAIT_MS: '500',
  CALLBACK_CLAIM_LEASE_SECONDS: '2',
  HOOKFLOW_FANOUT_VISIBILITY_SECONDS: '2',
  HOOKFLOW_FANOUT_MAX_RECEIVE_COUNT: '50',
};

/** The fixed seed of the suite's randomness (HOOKFLOW_FAULT_SEED overrides it to explore). */
export const SEED = Number(process.env.HOOKFLOW_FAULT_SEED ?? 20_261_125);

/** mulberry32: a small seeded PRNG, so a failing run can be repeated exactly. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One line the lead can quote: scenario, kill point, seed and counts. */
export function report(fields: Record<string, string | number>): void {
  process.stdout.write(
    `[crash-suite] ${Object.entries(fields)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`,
  );
}

export class CrashingStack {
  private running: RunningStack | undefined;
  get stack(): RunningStack {
    if (this.running === undefined) throw new Error('the stack was never started');
    return this.running;
  }
  readonly dataDir = mkdtempSync(join(tmpdir(), 'hookflow-faults-'));
  kills = 0;

  /** Starts (or restarts) the stack on its data folder; `env` adds settings for this start only. */
  async start(crashAt?: string, env: Record<string, string> = {}): Promise<RunningStack> {
    this.running = await startLocalStack({
      dataDir: this.dataDir,
      env: { ...FAST_RECOVERY, ...env, ...(crashAt === undefined ? {} : { HOOKFLOW_CRASH_AT: crashAt }) },
      // A start bundles every handler: on a loaded machine that alone can take a minute.
      readyWithinMs: 180_000,
    });
    return this.running;
  }

  /** Waits for the armed crash point to kill the stack (fails the test if it never does). */
  async crashed(withinMs = 60_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const signal = await Promise.race([
      this.stack.exited,
      new Promise((resolve) => (timer = setTimeout(() => resolve('still running'), withinMs))),
    ]);
    // A timer left running held jest's process open for up to a minute after the last test ("Jest did not exit").
    clearTimeout(timer);
    if (signal !== 'SIGKILL') throw new Error(`the stack did not crash at its crash point (${String(signal)})`);
    this.kills++;
  }

  async kill(): Promise<void> {
    await this.stack.kill();
    this.kills++;
  }

  sfn(): SFNClient {
    return new SFNClient({
      endpoint: this.stack.sfnEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }

  async close(): Promise<void> {
    await this.running?.stop();
    removeDataDir(this.dataDir);
  }
}

/** A request that may be cut by the crash: the sender sees a failed connection, not an answer. */
export async function mayBeCut(send: () => Promise<HttpResult>): Promise<HttpResult | 'cut'> {
  try {
    return await send();
  } catch {
    return 'cut';
  }
}

/**
 * Retries as a real sender does: after a cut connection, a 409 (still in progress) or a 5xx, it waits
 * (Retry-After, else 250 ms) and sends the very same request again, until an answer in `done`.
 */
export async function retryUntil(
  send: () => Promise<HttpResult>,
  done: (status: number) => boolean,
  withinMs = 90_000,
): Promise<HttpResult> {
  const deadline = Date.now() + withinMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const answer = await mayBeCut(send);
    if (answer !== 'cut' && done(answer.status)) return answer;
    last = answer === 'cut' ? 'cut' : `${answer.status} ${answer.text}`;
    const retryAfter = answer === 'cut' ? 0 : Number(answer.headers.get('retry-after') ?? 0);
    await new Promise((r) => setTimeout(r, Math.max(250, retryAfter * 1000)));
  }
  throw new Error(`still not accepted after ${withinMs} ms; last answer: ${last}`);
}

export interface RunCount {
  /** Executions of the name that did the work (SUCCEEDED). */
  readonly ran: number;
  /** Second starts of the name the Express run guard ended at once. */
  readonly duplicatesStopped: number;
  readonly other: number;
}

/**
 * Counts the executions of each name on a state machine, through ListExecutions (as an operator would),
 * once none of them is RUNNING any more.
 */
export async function countRuns(
  sfn: SFNClient,
  stateMachineArn: string,
  names: readonly string[],
  withinMs = 60_000,
): Promise<Map<string, RunCount>> {
  const wanted = new Set(names);
  const deadline = Date.now() + withinMs;
  for (;;) {
    const executions: ExecutionListItem[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, nextToken }));
      executions.push(...(page.executions ?? []).filter((e) => wanted.has(e.name ?? '')));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    if (executions.some((e) => e.status === 'RUNNING') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    const counts = new Map<string, RunCount>(names.map((n) => [n, { ran: 0, duplicatesStopped: 0, other: 0 }]));
    for (const execution of executions) {
      const count = counts.get(execution.name!)!;
      if (execution.status === 'SUCCEEDED') counts.set(execution.name!, { ...count, ran: count.ran + 1 });
      else {
        const { error } = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
        counts.set(
          execution.name!,
          error === DUPLICATE_RUN_ERROR
            ? { ...count, duplicatesStopped: count.duplicatesStopped + 1 }
            : { ...count, other: count.other + 1 },
        );
      }
    }
    return counts;
  }
}

/** The execution name in an execution ARN, Standard (…:execution:SM:NAME) or Express (…:express:SM:NAME:ID). */
export const executionName = (executionArn: string) => executionArn.split(':')[7]!;

/** The execution ARN an execution link points at (…/executions/<ARN>). */
export const arnOf = (executionLink: string) =>
  decodeURIComponent(executionLink.slice(executionLink.indexOf('/executions/') + '/executions/'.length));

export const stateMachineArn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;

export { request };

/** Sums counts: every request must have ran = 1 and other = 0. */
export function summarize(counts: Iterable<RunCount>) {
  let ranOnce = 0;
  let ranTwice = 0;
  let lost = 0;
  let duplicatesStopped = 0;
  for (const count of counts) {
    if (count.ran === 1 && count.other === 0) ranOnce++;
    else if (count.ran === 0) lost++;
    else ranTwice++;
    duplicatesStopped += count.duplicatesStopped;
  }
  return { ranOnce, ranTwice, lost, duplicatesStopped };
}
