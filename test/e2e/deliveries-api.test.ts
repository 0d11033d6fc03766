import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { S3Client } from '@aws-sdk/client-s3';
import { run } from '../../cli/main';
import { isHookflowBody, readHookflowBody } from '../../lib/read-hookflow-body';
import {
  type HttpResult,
  type RunningStack,
  localClientConfig,
  removeDataDir,
  request,
  startLocalStack,
} from '../support/local-stack';

jest.setTimeout(120_000);

/**
 * Issue 19's "Done when", on the local stack: "what happened to the webhook Stripe sent at 10:02?" is answered
 * from the API and the CLI by time range and correlation id, and every delivery of the last hour that never
 * started a run is replayed with one CLI command, twice, without starting anything twice.
 *
 * The engine is made busy with the local throttle (local/throttles.ts): `sfn:open=3` lets three Standard
 * executions run at once, so while three 3-second runs hold the slots every Standard start answers
 * ExecutionLimitExceeded and the sender gets 503 (recorded as `failed`, nothing started). Once they end, the three
 * replays have a slot each, however long their own runs stay open.
 */
const DEV_KEY = 'hf_local_dev_key'; // trigger and deliveries scopes, every flow and org (local/hookflow.local.json)
const GITHUB_SECRET = 'hf_local_github_webhook_secret'; // flow hello-signed
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
const SLOTS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('deliveries (issue 19): found by time and correlation id, replayed once', () => {
  let stack: RunningStack;
  let sfn: SFNClient;
  const executions = async (machine: string) =>
    (await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn(machine), maxResults: 1000 }))).executions ?? [];
  const api = (path: string, init: { method?: string; body?: unknown } = {}): Promise<HttpResult> =>
    request(`${stack.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  const cli = async (...argv: string[]) => {
    const out = { stdout: '', stderr: '' };
    const code = await run(
      argv,
      { HOOKFLOW_URL: stack.url, HOOKFLOW_API_KEY: DEV_KEY },
      {
        print: (text) => void (out.stdout += text),
        error: (text) => void (out.stderr += text),
      },
    );
    return { code, ...out };
  };

  beforeAll(async () => {
    stack = await startLocalStack({ env: { HOOKFLOW_LOCAL_THROTTLE: `sfn:open=${SLOTS}`, AWS_MAX_ATTEMPTS: '1' } });
    sfn = new SFNClient({ endpoint: stack.sfnEndpoint, region: 'us-east-1', credentials });
  });
  afterAll(async () => {
    sfn?.destroy();
    await stack?.stop();
    if (stack !== undefined) removeDataDir(stack.dataDir);
  });

  it('finds a signed delivery sent at a known time by its time range and correlation id, through the API and the CLI', async () => {
    // Arrange: a GitHub-signed delivery, its X-GitHub-Delivery the id the sender knows it by
    const body = JSON.stringify({ action: 'opened', number: 1002 });
    const correlationId = `gh-${Date.now()}`;
    const sentFrom = new Date(Date.now() - 1_000).toISOString();
    const sent = await request(`${stack.url}/flows/hello-signed/trigger`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${DEV_KEY}`,
        'content-type': 'application/json',
        'x-hub-signature-256': await githubSign(GITHUB_SECRET, body),
        'x-github-delivery': correlationId,
      },
      body,
    });
    const sentTo = new Date(Date.now() + 1_000).toISOString();
    const deliveryId = sent.headers.get('hookflow-delivery-id');

    // Act
    const listed = await api(`/api/deliveries?correlationId=${correlationId}&from=${sentFrom}&to=${sentTo}`);
    const shown = await api(`/api/deliveries/${deliveryId}`);
    const byCli = await cli(
      'deliveries',
      'list',
      '--correlation-id',
      correlationId,
      '--from',
      sentFrom,
      '--to',
      sentTo,
    );
    const getByCli = await cli('deliveries', 'get', String(deliveryId), '-j');

    // Assert
    expect(sent.status).toBe(202);
    expect(deliveryId).toMatch(/^dlv_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({
      deliveries: [
        {
          id: deliveryId,
          style: 'flow-trigger',
          registration: 'hello-signed',
          outcome: 'started',
          status: 202,
          correlationId,
          runs: [{ executionArn: expect.stringContaining(':hookflow-echo:') }],
        },
      ],
    });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      delivery: {
        id: deliveryId,
        headers: { 'x-github-delivery': correlationId, authorization: '[redacted]' },
        body: { kept: true, encoding: 'utf8', text: body },
        runs: [{ executionArn: expect.any(String), executionLink: expect.any(String), status: expect.any(String) }],
      },
    });
    expect(byCli).toMatchObject({ code: 0, stderr: '' });
    expect(byCli.stdout).toContain(`${deliveryId}  `);
    expect(byCli.stdout).toContain(`correlation ${correlationId}`);
    expect(JSON.parse(getByCli.stdout).delivery.body.text).toBe(body);
  });

  it('replays every delivery of the last hour that never started a run with one CLI command, and the same command again starts nothing', async () => {
    // Arrange: 3-second Standard runs hold every open slot; three deliveries meanwhile start nothing (503)
    for (let i = 0; i < SLOTS; i++) {
      const holder = await request(`${stack.url}/webhook/myclient/slow-standard?async`, { method: 'POST', body: '{}' });
      expect(holder.status).toBe(202);
    }
    const refused = [];
    for (const n of [1, 2, 3]) {
      refused.push(
        await request(`${stack.url}/flows/hello-standard/trigger`, {
          method: 'POST',
          headers: { authorization: `Bearer ${DEV_KEY}`, 'x-correlation-id': `busy-${n}` },
          body: JSON.stringify({ n }),
        }),
      );
    }
    expect(refused.map((r) => r.status)).toEqual([503, 503, 503]);
    expect(await executions('hookflow-echo-standard')).toHaveLength(0);
    // The slots free once the holders' runs end
    while ((await executions('hookflow-slow-standard')).some((e) => e.status === 'RUNNING')) await sleep(200);

    // Act: count first (a dry run), then replay for real, then the very same command again
    const counted = await cli('deliveries', 'replay', '--since', '1h', '--outcome', 'failed');
    const replayed = await cli('deliveries', 'replay', '--since', '1h', '--outcome', 'failed', '--yes');
    const afterFirst = await executions('hookflow-echo-standard');
    const again = await cli('deliveries', 'replay', '--since', '1h', '--outcome', 'failed', '--yes');

    // Assert
    expect(counted).toMatchObject({ code: 0, stderr: '' });
    expect(counted.stdout).toMatch(/^3 deliveries match from .+; 3 would start \(mode if-no-run\)\n/);
    expect(replayed).toMatchObject({ code: 0, stderr: '' });
    expect(replayed.stdout).toContain('started 3 of 3 matching');
    expect(afterFirst).toHaveLength(3);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toContain('; 0 would start');
    expect(await executions('hookflow-echo-standard')).toHaveLength(3);
    // Each replay is a delivery of its own, marked as one, that leads back to the original
    const listed = await api('/api/deliveries?registration=hello-standard&outcome=started');
    const ids = new Set((listed.body as { deliveries: { replayOf?: string }[] }).deliveries.map((d) => d.replayOf));
    expect(ids.size).toBe(3);
  });

  it('reads a large body back from the body store, replays an Express delivery, and a replay the busy engine refused leaves no claim', async () => {
    // Arrange: a 6 KiB body (over DELIVERY_INLINE_BODY_BYTES: kept in S3) to the Express flow `hello`, and a small
    // one to the Standard flow `hello-standard`
    const body = JSON.stringify({ filler: 'c'.repeat(6 * 1024) });
    const trigger = (flow: string, payload: string) =>
      request(`${stack.url}/flows/${flow}/trigger`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json' },
        body: payload,
      });
    const large = await trigger('hello', body);
    const standard = await trigger('hello-standard', '{"n":42}');
    expect([large.status, standard.status]).toEqual([202, 202]);
    const largeId = large.headers.get('hookflow-delivery-id')!;
    const standardId = standard.headers.get('hookflow-delivery-id')!;

    // Act: read the large one and replay it (Express: its run is recorded on the replay's claim); replay the Standard
    // one while Standard runs hold every open slot (503: its claim released), then again once they end
    const shown = await api(`/api/deliveries/${largeId}`);
    const expressReplay = await api(`/api/deliveries/${largeId}/replay`, { method: 'POST', body: { mode: 'force' } });
    for (let i = 0; i < SLOTS; i++) {
      const holder = await request(`${stack.url}/webhook/myclient/slow-standard?async`, { method: 'POST', body: '{}' });
      expect(holder.status).toBe(202);
    }
    const busy = await api(`/api/deliveries/${standardId}/replay`, { method: 'POST', body: { mode: 'force' } });
    while ((await executions('hookflow-slow-standard')).some((e) => e.status === 'RUNNING')) await sleep(200);
    const forced = await api(`/api/deliveries/${standardId}/replay`, { method: 'POST', body: { mode: 'force' } });

    // Assert
    expect(shown.status).toBe(200);
    expect((shown.body as { delivery: { body: unknown } }).delivery.body).toMatchObject({
      kept: true,
      encoding: 'utf8',
      text: body,
      bytes: Buffer.byteLength(body),
    });
    expect(expressReplay.status).toBe(202);
    expect(expressReplay.body).toMatchObject({ deliveryId: largeId, outcome: 'started' });
    expect(busy.status).toBe(503);
    expect(forced.status).toBe(202);
    expect(forced.body).toMatchObject({ deliveryId: standardId, outcome: 'started' });
  });
  it('force-replays an inbound delivery: a second run, under a key of its own', async () => {
    // Arrange: one inbound run
    const uid = `replay-inbound-${Date.now()}`;
    const sent = await request(`${stack.url}/inbound`, {
      method: 'POST',
      headers: { 'inbound-webhook-secret': 'hf_local_inbound_secret', 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'workflow name', uid }),
    });
    expect(sent.status).toBe(202);
    const deliveryId = sent.headers.get('hookflow-delivery-id')!;

    // Act
    const forced = await api(`/api/deliveries/${deliveryId}/replay`, { method: 'POST', body: { mode: 'force' } });

    // Assert
    expect(forced.status).toBe(202);
    expect(forced.body).toMatchObject({ deliveryId, outcome: 'started' });
  });

  it('replays a large delivery the busy engine refused: its run gets a fresh claim-check reference, read back byte for byte', async () => {
    // Arrange: Standard runs hold every open slot; a 400 KB body (over Step Functions' 256 KiB input) is refused 503
    for (let i = 0; i < SLOTS; i++) {
      const holder = await request(`${stack.url}/webhook/myclient/slow-standard?async`, { method: 'POST', body: '{}' });
      expect(holder.status).toBe(202);
    }
    const body = JSON.stringify({ id: 12345678901234567890, text: `${'é'.repeat(200 * 1024)}€` });
    const refused = await request(`${stack.url}/flows/hello-standard/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json' },
      body,
    });
    const deliveryId = refused.headers.get('hookflow-delivery-id')!;
    expect(refused.status).toBe(503);
    while ((await executions('hookflow-slow-standard')).some((e) => e.status === 'RUNNING')) await sleep(200);

    // Act
    const replayed = await api(`/api/deliveries/${deliveryId}/replay`, { method: 'POST', body: { mode: 'if-no-run' } });
    const [run] = (replayed.body as { runs: { executionLink: string }[] }).runs;
    const execution = await request(run!.executionLink);
    const input = (execution.body as { input: { payload: unknown; replayOf: string } }).input;
    const s3 = new S3Client(localClientConfig(stack.sqsEndpoint));
    const bytes = isHookflowBody(input.payload) ? await readHookflowBody(input.payload, { client: s3 }) : undefined;
    s3.destroy();

    // Assert
    expect(replayed.status).toBe(202);
    expect(replayed.body).toMatchObject({ deliveryId, outcome: 'started' });
    expect(input.replayOf).toBe(deliveryId);
    expect(input.payload).toMatchObject({
      hookflowBody: { bytes: Buffer.byteLength(body), contentType: 'application/json' },
    });
    expect(bytes?.equals(Buffer.from(body, 'utf8'))).toBe(true);
  });
  it("a flow trigger's Idempotency-Key: refused, then replayed and retried by the sender in either order, starts one run", async () => {
    // Arrange: while Standard runs hold every open slot, two keyed triggers are refused 503 (nothing started)
    const send = (idempotencyKey: string) =>
      request(`${stack.url}/flows/hello-standard/trigger`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEV_KEY}`, 'idempotency-key': idempotencyKey },
        body: JSON.stringify({ order: idempotencyKey }),
      });
    const keys = [`replay-first-${Date.now()}`, `retry-first-${Date.now()}`];
    for (let i = 0; i < SLOTS; i++) {
      const holder = await request(`${stack.url}/webhook/myclient/slow-standard?async`, { method: 'POST', body: '{}' });
      expect(holder.status).toBe(202);
    }
    const refused = [await send(keys[0]!), await send(keys[1]!)];
    expect(refused.map((r) => r.status)).toEqual([503, 503]);
    const [replayFirst, retryFirst] = refused.map((r) => r.headers.get('hookflow-delivery-id')!);
    while ((await executions('hookflow-slow-standard')).some((e) => e.status === 'RUNNING')) await sleep(200);
    const before = (await executions('hookflow-echo-standard')).length;
    const runOf = (answer: HttpResult) => (answer.body as { runs: { executionArn: string }[] }).runs[0]?.executionArn;
    const linkOf = (answer: HttpResult) => decodeURIComponent((answer.body as { executionLink: string }).executionLink);

    // Act: the first delivery replayed, then retried by its sender; the second retried, then replayed
    const replayed = await api(`/api/deliveries/${replayFirst}/replay`, {
      method: 'POST',
      body: { mode: 'if-no-run' },
    });
    const retriedAfter = await send(keys[0]!);
    const retried = await send(keys[1]!);
    const replayedAfter = await api(`/api/deliveries/${retryFirst}/replay`, { method: 'POST', body: {} });
    const shown = await api(`/api/deliveries/${replayFirst}`);

    // Assert: one run per key, which the later of the two was answered with
    expect(replayed.status).toBe(202);
    expect(replayed.body).toMatchObject({ outcome: 'started' });
    expect(retriedAfter.status).toBe(202);
    expect(retriedAfter.headers.get('idempotent-replayed')).toBe('true');
    expect(linkOf(retriedAfter)).toContain(runOf(replayed)!);
    expect(retried.status).toBe(202);
    expect(replayedAfter.status).toBe(200);
    expect(replayedAfter.body).toMatchObject({ outcome: 'deduplicated' });
    expect(linkOf(retried)).toContain(runOf(replayedAfter)!);
    expect((await executions('hookflow-echo-standard')).length).toBe(before + 2);
    // The record names the key that sent it by its id, never the key itself
    expect(shown.body).toMatchObject({ delivery: { apiKeyId: 'local-dev' } });
    expect(JSON.stringify(shown.body)).not.toContain(DEV_KEY);
  });

  it('a keyed trigger of a guarded Express workflow, recorded: the record shows the run its guard named, listed and by id, and if-no-run starts nothing', async () => {
    // Arrange: `hello` records its deliveries and its workflow starts with the run guard, so the claim (which
    // carries the record) is the trigger's one write and the record names the guard's item as its run.
    const key = `guarded-recorded-${Date.now()}`;
    const from = new Date(Date.now() - 1_000).toISOString();
    const sent = await request(`${stack.url}/flows/hello/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'idempotency-key': key },
      body: JSON.stringify({ order: key }),
    });
    expect(sent.status).toBe(202);
    const id = sent.headers.get('hookflow-delivery-id')!;
    const link = decodeURIComponent((sent.body as { executionLink: string }).executionLink);
    const before = (await executions('hookflow-echo')).length;

    // Act: read the record until the run has reached its guard (its first state), then list, replay and retry
    type Shown = { delivery: { outcome: string; runs: { executionArn?: string }[] } };
    let shown = await api(`/api/deliveries/${id}`);
    for (let i = 0; i < 100 && (shown.body as Shown).delivery.runs.length === 0; i++) {
      await sleep(100);
      shown = await api(`/api/deliveries/${id}`);
    }
    const listed = await api(
      `/api/deliveries?from=${encodeURIComponent(from)}&registration=hello&correlationId=${key}`,
    );
    const replayed = await api(`/api/deliveries/${id}/replay`, { method: 'POST', body: { mode: 'if-no-run' } });
    const retried = await request(`${stack.url}/flows/hello/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'idempotency-key': key },
      body: JSON.stringify({ order: key }),
    });

    // Assert: one run, the one the sender was answered with, everywhere
    const run = (shown.body as Shown).delivery.runs[0]?.executionArn;
    expect(shown.status).toBe(200);
    expect((shown.body as Shown).delivery.outcome).toBe('started');
    expect(run).toMatch(/^arn:aws:states:us-east-1:000000000000:express:hookflow-echo:hf-/);
    expect(link).toContain(run!);
    const listedRecord = (listed.body as { deliveries: { id: string; runs: unknown[] }[] }).deliveries.find(
      (d) => d.id === id,
    );
    expect(listedRecord?.runs).toEqual([{ executionArn: run }]);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ outcome: 'skipped', reason: `the original started ${run}` });
    expect(retried.status).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(decodeURIComponent((retried.body as { executionLink: string }).executionLink)).toContain(run!);
    expect((await executions('hookflow-echo')).length).toBe(before);
  });
});
