import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { removeDataDir, request, type RunningStack, startLocalStack, waitForExecution } from '../support/local-stack';

jest.setTimeout(60_000);

const DEV_KEY = 'hf_local_dev_key'; // from local/hookflow.local.json, as the README's curl uses it
const HELLO_ONLY_KEY = 'hf_local_hello_only_key';
const DISABLED_KEY = 'hf_local_disabled_key';

describe('flow trigger on the local stack (seed 1)', () => {
  let stack: RunningStack;
  let sfn: SFNClient;
  beforeAll(async () => {
    stack = await startLocalStack();
    sfn = new SFNClient({
      endpoint: stack.sfnEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    sfn?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  const trigger = (flowId: string, body: string | undefined, headers: Record<string, string> = {}) =>
    request(`${stack.url}/flows/${flowId}/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body }),
    });

  it('checks a flow’s verifier on top of its key: GitHub signatures, replays refused, rotation without redeploy', async () => {
    const body = '{"ref":"refs/heads/main"}';
    const signed = async (secret: string, delivery: string, content = body) =>
      trigger('hello-signed', content, {
        'x-hub-signature-256': await githubSign(secret, content),
        'x-github-delivery': delivery,
      });
    expect((await signed('hf_local_github_webhook_secret', 'gh-1')).status).toBe(202);
    expect(await signed('hf_local_github_webhook_secret', 'gh-1')).toMatchObject({
      status: 409,
      body: { error: 'this delivery (the same signed content) was already accepted; nothing was started again' },
    });
    expect(await signed('not-the-secret', 'gh-2')).toMatchObject({
      status: 401,
      body: { error: 'X-Hub-Signature-256 does not match the secret' },
    });
    expect(await trigger('hello-signed', body)).toMatchObject({
      status: 401,
      body: { error: 'missing x-hub-signature-256 header' },
    });

    // Rotate with the script, against the running stack: both secrets verify during the overlap.
    // Async, so that the test's HTTP client sees the stack close idle keep-alive sockets meanwhile (a blocked
    // event loop would reuse a closed one: "other side closed").
    const { stdout: out } = await promisify(execFile)(
      'npx',
      [
        'tsx',
        'scripts/set-verifier.ts',
        '--table',
        'hookflow-registry',
        '--registration',
        'flow:hello-signed',
        '--rotate',
        '--overlap-seconds',
        '600',
      ],
      {
        cwd: join(__dirname, '..', '..'),
        encoding: 'utf8',
        env: {
          ...process.env,
          AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
        },
      },
    );
    const next = out.trim().split('\n').at(-1)!;
    expect(out).toContain('the previous secret verifies until');
    // new deliveries (new bodies): the same body again would be a replay, whichever secret signed it
    expect((await signed(next, 'gh-3', '{"ref":"refs/heads/three"}')).status).toBe(202);
    expect((await signed('hf_local_github_webhook_secret', 'gh-4', '{"ref":"refs/heads/four"}')).status).toBe(202);
  });

  it('runs the README example: 202 with a link that resolves to a SUCCEEDED execution holding the body', async () => {
    // curl -s -X POST $URL/flows/hello/trigger -H 'Authorization: Bearer hf_local_dev_key' -d '{"hello":"world"}'
    // curl sends -d bodies as application/x-www-form-urlencoded; hookflow reads the JSON all the same.
    const response = await request(`${stack.url}/flows/hello/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"hello":"world"}',
    });

    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('application/json');
    const { executionLink } = response.body as { executionLink: string };
    expect(Object.keys(response.body as object)).toEqual(['executionLink']);
    expect(executionLink.startsWith(`${stack.url}/executions/arn:aws:states:us-east-1:`)).toBe(true);

    const execution = await waitForExecution(executionLink);
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      input: { payload: { hello: 'world' }, trigger: { style: 'flow-trigger', flowId: 'hello' } },
      output: { received: { hello: 'world' } },
    });
  });

  it('runs Standard workflows too', async () => {
    const response = await trigger('hello-standard', '{"kind":"standard"}');

    expect(response.status).toBe(202);
    const execution = await waitForExecution((response.body as { executionLink: string }).executionLink);
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { received: { kind: 'standard' } } });
    expect(String(execution.executionArn)).toContain(':execution:hookflow-echo-standard:');
  });

  it('accepts the trigger even when the workflow then fails, and the link shows the failure', async () => {
    const response = await trigger('always-fails', '{}');

    expect(response.status).toBe(202);
    const execution = await waitForExecution((response.body as { executionLink: string }).executionLink);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'Example.Rejected' });
  });

  it.each([
    ['malformed JSON', 'hello', '{"hello":', 400, /not valid JSON/],
    ['a JSON array', 'hello', '[1,2,3]', 400, /must be a JSON object/],
    ['an empty body', 'hello', undefined, 400, /was empty/],
    ['an unknown flow', 'no-such-flow', '{}', 404, /does not exist/],
    ['an unpublished flow', 'draft', '{}', 404, /not published/],
  ])('answers %s with %s', async (_name, flowId, body, status, message) => {
    const response = await trigger(flowId, body);

    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error: expect.stringMatching(message) });
  });

  it.each([
    ['no key', { authorization: '' }, 401],
    ['a wrong key', { authorization: 'Bearer hf_wrong_key_123' }, 401],
    ['a disabled key', { authorization: `Bearer ${DISABLED_KEY}` }, 401],
  ])('answers %s with %s', async (_name, headers, status) => {
    const response = await trigger('hello', '{}', headers);

    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error: expect.any(String) });
  });

  it('answers 403 when the key may not trigger the flow, and 202 with X-Api-Key for the flow it may', async () => {
    const forbidden = await trigger('hello-standard', '{}', { authorization: `Bearer ${HELLO_ONLY_KEY}` });
    const allowed = await trigger('hello', '{}', { authorization: '', 'x-api-key': HELLO_ONLY_KEY });

    expect(forbidden).toMatchObject({ status: 403, body: { error: expect.stringContaining('may not trigger') } });
    expect(allowed.status).toBe(202);
  });

  it('answers 413 for a body over MAX_STORED_BODY_BYTES (4 MiB), before starting anything', async () => {
    // Bodies between 240 KiB and 4 MiB are kept in S3 and claim-checked (test/e2e/large-bodies.test.ts).
    const response = await trigger('hello', JSON.stringify({ blob: 'x'.repeat(4 * 1024 * 1024) }));

    expect(response).toMatchObject({ status: 413, body: { error: expect.stringContaining('limit') } });
  });

  it('answers 404 as {error} for a path no route serves', async () => {
    const response = await request(`${stack.url}/nope`, { method: 'POST' });

    expect(response).toMatchObject({ status: 404, body: { error: expect.any(String) } });
  });

  it('starts exactly one execution for 50 concurrent requests with the same Idempotency-Key', async () => {
    const headers = { 'idempotency-key': `concurrent-${Date.now()}` };

    const responses = await Promise.all(Array.from({ length: 50 }, () => trigger('hello', '{"order":42}', headers)));

    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(202));
    const links = new Set(responses.map((r) => (r.body as { executionLink: string }).executionLink));
    expect(links.size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(49);
    const [link] = [...links];
    const name = String((await waitForExecution(link!)).name);
    const executions = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:hookflow-echo',
        maxResults: 1000,
      }),
    );
    expect(executions.executions?.filter((e) => e.name === name)).toHaveLength(1);
  });

  it('answers 422 when an Idempotency-Key is reused with a different body', async () => {
    const headers = { 'idempotency-key': `reused-${Date.now()}` };
    await trigger('hello', '{"order":1}', headers);

    const response = await trigger('hello', '{"order":2}', headers);

    expect(response).toMatchObject({ status: 422, body: { error: expect.stringContaining('different request body') } });
  });

  it('never logs the API key', () => {
    // The start banner's curl hint names the public demo key on purpose; nothing else may.
    const logged = stack
      .output()
      .split('\n')
      .filter((line) => !line.startsWith('[hookflow] try: curl'))
      .join('\n');
    expect(logged).toContain('flow triggered');
    expect(logged).not.toContain(DEV_KEY);
    expect(logged).not.toContain(HELLO_ONLY_KEY);
  });
});

describe('local stack restart', () => {
  it('keeps executions and dedupe records in its data folder across a restart', async () => {
    const first = await startLocalStack();
    const headers = { authorization: `Bearer ${DEV_KEY}`, 'idempotency-key': 'survives-restart' };
    let link: string;
    try {
      const response = await request(`${first.url}/flows/hello/trigger`, { method: 'POST', headers, body: '{"n":1}' });
      link = (response.body as { executionLink: string }).executionLink;
      await waitForExecution(link);
    } finally {
      await first.stop();
    }

    const second = await startLocalStack({ dataDir: first.dataDir });
    try {
      const replay = await request(`${second.url}/flows/hello/trigger`, { method: 'POST', headers, body: '{"n":1}' });
      const replayedLink = (replay.body as { executionLink: string }).executionLink;
      // Same execution (the port may differ between the two starts, so compare the ARN part).
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replayedLink.split('/executions/')[1]).toBe(link.split('/executions/')[1]);
      const execution = await waitForExecution(replayedLink);
      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { received: { n: 1 } } });
    } finally {
      await second.stop();
      removeDataDir(first.dataDir);
    }
  }, 180_000); // two stack starts: on dynamodb-local each also starts a JVM (5-30 s)
});
