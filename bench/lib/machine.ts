import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, freemem, release, type as osType } from 'node:os';
import { join } from 'node:path';

export interface Machine {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryGiB: number;
  readonly freeMemoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly loadAverage1m: number;
  readonly date: string;
  readonly gitCommit: string;
  /**
   * Uncommitted changes were present: the figures are for the working tree, not the commit alone. The bench's own
   * outputs (bench/results.json, docs/BENCHMARKS.md), rewritten as the run goes, do not count.
   */
  readonly gitDirty: boolean;
  readonly versions: Record<string, string>;
}

const root = join(__dirname, '..', '..');

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'not installed';
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
    date: new Date().toISOString(),
    gitCommit: git(['rev-parse', '--short', 'HEAD']),
    gitDirty: git(['status', '--porcelain', '--', '.', ':!bench/results.json', ':!docs/BENCHMARKS.md']) !== '',
    versions: Object.fromEntries(
      ['autocannon', 'dynalite', 'fauxqs', 'aws-local-stepfunctions', 'esbuild', '@aws-sdk/client-dynamodb', 'zod'].map(
        (name) => [name, packageVersion(name)],
      ),
    ),
  };
}
