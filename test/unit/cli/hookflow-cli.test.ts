import { run } from '../../../cli/main';

/** The CLI's usage handling, without a server: every mistake exits 2 with a message and the usage. */
describe('hookflow CLI usage', () => {
  const capture = () => {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      io: { print: (text: string) => void (out.stdout += text), error: (text: string) => void (out.stderr += text) },
    };
  };

  it('prints usage for --help (exit 0) and for no command (exit 2)', async () => {
    const help = capture();
    expect(await run(['--help'], {}, help.io)).toBe(0);
    expect(help.out.stdout).toContain('webhooks trigger <id> --secret S');
    expect(await run([], {}, capture().io)).toBe(2);
  });

  it('refuses unknown commands and options', async () => {
    const unknown = capture();
    expect(await run(['webhooks', 'frobnicate'], {}, unknown.io)).toBe(2);
    expect(unknown.out.stderr).toContain('unknown command "webhooks frobnicate"');
    expect(await run(['webhooks', 'list', '--bogus'], {}, capture().io)).toBe(2);
  });

  it('names the missing setting before calling anything', async () => {
    const noKey = capture();
    expect(await run(['webhooks', 'list'], { HOOKFLOW_ORG: 'acme' }, noKey.io)).toBe(2);
    expect(noKey.out.stderr).toContain('no API key: pass --api-key or set HOOKFLOW_API_KEY');
    const noOrg = capture();
    expect(await run(['webhooks', 'list', '--api-key', 'k'], {}, noOrg.io)).toBe(2);
    expect(noOrg.out.stderr).toContain('no organisation');
    const noSecret = capture();
    expect(await run(['webhooks', 'trigger', 'abc'], {}, noSecret.io)).toBe(2);
    expect(noSecret.out.stderr).toContain('no webhook secret');
    const noId = capture();
    expect(await run(['webhooks', 'get'], { HOOKFLOW_API_KEY: 'k', HOOKFLOW_ORG: 'o' }, noId.io)).toBe(2);
    expect(noId.out.stderr).toContain('missing <webhookId>');
  });

  it('reports an unreachable API as an error (exit 1), not a crash', async () => {
    const down = capture();
    const env = { HOOKFLOW_URL: 'http://127.0.0.1:1', HOOKFLOW_API_KEY: 'k', HOOKFLOW_ORG: 'o' };
    expect(await run(['webhooks', 'list'], env, down.io)).toBe(1);
    expect(down.out.stderr).toContain('could not reach http://127.0.0.1:1');
  });
});
