import { type ChildProcess, type ForkOptions, type Serializable, fork } from 'node:child_process';

export interface ChildService {
  readonly port: number;
  /** Disconnects the child, which shuts its server down and exits. */
  close(): Promise<void>;
  /**
   * Resolves, with a sentence naming the child and how it ended, if the child exits after it listened and before
   * close(): a crash. Never resolves otherwise. The stack stops on it (local/start.ts) rather than answer every
   * request with the dead service's errors.
   */
  readonly crashed: Promise<string>;
}

/**
 * Forks a protocol server (dynalite, fauxqs, the local Step Functions endpoint) that listens on a port of its
 * choosing, reports it over IPC as `{ port }`, and exits when its parent disconnects: no fixed ports, and nothing
 * left behind by a crash. Any other message the child sends, before or after its port, goes to `onMessage` with a
 * way to answer it.
 */
export async function forkService(
  name: string,
  script: string,
  args: readonly string[],
  options: Pick<ForkOptions, 'execArgv'> & {
    onMessage?: (message: unknown, reply: (message: unknown) => void) => void;
  } = {},
): Promise<ChildService> {
  const { onMessage, ...forkOptions } = options;
  const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...forkOptions });
  const reply = (message: unknown) => {
    // A failed send (the child exiting meanwhile) is the child's exit, seen by whoever waits on it.
    if (child.connected) child.send(message as Serializable, () => undefined);
  };
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (message) => {
      const reported = (message as { port?: unknown } | null)?.port;
      if (typeof reported === 'number') resolve(reported);
      else onMessage?.(message, reply);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before listening`)));
  });
  const watch = crashWatch(name, child);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        watch.closing();
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
    crashed: watch.crashed,
  };
}

/**
 * Watches a started service's process for a crash: `crashed` resolves, with a sentence naming `name` and how the
 * process ended, if it exits before `closing()` was called (or had already); it never resolves otherwise.
 */
export function crashWatch(name: string, child: ChildProcess): { crashed: Promise<string>; closing(): void } {
  let closing = false;
  const crashed = new Promise<string>((resolve) => {
    const ended = (code: number | null, signal: NodeJS.Signals | null) => {
      if (!closing) resolve(`${name} exited on its own (${signal === null ? `code ${code}` : signal})`);
    };
    if (child.exitCode !== null || child.signalCode !== null) ended(child.exitCode, child.signalCode);
    else child.once('exit', ended);
  });
  return { crashed, closing: () => (closing = true) };
}
