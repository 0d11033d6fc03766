import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { type RunningStack, removeDataDir, request, startLocalStack } from '../support/local-stack';

jest.setTimeout(240_000);

const root = resolve(__dirname, '..', '..');

/** The local stack's demo credentials (local/hookflow.local.json), passed as the docs tell a deployer to. */
const localCredentials = {
  HOOKFLOW_SMOKE_FLOW_KEY: 'hf_local_dev_key',
  HOOKFLOW_SMOKE_CLIENT_WEBHOOK_KEY: 'my-secret-api-key',
  HOOKFLOW_SMOKE_INBOUND_SECRET: 'hf_local_inbound_secret',
  HOOKFLOW_API_KEY: 'hf_local_acme_admin_key',
};

/** Every check `npm run smoke` makes, in order: the smoke test's contract with whoever runs it. */
const CHECKS = [
  'flow-trigger',
  'client-webhook-sync',
  'client-webhook-async',
  'events-webhook',
  'events-cloudevent',
  'events-wait-callback',
  'inbound-single',
  'inbound-batch',
  'registered-webhook',
];

/** Runs `npm run smoke` as a deployer would, as a child process, with only the given environment added. */
function smoke(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    // Nothing of the test runner's own environment that could stand in for a missing option.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('HOOKFLOW_')),
    ) as NodeJS.ProcessEnv;
    const child = spawn('npm', ['run', '--silent', 'smoke', '--', ...args], {
      cwd: root,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolveRun({ code, output }));
  });
}

const lineOf = (output: string, check: string) =>
  output.split('\n').find((line) => new RegExp(`^(PASS|FAIL|SKIP) ${check} \\(\\d+ ms\\): `).test(line));

/** `npm run smoke` against the local stack, so the command a deployer runs against AWS cannot rot. */
describe('npm run smoke against the local stack', () => {
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await startLocalStack();
  });
  afterAll(async () => {
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  const webhooksOfAcme = async () =>
    (
      await request(`${stack.url}/api/webhooks`, {
        headers: { 'x-api-key': localCredentials.HOOKFLOW_API_KEY, 'x-api-org': 'acme' },
      })
    ).body;

  it('passes every check, prints one line per check, removes what it created and prints no secret', async () => {
    // Act
    const { code, output } = await smoke(['--url', stack.url, '--timeout', '60'], localCredentials);

    // Assert
    for (const check of CHECKS)
      expect([check, lineOf(output, check)]).toEqual([check, expect.stringMatching(/^PASS /)]);
    expect(output).toMatch(/^PASS cleanup: unbind notify from webhook \S+ \(\d+ ms\): DELETE 204$/m);
    expect(output).toMatch(/^PASS cleanup: delete webhook \S+ \(\d+ ms\): DELETE 204, then GET 404$/m);
    expect(output).toMatch(/^smoke: 11 passed, 0 failed, 0 skipped$/m);
    expect(output).not.toMatch(/^FAIL /m);
    expect(code).toBe(0);
    expect(await webhooksOfAcme()).toEqual([]);
    for (const secret of Object.values(localCredentials)) expect(output).not.toContain(secret);
  });

  it('fails with a wrong key: exit 1, a FAIL line naming the check and why, and still cleans up', async () => {
    // Arrange: a wrong flow key, and a template that does not exist (the check fails after creating a webhook).
    const env = { ...localCredentials, HOOKFLOW_SMOKE_FLOW_KEY: 'hf_not_a_real_key_0123456789' };

    // Act
    const { code, output } = await smoke(
      ['--url', stack.url, '--timeout', '30', '--skip', 'client-webhook,events,inbound', '--template', 'no-such'],
      env,
    );

    // Assert
    expect(code).toBe(1);
    expect(lineOf(output, 'flow-trigger')).toMatch(
      /^FAIL flow-trigger \(\d+ ms\): POST \/flows\/hello\/trigger answered 401 \(expected 202\): /,
    );
    expect(lineOf(output, 'registered-webhook')).toMatch(
      /^FAIL registered-webhook \(\d+ ms\): PUT \/api\/webhooks\/\{id\}\/workflows\/no-such answered 404/,
    );
    expect(lineOf(output, 'inbound-single')).toMatch(/^SKIP inbound-single \(0 ms\): --skip inbound$/);
    expect(output).toMatch(/^PASS cleanup: delete webhook \S+ \(\d+ ms\): DELETE 204, then GET 404$/m);
    expect(output).toMatch(/^smoke: 1 passed, 2 failed, 7 skipped$/m);
    expect(await webhooksOfAcme()).toEqual([]);
    expect(output).not.toContain(env.HOOKFLOW_SMOKE_FLOW_KEY);
  });

  it('refuses to run without a usable URL (exit 2, the usage)', async () => {
    const { code, output } = await smoke(['--url', 'not-a-url'], localCredentials);

    expect(code).toBe(2);
    expect(output).toContain('smoke: --url must be an http(s) URL');
  });
});
