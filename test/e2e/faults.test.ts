import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { removeDataDir, request, startLocalStack, waitForExecution } from '../support/local-stack';

jest.setTimeout(180_000);

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
const ADMIN = { 'x-api-key': 'hf_local_acme_admin_key', 'x-api-org': 'acme' };

async function withStack(env: Record<string, string>) {
  const stack = await startLocalStack({ env });
  const sfn = new SFNClient({ endpoint: stack.sfnEndpoint, region: 'us-east-1', credentials });
  const executions = async (stateMachine: string) =>
    (await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn(stateMachine), maxResults: 1000 }))).executions
      ?.length ?? 0;
  const webhook = async () => {
    const created = await request(`${stack.url}/api/webhooks`, { method: 'POST', headers: ADMIN });
    const { id, verifySecret } = created.body as { id: string; verifySecret: string };
    await request(`${stack.url}/api/webhooks/${id}/workflows/audit`, { method: 'PUT', headers: ADMIN });
    return { id, verifySecret };
  };
  /** One request per style, each with its own dedupe key `key`: what a third party would send. */
  const calls = (key: string, hook: { id: string; verifySecret: string }) => ({
    'flow trigger': () =>
      request(`${stack.url}/flows/hello-standard/trigger`, {
        method: 'POST',
        headers: { authorization: 'Bearer hf_local_dev_key', 'idempotency-key': key },
        body: '{}',
      }),
    'client webhook': () =>
      request(`${stack.url}/webhook/myclient/open?async`, {
        method: 'POST',
        headers: { 'idempotency-key': key },
        body: '{}',
      }),
    'event webhook': () =>
      request(`${stack.url}/api/v2/webhook?ref=order-echo`, {
        method: 'POST',
        headers: { 'idempotency-key': key },
        body: '{}',
      }),
    'event intake': () =>
      request(`${stack.url}/api/v2/event`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({ specversion: '1.0', id: key, source: '/faults', type: 'com.example.order.created' }),
      }),
    inbound: () =>
      request(`${stack.url}/inbound`, {
        method: 'POST',
        headers: { 'inbound-webhook-secret': 'hf_local_inbound_secret' },
        body: JSON.stringify({ workflow: 'workflow name', uid: key }),
      }),
    'registered webhook': () =>
      request(`${stack.url}/api/trigger-webhooks/${hook.id}`, {
        method: 'POST',
        headers: { 'x-verify-signature': hook.verifySecret, 'idempotency-key': key },
        body: '{}',
      }),
  });
  const stop = async () => {
    sfn.destroy();
    await stack.stop();
    removeDataDir(stack.dataDir);
  };
  return { stack, executions, webhook, calls, stop };
}

const MACHINES = [
  'hookflow-echo-standard',
  'hookflow-echo',
  'hookflow-event-echo',
  'hookflow-inbound-echo',
  'hookflow-webhook-audit',
];

describe('faults (issue 8): nothing answered 2xx unless durably accepted, nothing accepted lost', () => {
  it('with Step Functions refusing every start and SQS refusing every send: 503 everywhere, nothing started', async () => {
    const s = await withStack({ HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '1000000', HOOKFLOW_LOCAL_SQS_FAIL_SENDS: '1' });
    try {
      const hook = await s.webhook();
      for (const [style, call] of Object.entries(s.calls('down-1', hook))) {
        const response = await call();
        expect({ style, status: response.status }).toEqual({ style, status: 503 });
        expect(response.body).toMatchObject({ error: expect.any(String) });
        expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      }
      const batch = await request(`${s.stack.url}/inbound`, {
        method: 'POST',
        headers: { 'inbound-webhook-secret': 'hf_local_inbound_secret' },
        body: JSON.stringify({ workflow: 'workflow name', batch: [{ uid: 'b-1' }, { uid: 'b-2' }] }),
      });
      expect(batch.status).toBe(503);
      expect((batch.body as { batch: { status: string }[] }).batch.map((e) => e.status)).toEqual([
        'NOT_QUEUED',
        'NOT_QUEUED',
      ]);
      for (const machine of MACHINES)
        expect({ machine, runs: await s.executions(machine) }).toEqual({ machine, runs: 0 });
    } finally {
      await s.stop();
    }
  });

  it('with Step Functions throttling some starts: a caller retrying on 503 gets exactly one run per request', async () => {
    // Each request's SDK call retries throttling itself (3 attempts): 8 refusals make the first requests fail.
    const s = await withStack({ HOOKFLOW_LOCAL_SFN_THROTTLE_STARTS: '8' });
    try {
      const hook = await s.webhook();
      let refusals = 0;
      for (const key of ['k-1', 'k-2', 'k-3']) {
        for (const [style, call] of Object.entries(s.calls(key, hook))) {
          let response = await call();
          for (let attempt = 0; response.status === 503 && attempt < 5; attempt++) {
            refusals++;
            response = await call();
          }
          expect({ style, key, status: response.status }).toEqual({ style, key, status: expect.any(Number) });
          expect(response.status).toBeLessThan(300);
          // What a 2xx promised exists: its run (or, for inbound/events, the run of its uid / event).
          const link = JSON.stringify(response.body).match(/"executionLink":"([^"]+)"/)?.[1];
          if (link !== undefined) expect((await waitForExecution(link)).status).not.toBe('RUNNING');
        }
      }
      expect(refusals).toBeGreaterThan(0);
      // One run per request and style, retries included.
      expect(await s.executions('hookflow-echo-standard')).toBe(3);
      expect(await s.executions('hookflow-echo')).toBe(3);
      expect(await s.executions('hookflow-event-echo')).toBe(6); // webhook by ref + the CloudEvent subscriber
      // An inbound request the engine was too busy for may have been queued (202 `queued`, whenBusy's default):
      // the fan-out worker starts it shortly.
      const deadline = Date.now() + 20_000;
      while ((await s.executions('hookflow-inbound-echo')) < 3 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(await s.executions('hookflow-inbound-echo')).toBe(3);
      expect(await s.executions('hookflow-webhook-audit')).toBe(3);
    } finally {
      await s.stop();
    }
  });
});
