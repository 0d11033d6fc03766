import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run } from '../../../cli/main';

/** What a command printed, and the Output that collects it. */
function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: { print: (text: string) => void (out.stdout += text), error: (text: string) => void (out.stderr += text) },
  };
}

/** The CLI's usage handling, without a server: every mistake exits 2 with a message and the usage. */
describe('hookflow CLI usage', () => {
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

/** `webhooks create|update` settings flags against a loopback server that records what the CLI sent. */
describe('hookflow webhooks update and create: --record-deliveries and --when-busy', () => {
  const sent: { method: string; path: string; body: unknown }[] = [];
  let server: Server;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
        sent.push({ method: request.method ?? '', path: request.url ?? '', body });
        const webhook = {
          id: 'w1',
          orgId: 'acme',
          createdOn: '2026-01-01T00:00:00.000Z',
          createdById: 'k',
          recordDeliveries: body.recordDeliveries ?? true,
          whenBusy: body.whenBusy ?? 'queue',
        };
        response.writeHead(request.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(webhook));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    env = { HOOKFLOW_URL: `http://127.0.0.1:${port}`, HOOKFLOW_API_KEY: 'k', HOOKFLOW_ORG: 'acme' };
  });
  beforeEach(() => void sent.splice(0));
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  it("takes an id that starts with '-' (one base64url id in 64) as the id, not as options; an option stays one", async () => {
    // Arrange
    const [dashed, option] = [capture(), capture()];

    // Act
    const codes = [
      await run(['webhooks', 'get', '-Pq3lUo0w_X9aZbQ', '-j'], env, dashed.io),
      await run(['deliveries', 'list', '--correlation-id', 'c1', '-j'], env, option.io),
    ];

    // Assert
    expect(codes[0]).toBe(0);
    expect(dashed.out.stderr).toBe('');
    expect(sent[0]).toMatchObject({ method: 'GET', path: '/api/webhooks/-Pq3lUo0w_X9aZbQ' });
    expect(sent[1]).toMatchObject({ method: 'GET', path: expect.stringContaining('correlationId=c1') });
  });

  it('sends only the settings given with PATCH, and prints a webhook that rejects when busy as such', async () => {
    // Arrange
    const [rejecting, both, json] = [capture(), capture(), capture()];

    // Act
    const codes = [
      await run(['webhooks', 'update', 'w1', '--when-busy', 'reject'], env, rejecting.io),
      await run(
        ['webhooks', 'update', 'webhookId:w1', '--when-busy', 'queue', '--record-deliveries', 'false'],
        env,
        both.io,
      ),
      await run(['webhooks', 'update', 'w1', '--when-busy', 'reject', '-j'], env, json.io),
    ];

    // Assert
    expect(codes).toEqual([0, 0, 0]);
    expect(sent).toEqual([
      { method: 'PATCH', path: '/api/webhooks/w1', body: { whenBusy: 'reject' } },
      { method: 'PATCH', path: '/api/webhooks/w1', body: { recordDeliveries: false, whenBusy: 'queue' } },
      { method: 'PATCH', path: '/api/webhooks/w1', body: { whenBusy: 'reject' } },
    ]);
    expect(rejecting.out.stdout).toContain('rejects when busy (503)');
    expect(both.out.stdout).toContain('deliveries not recorded');
    expect(both.out.stdout).not.toContain('rejects when busy');
    expect(JSON.parse(json.out.stdout)).toMatchObject({ id: 'w1', whenBusy: 'reject' });
  });

  it('creates a webhook with --when-busy reject', async () => {
    // Arrange
    const created = capture();

    // Act
    const code = await run(['webhooks', 'create', '--when-busy', 'reject', '-j'], env, created.io);

    // Assert
    expect(code).toBe(0);
    expect(sent).toEqual([{ method: 'POST', path: '/api/webhooks', body: { whenBusy: 'reject' } }]);
  });

  it('refuses a --when-busy that is neither queue nor reject, and an update with no setting, before calling anything', async () => {
    // Arrange
    const [bad, none] = [capture(), capture()];

    // Act
    const codes = [
      await run(['webhooks', 'update', 'w1', '--when-busy', 'later'], env, bad.io),
      await run(['webhooks', 'update', 'w1'], env, none.io),
    ];

    // Assert
    expect(codes).toEqual([2, 2]);
    expect(bad.out.stderr).toContain('--when-busy must be queue or reject, not "later"');
    expect(none.out.stderr).toContain(
      'missing a setting to change: --record-deliveries true|false, --when-busy queue|reject',
    );
    expect(sent).toEqual([]);
  });
});
