import { execFile, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { removeDataDir, request, type RunningStack, startLocalStack } from '../support/local-stack';

jest.setTimeout(90_000);

// From local/hookflow.local.json: admin keys of two organisations, and their workflow templates.
const ACME_KEY = 'hf_local_acme_admin_key';
const GLOBEX_KEY = 'hf_local_globex_admin_key';

interface Process {
  id: string;
  eventWorkflowTemplateId: string;
  status: string;
  triggerEvent: unknown;
  taskOutputs: Record<string, unknown>;
  eventWorkflowTaskIds: string[];
  executionLink: string;
  error?: string;
}

/** Seed 5 (registered webhooks) against the local stack: the seed's curl examples, then the CLI. */
describe('registered webhooks on the local stack (seed 5)', () => {
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await startLocalStack();
  });
  afterAll(async () => {
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  /** curl exactly as seed 5 writes it; returns the status and the parsed JSON answer. */
  const curl = (...args: string[]) => {
    const out = execFileSync('curl', ['-s', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' });
    const lines = out.trimEnd().split('\n');
    const status = Number(lines.pop());
    const text = lines.join('\n');
    return { status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  const admin = (method: string, path: string, key = ACME_KEY, org = 'acme') =>
    request(`${stack.url}${path}`, { method, headers: { 'x-api-key': key, 'x-api-org': org } });
  const createWebhook = (secret: string) =>
    request(`${stack.url}/api/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ACME_KEY, 'x-api-org': 'acme' },
      body: JSON.stringify({ verifySecret: secret }),
    });
  const processStatus = async (id: string) => (await admin('GET', `/api/processes/${id}`)).body as Process;
  async function settled(id: string): Promise<{ final: Process; seen: string[] }> {
    const seen: string[] = [];
    for (let i = 0; i < 400; i++) {
      const process = await processStatus(id);
      if (seen.at(-1) !== process.status) seen.push(process.status);
      if (process.status === 'SUCCEEDED' || process.status === 'FAILED') return { final: process, seen };
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`process ${id} did not finish`);
  }

  it("runs seed 5's create and trigger examples: every bound workflow starts with { body, headers }", async () => {
    const created = curl(
      '--request',
      'POST',
      '--url',
      `${stack.url}/api/webhooks`,
      '--header',
      'Content-Type: application/json',
      '--header',
      `X-Api-Key: ${ACME_KEY}`,
      '--header',
      'X-Api-Org: acme',
    );
    expect(created.status).toBe(201);
    const webhook = created.body as Record<string, string>;
    expect(webhook).toEqual({
      createdOn: expect.any(String),
      updatedOn: expect.any(String),
      createdById: 'acme-admin',
      updatedById: 'acme-admin',
      orgId: 'acme',
      id: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
      verifier: { kind: 'contrail' },
      recordDeliveries: true,
      whenBusy: 'queue',
      verifySecret: expect.stringMatching(/^whsec_/),
    });
    // "set the trigger on a workflow to be webhookId:WEBHOOK_ID", for two workflows
    for (const template of ['notify', 'audit']) {
      expect((await admin('PUT', `/api/webhooks/${webhook.id}/workflows/${template}`)).status).toBe(201);
    }

    const triggered = curl(
      '--request',
      'POST',
      '--url',
      `${stack.url}/api/trigger-webhooks/${webhook.id}`,
      '--header',
      'Content-Type: application/json',
      '--header',
      `X-Verify-Signature: ${webhook.verifySecret}`,
      '--data',
      '{\n"foo": "bar"\n}',
    );
    expect(triggered.status).toBe(200);
    const processes = triggered.body as Process[];
    expect(processes).toHaveLength(2);
    expect(processes.map((p) => p.eventWorkflowTemplateId).sort()).toEqual(['audit', 'notify']);
    for (const process of processes) {
      expect(process).toMatchObject({
        status: 'PENDING',
        triggerEvent: { foo: 'bar' },
        taskOutputs: {},
        orgId: 'acme',
      });
    }

    const notify = processes.find((p) => p.eventWorkflowTemplateId === 'notify')!;
    const { final, seen } = await settled(notify.id);
    expect(seen).toContain('RUNNING'); // the template pauses a second between its steps
    expect(seen.at(-1)).toBe('SUCCEEDED');
    expect(final.eventWorkflowTaskIds).toEqual(['ReadEvent', 'Pause', 'Notify']);
    const event = final.taskOutputs.ReadEvent as { body: unknown; headers: Record<string, string> };
    // seed 5's event: the body, and the headers lower-cased (the plain secret redacted from the history)
    expect(event.body).toEqual({ foo: 'bar' });
    expect(event.headers).toMatchObject({
      'content-type': 'application/json',
      'x-verify-signature': '[redacted]',
      host: expect.stringContaining('127.0.0.1'),
    });
    expect(JSON.stringify(final)).not.toContain(webhook.verifySecret);
    expect(final.taskOutputs.Notify).toEqual({ notified: true, about: { foo: 'bar' } });
    const audit = await settled(processes.find((p) => p.eventWorkflowTemplateId === 'audit')!.id);
    expect(audit.final.taskOutputs.Audit).toEqual({ audited: true, received: { foo: 'bar' } });
    // the execution link shows the same run
    const execution = (await request(notify.executionLink)).body as { status: string };
    expect(execution.status).toBe('SUCCEEDED');
  });

  it('accepts an HMAC-SHA256 signature, refuses a wrong one with 401, and reports a failing workflow as FAILED', async () => {
    const secret = 'my-secret-key-0123456789';
    const { id } = (await createWebhook(secret)).body as { id: string };
    await admin('PUT', `/api/webhooks/${id}/workflows/reject`);
    const body = '{"foo":"bar"}';
    const hmac = createHmac('sha256', secret).update(body).digest('hex');
    const wrong = await request(`${stack.url}/api/trigger-webhooks/${id}`, {
      method: 'POST',
      headers: { 'x-verify-signature': 'my-secret-key-wrong', 'content-type': 'application/json' },
      body,
    });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'X-Verify-Signature does not match the secret' } });

    const signed = await request(`${stack.url}/api/trigger-webhooks/${id}`, {
      method: 'POST',
      headers: { 'x-verify-signature': `sha256=${hmac}`, 'content-type': 'application/json' },
      body,
    });
    expect(signed.status).toBe(200);
    const [process] = signed.body as Process[];
    const { final } = await settled(process!.id);
    expect(final).toMatchObject({
      status: 'FAILED',
      error: 'Webhook.Rejected',
      eventWorkflowTaskIds: ['Inspect', 'Reject'],
    });
  });

  it("keeps organisations apart: another org's key gets 404 for the webhook and its processes", async () => {
    const secret = 'my-secret-key-0123456789';
    const { id } = (await createWebhook(secret)).body as { id: string };
    await admin('PUT', `/api/webhooks/${id}/workflows/audit`);
    expect(await admin('GET', `/api/webhooks/${id}`, GLOBEX_KEY, 'globex')).toMatchObject({
      status: 404,
      body: { error: `no webhook "${id}"` },
    });
    expect((await admin('GET', `/api/webhooks/${id}`, 'nope', 'unknown-org')).status).toBe(401);
    expect((await admin('DELETE', `/api/webhooks/${id}`, GLOBEX_KEY, 'globex')).status).toBe(404);
    expect((await admin('PUT', `/api/webhooks/${id}/workflows/notify`, GLOBEX_KEY, 'globex')).status).toBe(404);
    // acme's key can't act for globex at all
    expect((await admin('GET', '/api/webhooks', ACME_KEY, 'globex')).status).toBe(403);

    const fired = await request(`${stack.url}/api/trigger-webhooks/${id}`, {
      method: 'POST',
      headers: { 'x-verify-signature': secret },
      body: '{}',
    });
    const [process] = fired.body as Process[];
    expect((await admin('GET', `/api/processes/${process!.id}`, GLOBEX_KEY, 'globex')).status).toBe(404);
    expect((await admin('GET', `/api/processes/${process!.id}`)).status).toBe(200);
  });

  it('verifies a Standard Webhooks sender and refuses the replay of a delivery (issue 9)', async () => {
    const created = await request(`${stack.url}/api/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ACME_KEY, 'x-api-org': 'acme' },
      body: JSON.stringify({ verifier: { kind: 'standard-webhooks' }, replay: {} }),
    });
    const { id, verifySecret } = created.body as { id: string; verifySecret: string };
    await admin('PUT', `/api/webhooks/${id}/workflows/audit`);
    const body = '{"type":"invoice.paid"}';
    const sent = new Date();
    const headers = {
      'content-type': 'application/json',
      'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      'webhook-timestamp': String(Math.floor(sent.getTime() / 1000)),
      'webhook-signature': new Webhook(verifySecret).sign('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', sent, body),
    };
    const first = await request(`${stack.url}/api/trigger-webhooks/${id}`, { method: 'POST', headers, body });
    expect(first.status).toBe(200);
    const replayed = await request(`${stack.url}/api/trigger-webhooks/${id}`, { method: 'POST', headers, body });
    expect(replayed).toMatchObject({
      status: 409,
      body: { error: 'delivery "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W" was already accepted; nothing was started again' },
    });
    const forged = await request(`${stack.url}/api/trigger-webhooks/${id}`, {
      method: 'POST',
      headers: { ...headers, 'webhook-id': 'msg_other' },
      body,
    });
    expect(forged.status).toBe(401);
  });

  it('answers 404 to triggers of a deleted webhook', async () => {
    const secret = 'my-secret-key-0123456789';
    const { id } = (await createWebhook(secret)).body as { id: string };
    await admin('PUT', `/api/webhooks/${id}/workflows/audit`);
    expect((await admin('DELETE', `/api/webhooks/${id}`)).status).toBe(204);
    const fired = await request(`${stack.url}/api/trigger-webhooks/${id}`, {
      method: 'POST',
      headers: { 'x-verify-signature': secret },
      body: '{}',
    });
    expect(fired).toMatchObject({ status: 404, body: { error: `no webhook "${id}"` } });
    expect((await admin('GET', `/api/webhooks/${id}`)).status).toBe(404);
  });

  it('turns delivery records off and on through the admin API (recordDeliveries), and the trigger honours it', async () => {
    // Arrange: a webhook created with recording off, bound to a workflow
    const secret = 'quiet-secret-0123456789';
    const created = await request(`${stack.url}/api/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ACME_KEY, 'x-api-org': 'acme' },
      body: JSON.stringify({ verifySecret: secret, recordDeliveries: false }),
    });
    const { id } = created.body as { id: string };
    await admin('PUT', `/api/webhooks/${id}/workflows/audit`);
    const fire = () =>
      request(`${stack.url}/api/trigger-webhooks/${id}`, {
        method: 'POST',
        headers: { 'x-verify-signature': secret, 'content-type': 'application/json' },
        body: '{"n":1}',
      });
    const patch = (body: string, key = ACME_KEY, org = 'acme') =>
      request(`${stack.url}/api/webhooks/${id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'x-api-org': org },
        body,
      });
    const recorded = async () =>
      (
        (
          await request(`${stack.url}/api/deliveries?registration=${id}`, {
            headers: { authorization: 'Bearer hf_local_dev_key' },
          })
        ).body as { deliveries: { outcome: string }[] }
      ).deliveries;

    // Act
    const quiet = await fire();
    const whileOff = await recorded();
    const turnedOn = await patch('{"recordDeliveries":true}');
    const loud = await fire();
    const whileOn = await recorded();
    const shown = await admin('GET', `/api/webhooks/${id}`);
    const bad = await patch('{"recordDeliveries":"yes"}');
    const foreign = await patch('{"recordDeliveries":false}', GLOBEX_KEY, 'globex');

    // Assert
    expect(created).toMatchObject({ status: 201, body: { recordDeliveries: false } });
    expect([quiet.status, loud.status]).toEqual([200, 200]);
    expect(whileOff).toEqual([]);
    expect(turnedOn).toMatchObject({ status: 200, body: { id, recordDeliveries: true } });
    expect(whileOn).toEqual([expect.objectContaining({ outcome: 'started' })]);
    expect(shown.body).toMatchObject({ id, recordDeliveries: true });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining('recordDeliveries must be true or false') as string },
    });
    expect(foreign).toMatchObject({ status: 404, body: { error: `no webhook "${id}"` } });
  });

  describe('the CLI (npx hookflow webhooks ...)', () => {
    const exec = promisify(execFile);
    const cli = async (...args: string[]) => {
      try {
        const { stdout } = await exec('npx', ['hookflow', ...args], {
          cwd: join(__dirname, '..', '..'),
          env: { ...process.env, HOOKFLOW_URL: stack.url, HOOKFLOW_API_KEY: ACME_KEY, HOOKFLOW_ORG: 'acme' },
        });
        return { code: 0, stdout, stderr: '' };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        // npm itself may warn (e.g. about this machine's npmrc); only the CLI's own lines matter here.
        const stderr = failed.stderr
          .split('\n')
          .filter((line) => !line.startsWith('npm warn'))
          .join('\n');
        return { code: failed.code, stdout: failed.stdout, stderr };
      }
    };

    /** The JSON a `-j` command printed; a command that failed says why (its exit code and stderr), not "bad JSON". */
    const jsonOf = (result: { code: number; stdout: string; stderr: string }): unknown => {
      if (result.code !== 0 || result.stdout === '') {
        throw new Error(`the CLI exited ${result.code} with no JSON; stderr: ${result.stderr}`);
      }
      return JSON.parse(result.stdout) as unknown;
    };

    it('creates, binds, triggers, lists, gets and deletes, with -j printing the API JSON', async () => {
      const created = await cli('webhooks', 'create', '-j');
      expect(created.code).toBe(0);
      const webhook = JSON.parse(created.stdout) as { id: string; verifySecret: string; orgId: string };
      expect(webhook.orgId).toBe('acme');

      expect((await cli('webhooks', 'bind', `webhookId:${webhook.id}`, 'notify')).stdout).toBe(
        `notify now has trigger webhookId:${webhook.id}\n`,
      );
      const listed = jsonOf(await cli('webhooks', 'list', '-j')) as { id: string }[];
      expect(listed.map((w) => w.id)).toContain(webhook.id);
      const got = jsonOf(await cli('webhooks', 'get', webhook.id, '-j')) as { workflows: unknown[] };
      expect(got.workflows).toEqual([expect.objectContaining({ eventWorkflowTemplateId: 'notify' })]);

      const triggered = await cli(
        'webhooks',
        'trigger',
        webhook.id,
        '--secret',
        webhook.verifySecret,
        '--hmac',
        '-d',
        '{"foo":"bar"}',
        '-j',
      );
      expect(triggered.code).toBe(0);
      const [process] = JSON.parse(triggered.stdout) as Process[];
      expect(process).toMatchObject({
        eventWorkflowTemplateId: 'notify',
        status: 'PENDING',
        triggerEvent: { foo: 'bar' },
      });
      await settled(process!.id);
      const status = await cli('processes', 'get', process!.id);
      expect(status.stdout).toContain(`${process!.id}  notify  SUCCEEDED`);

      const rotated = await cli('webhooks', 'rotate', webhook.id, '--overlap-seconds', '0', '-j');
      const { verifySecret: next } = JSON.parse(rotated.stdout) as { verifySecret: string };
      expect(next).not.toBe(webhook.verifySecret);
      expect((await cli('webhooks', 'trigger', webhook.id, '--secret', next, '-j')).code).toBe(0);

      const wrong = await cli('webhooks', 'trigger', webhook.id, '--secret', webhook.verifySecret);
      expect(wrong).toMatchObject({
        code: 1,
        stderr: 'hookflow: 401 X-Verify-Signature does not match the secret\n',
      });

      expect((await cli('webhooks', 'delete', webhook.id)).stdout).toBe(`deleted ${webhook.id}\n`);
      expect(await cli('webhooks', 'get', webhook.id)).toMatchObject({
        code: 1,
        stderr: `hookflow: 404 no webhook "${webhook.id}"\n`,
      });
      expect((await cli('webhooks', 'frobnicate')).code).toBe(2);
    });

    it('creates a webhook that records nothing, turns recording on (--record-deliveries) and rejects when busy (--when-busy) with update', async () => {
      const created = jsonOf(await cli('webhooks', 'create', '--record-deliveries', 'false', '-j')) as {
        id: string;
        recordDeliveries: boolean;
      };
      const shown = await cli('webhooks', 'get', created.id);
      const updated = jsonOf(await cli('webhooks', 'update', created.id, '--record-deliveries', 'true', '-j'));
      const bad = await cli('webhooks', 'update', created.id, '--record-deliveries', 'maybe');
      const missing = await cli('webhooks', 'update', created.id);
      const rejecting = jsonOf(await cli('webhooks', 'update', created.id, '--when-busy', 'reject', '-j'));
      const listed = await cli('webhooks', 'get', created.id);

      expect(created.recordDeliveries).toBe(false);
      expect(shown.stdout).toContain('deliveries not recorded');
      expect(updated).toMatchObject({ id: created.id, recordDeliveries: true });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--record-deliveries must be true or false, not "maybe"');
      expect(missing.code).toBe(2);
      expect(rejecting).toMatchObject({ id: created.id, whenBusy: 'reject', recordDeliveries: true });
      expect(listed.stdout).toContain('rejects when busy (503)');
    });
  });
});

/**
 * whenBusy changed with PATCH /api/webhooks/{id}, against a busy engine: the local Step Functions refuses the first 2
 * starts (HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS, ThrottlingException; AWS_MAX_ATTEMPTS=1 spends no SDK retry), as in
 * test/e2e/queue-when-busy.test.ts. The stacks run with REGISTRY_CACHE_SECONDS=0, so the next trigger reads the change.
 */
describe('registered webhooks: whenBusy changed with PATCH, against a busy engine', () => {
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await startLocalStack({
      env: { HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '2', AWS_MAX_ATTEMPTS: '1', FANOUT_BUSY_BACKOFF_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });
  const ADMIN = { 'content-type': 'application/json', 'x-api-key': ACME_KEY, 'x-api-org': 'acme' };

  it('PATCH whenBusy reject: a busy engine answers 503; back to queue: 202 with the process queued, which then runs', async () => {
    // Arrange: a webhook (whenBusy queue, the default) bound to one workflow
    const created = await request(`${stack.url}/api/webhooks`, { method: 'POST', headers: ADMIN });
    const hook = created.body as { id: string; verifySecret: string; whenBusy: string };
    await request(`${stack.url}/api/webhooks/${hook.id}/workflows/audit`, { method: 'PUT', headers: ADMIN });
    const patch = (body: unknown, key = ACME_KEY, org = 'acme') =>
      request(`${stack.url}/api/webhooks/${hook.id}`, {
        method: 'PATCH',
        headers: { ...ADMIN, 'x-api-key': key, 'x-api-org': org },
        body: JSON.stringify(body),
      });
    const fire = (n: number) =>
      request(`${stack.url}/api/trigger-webhooks/${hook.id}`, {
        method: 'POST',
        headers: { 'x-verify-signature': hook.verifySecret, 'content-type': 'application/json' },
        body: JSON.stringify({ n }),
      });

    // Act: both triggers meet the busy engine
    const toReject = await patch({ whenBusy: 'reject' });
    const foreign = await patch({ whenBusy: 'queue' }, GLOBEX_KEY, 'globex');
    const rejected = await fire(1);
    const toQueue = await patch({ whenBusy: 'queue' });
    const queued = await fire(2);
    const [process] = queued.body as { id: string; queued?: boolean }[];
    let status = '';
    for (let i = 0; i < 120 && status !== 'SUCCEEDED' && status !== 'FAILED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = String(
        ((await request(`${stack.url}/api/processes/${process!.id}`, { headers: ADMIN })).body as { status: string })
          .status,
      );
    }

    // Assert
    expect(hook.whenBusy).toBe('queue');
    expect(toReject).toMatchObject({ status: 200, body: { id: hook.id, whenBusy: 'reject', recordDeliveries: true } });
    expect(foreign).toMatchObject({ status: 404, body: { error: `no webhook "${hook.id}"` } });
    expect(rejected.status).toBe(503);
    expect(rejected.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(toQueue).toMatchObject({ status: 200, body: { id: hook.id, whenBusy: 'queue' } });
    expect(queued.status).toBe(202);
    expect(queued.body).toEqual([expect.objectContaining({ eventWorkflowTemplateId: 'audit', queued: true })]);
    expect(status).toBe('SUCCEEDED');
  });
});
