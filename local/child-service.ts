import { type ForkOptions, type Serializable, fork } from 'node:child_process';

export interface ChildService {
  readonly port: number;
  /** Disconnects the child, which shuts its server down and exits. */
  close(): Promise<void>;
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
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}
