/**
 * A long single-side run against the local stack (not part of `npm run bench`): does a side's throughput fall
 * with the number of requests served? Starts the bench stack (bench/lib/stack.ts), then drives one side at 50
 * connections for `SOAK_ROUNDS` rounds of `SOAK_SECONDS` each, and after each round prints req/s, p99, each
 * process's CPU per answered request and RSS, and the data folder's sizes.
 *
 *   npx tsx bench/support/soak.ts [flow]          # flow: hello (recorded, the default) or hello-unrecorded
 *   SOAK_ROUNDS=12 SOAK_SECONDS=10 npx tsx bench/support/soak.ts hello
 *   SOAK_RATE=400 npx tsx bench/support/soak.ts hello   # a fixed rate, so CPU per request compares across rounds
 */
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBenchStack } from '../lib/stack';

const flow = process.argv[2] ?? 'hello';
const rounds = Number(process.env.SOAK_ROUNDS ?? 10);
const seconds = Number(process.env.SOAK_SECONDS ?? 10);
const connections = Number(process.env.SOAK_CONNECTIONS ?? 50);
/** A fixed rate (req/s over all connections; unset: as fast as it goes): CPU per request then compares across rounds. */
const rate = process.env.SOAK_RATE === undefined ? undefined : Number(process.env.SOAK_RATE);

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? Number.NaN : Math.round(Number(match[1]) / 1024);
}

function duMb(path: string): number {
  try {
    return Math.round(Number(execFileSync('du', ['-sk', path], { encoding: 'utf8' }).split('\t')[0]) / 1024);
  } catch {
    return Number.NaN;
  }
}

function run(url: string): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        connections,
        duration: seconds,
        ...(rate === undefined ? {} : { overallRate: rate }),
        timeout: 10,
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer hf_local_dev_key',
          'idempotency-key': 'soak-[<id>]',
        },
        body: '{"hello":"world"}',
        idReplacement: true,
      },
      (error, result) => {
        clearTimeout(timer);
        if (error !== null) reject(error);
        else resolve(result);
      },
    );
    const timer = setTimeout(() => instance.stop(), (seconds + 5) * 1000); // a stuck run still ends
  });
}

async function main(): Promise<void> {
  const stack = await startBenchStack();
  try {
    const url = `${stack.url}/flows/${flow}/trigger`;
    console.log(
      `soak ${flow}: ${rounds} rounds of ${seconds} s at ${connections} connections; pids ${JSON.stringify(stack.pids)}`,
    );
    let served = 0;
    for (let r = 1; r <= rounds; r++) {
      const before = stack.cpuSeconds();
      const result = await run(url);
      const after = stack.cpuSeconds();
      const ok = result['2xx'];
      served += ok;
      const cpuMsPerRequest = Object.fromEntries(
        Object.entries(after).map(([name, s]) => [name, Math.round((1e6 * (s - (before[name] ?? 0))) / ok) / 1000]),
      );
      const rss = Object.fromEntries(Object.entries(stack.pids).map(([name, pid]) => [name, rssMb(pid)]));
      console.log(
        JSON.stringify({
          round: r,
          served,
          rps: Math.round(ok / result.duration),
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors,
          cpuMsPerRequest,
          rssMb: rss,
          dataMb: {
            dynamodb: duMb(join(stack.dataDir, 'dynamodb')),
            stepfunctions: duMb(join(stack.dataDir, 'stepfunctions')),
          },
          load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
        }),
      );
    }
  } finally {
    await stack.stop();
  }
}

void main();
