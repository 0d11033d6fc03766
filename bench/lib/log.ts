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

/**
 * Runs `fn` with process.stdout and process.stderr discarded (handler logs), keeping what it returns. `onWrite`,
 * if given, is told the bytes of each discarded write (the handlers' log bytes, for the cost of CloudWatch Logs).
 * The bench's own progress lines (log above) keep the original stderr.
 */
export async function withStdoutSilenced<T>(fn: () => Promise<T>, onWrite?: (bytes: number) => void): Promise<T> {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write);
  for (const stream of streams) {
    stream.write = ((chunk: unknown) => {
      if (onWrite !== undefined) {
        onWrite(
          typeof chunk === 'string' ? Buffer.byteLength(chunk) : ((chunk as Uint8Array | undefined)?.byteLength ?? 0),
        );
      }
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    return await fn();
  } finally {
    streams.forEach((s, i) => (s.write = originals[i]!));
  }
}
