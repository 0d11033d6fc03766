import { type ForkOptions, fork } from 'node:child_process';

export interface ChildService {
  readonly port: number;
  /** Disconnects the child, which shuts its server down and exits. */
  close(): Promise<void>;
}

/**
 * Forks a protocol server (dynalite, fauxqs) that listens on a port of its choosing, reports it over IPC as
 * `{ port }`, and exits when its parent disconnects: no fixed ports, and nothing left behind by a crash.
 */
export async function forkService(
  name: string,
  script: string,
  args: readonly string[],
  options: Pick<ForkOptions, 'execArgv'> = {},
): Promise<ChildService> {
  const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before listening`)));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}
