import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { createHmac } from 'node:crypto';
import { removeDataDir, request, type RunningStack, startLocalStack } from '../support/local-stack';

jest.setTimeout(120_000);

const DEV_KEY = 'hf_local_dev_key';
const GITHUB_SECRET = 'hf_local_github_webhook_secret'; // flow hello-signed, local/hookflow.local.json
const ADMIN = { 'x-api-key': 'hf_local_acme_admin_key', 'x-api-org': 'acme' };
/** The SDK's default tries per call (standard retry mode): the first trigger on each stack is throttled. */
const SDK_ATTEMPTS = 3;
const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;

/**
 * Issue 15, defects 1 and 2, against the local stack: one signed delivery starts one run, however it is
 * re-encoded; and a delivery whose start was throttled (503) is not burned: its retry starts the run, once.
 * Step Functions refuses the first starts (HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS), so the first attempts 503.
 */
describe('replay protection on the local stack (issue 15)', () => {
  let stack: RunningStack;
  let sfn: SFNClient;
  beforeAll(async () => {
    stack = await startLocalStack({ env: { HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: String(SDK_ATTEMPTS) } });
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

  const executions = async (machine: string) =>
    (await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn(machine), maxResults: 1000 }))).executions ?? [];
  const trigger = (body: string, headers: Record<string, string>) =>
    request(`${stack.url}/flows/hello-signed/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json', ...headers },
      body,
    });
  /** What a sender does: send, and resend after each 503, up to `attempts` times. */
  const sendUntilAccepted = async (send: () => ReturnType<typeof request>, attempts = 10) => {
    const statuses: number[] = [];
    for (let i = 0; i < attempts; i++) {
      const response = await send();
      statuses.push(response.status);
      if (response.status !== 503) break;
    }
    return statuses;
  };

  it('a flow trigger throttled with 503 is retried by its sender and runs exactly once (defect 2)', async () => {
    // Arrange
    const body = JSON.stringify({ ref: 'refs/heads/throttled', at: Date.now() });
    const headers = { 'x-hub-signature-256': await githubSign(GITHUB_SECRET, body), 'x-github-delivery': 'thr-1' };
    const before = (await executions('hookflow-echo')).length;

    // Act
    const statuses = await sendUntilAccepted(() => trigger(body, headers));
    const again = await trigger(body, headers);

    // Assert
    expect(statuses[0]).toBe(503);
    expect(statuses.at(-1)).toBe(202);
    expect(again.status).toBe(409);
    expect((await executions('hookflow-echo')).length - before).toBe(1);
  });

  it('one signed GitHub delivery sent in 6 encodings starts exactly one run (defect 1)', async () => {
    // Arrange
    const body = JSON.stringify({ ref: 'refs/heads/main', at: Date.now() });
    const signature = await githubSign(GITHUB_SECRET, body);
    const mac = signature.slice('sha256='.length);
    const encodings: Record<string, string>[] = [
      { 'x-hub-signature-256': signature, 'x-github-delivery': 'enc-1' },
      { 'x-hub-signature-256': signature, 'x-github-delivery': 'enc-2' },
      { 'x-hub-signature-256': signature },
      { 'x-hub-signature-256': `sha256=${mac.toUpperCase()}`, 'x-github-delivery': 'enc-1' },
      { 'x-hub-signature-256': `SHA256=${mac}`, 'x-github-delivery': 'enc-3' },
      { 'x-hub-signature-256': signature, 'x-github-delivery': 'x'.repeat(3000) },
    ];
    const before = (await executions('hookflow-echo')).length;

    // Act
    const statuses = await Promise.all(encodings.map((headers) => trigger(body, headers).then((r) => r.status)));

    // Assert
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    expect((await executions('hookflow-echo')).length - before).toBe(1);
  });

  it('20 concurrent rotate-secret calls: each 200 replaced the secret the one before it showed (defect 7)', async () => {
    // Arrange
    const created = await request(`${stack.url}/api/webhooks`, { method: 'POST', headers: ADMIN });
    const { id } = created.body as { id: string };
    await request(`${stack.url}/api/webhooks/${id}/workflows/audit`, { method: 'PUT', headers: ADMIN });
    const verifies = async (secret: string) =>
      (
        await request(`${stack.url}/api/trigger-webhooks/${id}`, {
          method: 'POST',
          headers: { 'x-verify-signature': secret, 'content-type': 'application/json' },
          body: '{"rotated":true}',
        })
      ).status === 200;

    // Act: with an overlap, the newest secret and the one it replaced both verify
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(`${stack.url}/api/webhooks/${id}/rotate-secret`, {
          method: 'POST',
          headers: { ...ADMIN, 'content-type': 'application/json' },
          body: '{"overlapSeconds":3600}',
        }),
      ),
    );
    const shown = answers.filter((a) => a.status === 200).map((a) => (a.body as { verifySecret: string }).verifySecret);
    const verifying = (await Promise.all(shown.map(verifies))).filter(Boolean).length;

    // Assert: every call either rotated (200) or changed nothing (409). Calls that raced on the same secret get
    // one 200 between them, so the winners form a chain: the last two shown secrets verify. Before the fix, the
    // racers all answered 200 and each replaced the same secret: only the last writer's verified.
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
    expect(shown.length).toBeGreaterThanOrEqual(1);
    expect(verifying).toBe(Math.min(2, shown.length));
  });
});

/** A stack of its own, so that its first start is throttled whatever the tests above used up. */
describe('replay protection on the local stack: registered webhooks (issue 15)', () => {
  let own: RunningStack;
  let ownSfn: SFNClient;
  beforeAll(async () => {
    own = await startLocalStack({ env: { HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: String(SDK_ATTEMPTS) } });
    ownSfn = new SFNClient({
      endpoint: own.sfnEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    ownSfn?.destroy();
    await own?.stop();
    if (own !== undefined) removeDataDir(own.dataDir);
  });
  const ownExecutions = async (machine: string) =>
    (await ownSfn.send(new ListExecutionsCommand({ stateMachineArn: arn(machine), maxResults: 1000 }))).executions ??
    [];
  const sendUntilAccepted = async (send: () => ReturnType<typeof request>, attempts = 10) => {
    const statuses: number[] = [];
    for (let i = 0; i < attempts; i++) {
      const response = await send();
      statuses.push(response.status);
      if (response.status !== 503) break;
    }
    return statuses;
  };

  it('a registered webhook trigger throttled with 503 is retried with its Idempotency-Key and runs once (defect 2)', async () => {
    // Arrange: a webhook with replay protection, bound to one (Standard) workflow; it rejects when busy (a queueing
    // one would answer 202: test/e2e/queue-when-busy.test.ts), so the sender's retry is what is tested here
    const created = await request(`${own.url}/api/webhooks`, {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ verifier: { kind: 'contrail' }, replay: {}, whenBusy: 'reject' }),
    });
    const { id, verifySecret } = created.body as { id: string; verifySecret: string };
    await request(`${own.url}/api/webhooks/${id}/workflows/audit`, { method: 'PUT', headers: ADMIN });
    const body = JSON.stringify({ order: 'o-1', at: Date.now() });
    const headers = {
      'x-verify-signature': createHmac('sha256', verifySecret).update(body).digest('hex'),
      'idempotency-key': 'order-o-1',
      'content-type': 'application/json',
    };
    const fire = () => request(`${own.url}/api/trigger-webhooks/${id}`, { method: 'POST', headers, body });
    const before = (await ownExecutions('hookflow-webhook-audit')).length;

    // Act
    const statuses = await sendUntilAccepted(fire);
    const again = await fire();

    // Assert
    expect(statuses[0]).toBe(503);
    expect(statuses.at(-1)).toBe(200);
    expect(again.status).toBe(409);
    expect((await ownExecutions('hookflow-webhook-audit')).length - before).toBe(1);
  });
});
