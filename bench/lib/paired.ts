/**
 * The bench's one way to compare two things: A and B run in pairs (A, B, A, B …, by default alternating which goes
 * first so neither always runs on a warmer or colder machine), and the answer is the ratio of their medians, plus
 * the median of the per-pair ratios (robust to drift during the run). Never a single absolute time as a verdict.
 *
 * A side is either an async thunk or a command (spawned, waited for). The sample of one run is, in order:
 *   - the number the thunk returns (or `parse(stdout)` of the command), when it is a finite number: the side
 *     measured itself (e.g. a child process reporting its own load time);
 *   - otherwise what `measure` says: wall milliseconds (default) or this process's CPU milliseconds
 *     (process.cpuUsage(), user + system) across the run. CPU is only meaningful for thunks run in this process.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { round, type Summary, summarize } from './stats';

export type Thunk = () => unknown;

export interface Command {
  /** argv: the program and its arguments (no shell). */
  readonly command: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Reads the sample from the command's stdout (e.g. a time the child measured); undefined: wall time. */
  readonly parse?: (stdout: string) => number | undefined;
}

export type Side = Thunk | Command;

export interface PairedOptions {
  /** Measured pairs. */
  readonly pairs: number;
  /** Pairs run first and thrown away (JIT, caches, connections). Default 0. */
  readonly warmup?: number;
  /** Odd pairs run B first. Default true. */
  readonly alternate?: boolean;
  /** What a run that returns no number is measured by. Default 'wall'. */
  readonly measure?: 'wall' | 'cpu';
  /** Called after each measured pair (progress logs). */
  readonly onPair?: (index: number, a: number, b: number) => void;
}

export interface PairedResult {
  readonly pairs: number;
  /** Per-run samples, in run order (ms unless the sides report another unit). */
  readonly a: readonly number[];
  readonly b: readonly number[];
  readonly medianA: number;
  readonly medianB: number;
  /** medianA / medianB. */
  readonly ratio: number;
  /** The median of a[i] / b[i]. */
  readonly medianPairRatio: number;
  readonly summaryA: Summary;
  readonly summaryB: Summary;
  /** Which side ran first in each measured pair. */
  readonly order: readonly ('ab' | 'ba')[];
}

/** The median, averaging the two middle samples when their number is even (a few rounds must not pick a side). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const isCommand = (side: Side): side is Command => typeof side === 'object' && side !== null && 'command' in side;

/** Runs a command to its end; resolves its stdout, rejects on a non-zero exit (with its stderr). */
export function runCommand(cmd: Command): Promise<string> {
  return new Promise((resolve, reject) => {
    const [program, ...args] = cmd.command;
    if (program === undefined) {
      reject(new Error('paired: empty command'));
      return;
    }
    const child = spawn(program, args, {
      cwd: cmd.cwd,
      env: cmd.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`paired: ${cmd.command.join(' ')} exited ${code ?? signal}: ${stderr.slice(-2000)}`));
    });
  });
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/** One run of a side: its sample. */
export async function measureOnce(side: Side, measure: 'wall' | 'cpu' = 'wall'): Promise<number> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let reported: unknown;
  if (isCommand(side)) {
    const stdout = await runCommand(side);
    reported = side.parse?.(stdout);
  } else {
    reported = await side();
  }
  const wall = performance.now() - t0;
  const cpu = cpuMs(process.cpuUsage(cpu0));
  if (typeof reported === 'number' && Number.isFinite(reported)) return reported;
  return measure === 'cpu' ? cpu : wall;
}

/** Runs A and B in `pairs` pairs (after `warmup` discarded pairs) and compares their medians. */
export async function paired(a: Side, b: Side, options: PairedOptions): Promise<PairedResult> {
  const { pairs, warmup = 0, alternate = true, measure = 'wall' } = options;
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`paired: pairs must be a positive integer, not ${pairs}`);
  const samplesA: number[] = [];
  const samplesB: number[] = [];
  const order: ('ab' | 'ba')[] = [];
  for (let i = -warmup; i < pairs; i += 1) {
    const bFirst = alternate && Math.abs(i) % 2 === 1;
    let sa: number;
    let sb: number;
    if (bFirst) {
      sb = await measureOnce(b, measure);
      sa = await measureOnce(a, measure);
    } else {
      sa = await measureOnce(a, measure);
      sb = await measureOnce(b, measure);
    }
    if (i < 0) continue;
    samplesA.push(sa);
    samplesB.push(sb);
    order.push(bFirst ? 'ba' : 'ab');
    options.onPair?.(i, sa, sb);
  }
  return comparePaired(samplesA, samplesB, order);
}

/** The comparison of already collected paired samples (a[i] and b[i] ran side by side). */
export function comparePaired(
  a: readonly number[],
  b: readonly number[],
  order: readonly ('ab' | 'ba')[] = a.map(() => 'ab'),
): PairedResult {
  if (a.length !== b.length || a.length === 0) {
    throw new Error(`paired: need the same non-zero number of samples per side (${a.length} vs ${b.length})`);
  }
  const medianA = median(a);
  const medianB = median(b);
  return {
    pairs: a.length,
    a: a.map((v) => round(v, 4)),
    b: b.map((v) => round(v, 4)),
    medianA: round(medianA, 4),
    medianB: round(medianB, 4),
    ratio: round(medianA / medianB, 4),
    medianPairRatio: round(median(a.map((v, i) => v / b[i]!)), 4),
    summaryA: summarize(a, 4),
    summaryB: summarize(b, 4),
    order,
  };
}
