import { execFileSync } from 'node:child_process';
import { type RunningStack, removeDataDir, request, startLocalStack, waitForExecution } from '../support/local-stack';

/**
 * Seed 2 (client webhooks) against the local stack, over HTTP. SYNC_WAIT_MS is 1.5 s here so that the
 * 3-second example workflows outlast it.
 */
jest.setTimeout(60_000);

describe('client webhooks on the local stack (seed 2)', () => {
  let stack: RunningStack;
  const KEY = 'my-secret-api-key';
  const SYNC_WAIT_MS = 1500;

  beforeAll(async () => {
    stack = await startLocalStack({ env: { SYNC_WAIT_MS: String(SYNC_WAIT_MS) } });
  });
  afterAll(async () => {
    await stack.stop();
    removeDataDir(stack.dataDir);
  });

  const url = (path: string) => `${stack.url}/webhook/${path}`;
  /** Runs curl itself, as the seed's examples do. */
  const curl = (...args: string[]) => {
    const out = execFileSync('curl', ['-s', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' });
    const lines = out.trimEnd().split('\n');
    const status = Number(lines.pop());
    return { status, body: JSON.parse(lines.join('\n')) as Record<string, unknown> };
  };

  it("runs the seed's first curl example: waits and returns the run with its inputs and outputs", () => {
    // curl -d '{"key": "my-secret-api-key"}' https://app.cloudomation.com/api/1/webhook/test-client/my-webhook
    const response = curl('-d', `{"key": "${KEY}"}`, url('test-client/my-webhook'));

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'SUCCEEDED',
      mode: 'productive',
      webhook: { client: 'test-client', name: 'my-webhook', runAs: 'kevin' },
      workflow: expect.stringContaining(':stateMachine:hookflow-echo'),
      executionId: expect.stringContaining(':express:hookflow-echo:'),
      input: { payload: {}, webhook: { client: 'test-client', name: 'my-webhook' } },
      output: { received: {} },
    });
    expect(JSON.stringify(response.body)).not.toContain(KEY);
  });

  it("runs the seed's ?async curl example: answers at once with the execution id", async () => {
    // curl -d '{"key": "my-secret-api-key"}' https://app.cloudomation.com/api/latest/webhook/test-client/my-webhook?async
    const response = curl('-d', `{"key": "${KEY}"}`, `${url('test-client/my-webhook')}?async`);

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ status: 'RUNNING', executionId: expect.stringContaining(':express:') });
    const execution = await waitForExecution(String(response.body.executionLink));
    expect(execution.status).toBe('SUCCEEDED');
  });

  it('takes the key from the query string, and hands the workflow headers, query and payload', async () => {
    const response = await request(`${url('myclient/signup')}?key=${KEY}&ref=campaign-7`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'abc' },
      body: JSON.stringify({ email: 'a@example.com' }),
    });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      input: {
        headers: { 'content-type': 'application/json', 'x-request-id': 'abc' },
        query: { ref: 'campaign-7' },
        payload: { email: 'a@example.com' },
      },
      output: { variant: 'productive', signedUp: { email: 'a@example.com' }, runAs: 'kevin' },
    });
    expect(response.text).not.toContain(KEY);
  });

  it('works as a GET with only a query string', async () => {
    const response = await request(`${url('myclient/signup')}?key=${KEY}&q=1`);

    expect(response).toMatchObject({ status: 200, body: { status: 'SUCCEEDED', input: { payload: null } } });
  });

  it.each([
    ['no key', 'myclient/signup', undefined],
    ['a wrong key in the query', 'myclient/signup?key=nope', undefined],
    ['a wrong key in the body', 'myclient/signup', '{"key":"nope"}'],
  ])('answers 401 for %s', async (_name, path, body) => {
    const response = await request(url(path), { method: 'POST', ...(body === undefined ? {} : { body }) });

    expect(response).toMatchObject({ status: 401, body: { error: expect.any(String) } });
  });

  it('runs the dev workflow for a webhook in mode dev, and the productive one otherwise', async () => {
    const productive = await request(url('myclient/signup'), { method: 'POST', body: `{"key":"${KEY}"}` });
    const dev = await request(url('myclient/signup-preview'), { method: 'POST', body: `{"key":"${KEY}"}` });

    expect(productive.body).toMatchObject({ mode: 'productive', output: { variant: 'productive' } });
    expect(dev.body).toMatchObject({
      mode: 'dev',
      workflow: expect.stringContaining(':stateMachine:hookflow-signup-dev'),
      output: { variant: 'dev' },
    });
  });

  it('answers 424 with the error and cause of a failed run', async () => {
    const response = await request(url('myclient/fails'), { method: 'POST' });

    expect(response).toMatchObject({ status: 424, body: { status: 'FAILED', error: 'Example.Rejected' } });
    expect(response.headers.get('hookflow-execution-status')).toBe('FAILED');
  });

  it('answers 202 with the execution id and link when a Standard run outlasts the sync wait', async () => {
    const started = Date.now();
    const response = await request(url('myclient/slow-standard'), { method: 'POST' });

    expect(Date.now() - started).toBeGreaterThanOrEqual(SYNC_WAIT_MS);
    expect(response).toMatchObject({
      status: 202,
      body: { status: 'RUNNING', executionId: expect.stringContaining(':execution:hookflow-slow-standard:') },
    });
    const execution = await waitForExecution(String((response.body as Record<string, unknown>).executionLink));
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { done: true } });
  });

  it('answers 202 with the execution name when an Express run outlasts the sync wait', async () => {
    const response = await request(url('myclient/slow'), { method: 'POST' });

    expect(response).toMatchObject({
      status: 202,
      body: { status: 'RUNNING', executionId: null, executionName: expect.any(String) },
    });
  });

  it.each([
    ['an unknown webhook', 'myclient/nope', '{}', 404],
    ['an unknown client', 'nobody/signup', '{}', 404],
    ['malformed JSON', 'myclient/open', '{"a":', 400],
  ])('answers {error} for %s', async (_name, path, body, status) => {
    const response = await request(url(path), { method: 'POST', body });

    expect(response).toMatchObject({ status, body: { error: expect.any(String) } });
  });

  it('never logs a webhook key', () => {
    expect(stack.output()).toContain('client webhook ran');
    expect(stack.output()).not.toContain(KEY);
  });
});
