/**
 * Progress lines, to stderr, with the time since the suite started: the suite is long, and stdout is
 * silenced while handlers run in process (their log lines would drown the progress).
 */
const started = Date.now();
const write = process.stderr.write.bind(process.stderr);

export function log(part: string, line: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  write(`[bench ${seconds}s] ${part.padEnd(10)} ${line}\n`);
}

/** Runs `fn` with process.stdout discarded (handler logs), keeping what it returns. */
export async function withStdoutSilenced<T>(fn: () => Promise<T>): Promise<T> {
  const original = process.stdout.write;
  process.stdout.write = ((..._args: unknown[]) => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = original;
  }
}
