import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const seen: {
      phase: 'starting' | 'ready';
      path: string;
      status: number;
      body: string;
      retryAfter: string | null;
    }[] = [];
    try {
      const url = await waitFor(
        () => /gateway listening at (http:\/\/[\d.]+:\d+)/.exec(output)?.[1],
        () => output,
      );

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

async function waitFor<T>(read: () => T | undefined, describeState: () => string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting; output so far:\n${describeState()}`);
}
