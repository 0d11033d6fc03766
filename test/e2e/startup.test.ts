import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeDataDir, startLocalStack } from '../support/local-stack';

const root = resolve(__dirname, '..', '..');

/**
 * The gateway listens before the handlers are bundled and loaded (their config names its URL). In that window
 * nothing may be served: every route, /health included, answers 503 with Retry-After, never a 500 and never
 * an "ok" the routes can't back.
 */
describe('local stack start-up', () => {
  it('answers 503 with Retry-After until every handler is loaded, then serves', async () => {
    // Arrange
    const dataDir = mkdtempSync(join(tmpdir(), 'hookflow-startup-'));
    const child = spawn(
      join(root, 'node_modules', '.bin', 'tsx'),
      ['local/start.ts', '--port', '0', '--data-dir', dataDir],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    // The gateway's URL, the moment the stack prints it: the start-up window can be shorter than a polling interval
    // on an idle machine, so the first probe goes out from the output's own event, not from a timer.
    let listening: (url: string) => void = () => undefined;
    const gatewayUrl = new Promise<string>((resolve) => (listening = resolve));
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /gateway listening at (http:\/\/[\d.]+:\d+)/.exec(output)?.[1];
      if (url !== undefined) listening(url);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    const seen: {
      phase: 'starting' | 'ready';
      path: string;
      status: number;
      body: string;
      retryAfter: string | null;
    }[] = [];
    try {
      const url = await within(60_000, gatewayUrl, () => output);

      // Act: probe as a impatient client would, from the moment the port is bound until the stack says ready.
      const probe = async (phase: 'starting' | 'ready') => {
        for (const [path, init] of [
          ['/health', { method: 'GET' }],
          [
            '/flows/hello/trigger',
            { method: 'POST', headers: { authorization: 'Bearer hf_local_dev_key' }, body: '{"probe":true}' },
          ],
        ] as const) {
          const response = await fetch(`${url}${path}`, init);
          seen.push({
            phase,
            path,
            status: response.status,
            body: await response.text(),
            retryAfter: response.headers.get('retry-after'),
          });
        }
      };
      while (!output.includes('ready at')) {
        await probe('starting');
        if (child.exitCode !== null) throw new Error(`stack exited:\n${output}`);
      }
      await probe('ready');

      // Assert
      const starting = seen.filter((s) => s.phase === 'starting');
      expect(starting.length).toBeGreaterThan(0);
      for (const answer of starting) {
        // A probe sent just before "ready at" was printed may already be served: then it is a real answer.
        if (answer.status === 503) {
          expect(JSON.parse(answer.body)).toEqual({ error: 'the local stack is starting; retry shortly' });
          expect(answer.retryAfter).toBe('1');
        } else {
          expect([200, 202]).toContain(answer.status);
        }
      }
      expect(starting.filter((s) => s.status === 503).length).toBeGreaterThan(0);
      expect(seen.filter((s) => s.status >= 500 && s.status !== 503)).toEqual([]);
      const ready = seen.filter((s) => s.phase === 'ready');
      expect(ready.map((s) => [s.path, s.status])).toEqual([
        ['/health', 200],
        ['/flows/hello/trigger', 202],
      ]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((done) => (child.exitCode !== null ? done(undefined) : child.once('exit', done)));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

/**
 * A protocol server of the stack dying on its own (an out-of-memory kill, a bug in it) must not leave the stack
 * answering every request with its errors: the stack stops, says which one died, and exits non-zero.
 */
describe('local stack when one of its services dies', () => {
  it.each([
    ['dynalite', 'dynalite-process', 'dynalite'],
    ['fauxqs', 'fauxqs-process', 'fauxqs'],
    ['the Step Functions endpoint', 'stepfunctions-process', 'the local Step Functions endpoint'],
  ])(
    'stops, naming %s, with exit code 1',
    async (_label, script, named) => {
      // Arrange
      const stack = await startLocalStack();
      try {
        const pid = childPid(stack.dataDir, script);

        // Act: as the kernel's out-of-memory killer would.
        process.kill(pid, 'SIGKILL');
        const exit = await stack.exited;

        // Assert
        expect(exit).toBe(1);
        expect(stack.output()).toContain(
          `${named} exited on its own (SIGKILL): the local stack cannot serve without it`,
        );
      } finally {
        await stack.stop();
        removeDataDir(stack.dataDir);
      }
    },
    90_000,
  );
});

/** The pid of the stack's child running `script` (each has the stack's data folder on its command line). */
function childPid(dataDir: string, script: string): number {
  const pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  const found = pids.filter((pid) => {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return args.some((arg) => arg.includes(script)) && args.some((arg) => arg.startsWith(dataDir));
    } catch {
      return false; // gone meanwhile
    }
  });
  if (found.length !== 1) throw new Error(`expected one ${script} process for ${dataDir}, found ${found.length}`);
  return Number(found[0]);
}

/** `promise`, or an error naming what the stack printed if it has not settled within `ms`. */
async function within<T>(ms: number, promise: Promise<T>, describeState: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting; output so far:\n${describeState()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
